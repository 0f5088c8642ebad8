// The churn's model of the sandbox machine (Linux layout under `root`): users, their `.claude.json`, the
// projects it lists, and the last text the churn itself wrote to every settings file. All writes of the
// churn go through here, owned by the user they belong to (as if the user wrote them), so that at the end
// `verify.mjs` knows what every file should hold once the daemon has done its job.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';

export const MODELS = ['sonnet', 'opus', 'haiku', 'claude-opus-4-5', 'claude-sonnet-4-5-20250929', 'opus[1m]', 'claude-opus-5-5'];
export const ROOT_OWNER = { uid: 0, gid: 0 };

/** 'strict' (Claude Code reads it), 'jsonc' (comments/trailing commas: ignored whole), 'invalid', 'absent'. */
export function classifyText(text) {
  if (text === null) return { kind: 'absent', value: undefined };
  const body = text.replace(/^\ufeff/, '');
  if (body.trim() === '') return { kind: 'empty', value: {} };
  try {
    return { kind: 'strict', value: JSON.parse(body) };
  } catch {
    const errors = [];
    const value = parseJsonc(body, errors, { allowTrailingComma: true });
    return errors.length ? { kind: 'invalid', value: undefined } : { kind: 'jsonc', value };
  }
}

export class World {
  constructor(root) {
    this.root = root;
    /** name → { name, uid, gid, home, claudeJson (object we keep), meta: Map<projectPath, { gitRoot }> } */
    this.users = new Map();
    /** machine path → the last text the churn wrote (null: the churn deleted it). */
    this.files = new Map();
    /** Machine paths being rewritten over time (a burst, a half-written file): other actions leave them alone. */
    this.busy = new Set();
    /** User-planted secrets (sk-ant-… keys in settings env): must never reach the daemon's log. */
    this.userSecrets = [];
    /** Folders the churn deleted (and did not make again): none may exist at the end. */
    this.deletedDirs = new Set();
    /** `rm -rf` that failed with ENOTEMPTY: something created an entry in the folder while it was being deleted. */
    this.deleteRaces = [];
    /** Deleted folders found there again when the churn next wrote into them. */
    this.resurrected = [];
    this.nextUid = 1000;
    this.seq = 0;
    this.writes = 0;
  }

  host(machinePath) {
    return path.join(this.root, machinePath);
  }

  ownerOf(machinePath) {
    for (const u of this.users.values()) if (machinePath === u.home || machinePath.startsWith(`${u.home}/`)) return { uid: u.uid, gid: u.gid };
    return ROOT_OWNER;
  }

  /** Creates the missing folders of `machineDir`, each owned like the file it is for. */
  mkdirp(machineDir) {
    const parts = machineDir.split('/').filter(Boolean);
    let cur = '';
    for (const p of parts) {
      cur += `/${p}`;
      const h = this.host(cur);
      if (fs.existsSync(h)) {
        // The churn deleted it and did not make it again: something else did (the daemon must not).
        if (this.deletedDirs.delete(cur)) this.resurrected.push({ dir: cur, seenAt: new Date().toISOString(), holding: fs.readdirSync(h).slice(0, 5) });
        continue;
      }
      fs.mkdirSync(h, { mode: 0o755 });
      this.deletedDirs.delete(cur);
      const o = this.ownerOf(cur);
      fs.chownSync(h, o.uid, o.gid);
    }
  }

  /** Like an editor or Claude Code: a temp file beside it, then rename over it. */
  writeAtomic(machinePath, text, { track = true } = {}) {
    this.mkdirp(path.posix.dirname(machinePath));
    const f = this.host(machinePath);
    const tmp = `${f}.tmp.${process.pid}.${++this.seq}`;
    fs.writeFileSync(tmp, text, { mode: 0o644 });
    const o = this.ownerOf(machinePath);
    fs.chownSync(tmp, o.uid, o.gid);
    fs.renameSync(tmp, f);
    this.writes++;
    if (track) this.files.set(machinePath, text);
  }

  /** Like `echo > file` or a naive script: truncate and write the same inode (a reader may see it half done). */
  writeInPlace(machinePath, text, { track = true } = {}) {
    this.mkdirp(path.posix.dirname(machinePath));
    const f = this.host(machinePath);
    let fd;
    try {
      fd = fs.openSync(f, 'wx', 0o644);
      const o = this.ownerOf(machinePath);
      fs.fchownSync(fd, o.uid, o.gid);
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      fd = fs.openSync(f, 'w');
    }
    try {
      fs.writeSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
    this.writes++;
    if (track) this.files.set(machinePath, text);
  }

  append(machinePath, text) {
    this.mkdirp(path.posix.dirname(machinePath));
    const f = this.host(machinePath);
    const existed = fs.existsSync(f);
    fs.appendFileSync(f, text);
    if (!existed) {
      const o = this.ownerOf(machinePath);
      fs.chownSync(f, o.uid, o.gid);
    }
    this.writes++;
  }

  remove(machinePath) {
    fs.rmSync(this.host(machinePath), { force: true });
    this.writes++;
    this.files.set(machinePath, null);
  }

  /** Removes a folder (as `rm -rf` does, retried if it fails) and forgets every file the churn wrote under it. */
  removeTree(machineDir) {
    for (let attempt = 1; ; attempt++) {
      try {
        fs.rmSync(this.host(machineDir), { recursive: true, force: true });
        break;
      } catch (e) {
        if (e.code !== 'ENOTEMPTY' || attempt >= 5) throw e;
        let left = [];
        try {
          left = fs.readdirSync(this.host(machineDir), { recursive: true }).map(String);
        } catch {
          /* gone meanwhile */
        }
        this.deleteRaces.push({ dir: machineDir, at: new Date().toISOString(), foundInside: left.slice(0, 5) });
      }
    }
    this.deletedDirs.add(machineDir);
    for (const d of [...this.deletedDirs]) if (d.startsWith(`${machineDir}/`)) this.deletedDirs.delete(d);
    this.writes++;
    for (const k of this.files.keys()) if (k.startsWith(`${machineDir}/`)) this.files.delete(k);
  }

  read(machinePath) {
    try {
      return fs.readFileSync(this.host(machinePath), 'utf8');
    } catch (e) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
      throw e;
    }
  }

  isBusyUnder(machineDir) {
    for (const b of this.busy) if (b === machineDir || b.startsWith(`${machineDir}/`)) return true;
    return false;
  }

  // --- users and projects ------------------------------------------------------------------------------

  claudeJsonPath(u) {
    return `${u.home}/.claude.json`;
  }

  userSettingsPath(u) {
    return `${u.home}/.claude/settings.json`;
  }

  /** The project paths of a user that Claude Code (and the daemon) know about and that exist. */
  liveProjects(u) {
    return Object.keys(u.claudeJson.projects ?? {}).filter((p) => fs.existsSync(this.host(p)));
  }

  /** The settings files of a user that Claude Code reads: the user file and each live project's files. */
  settingsFiles(u) {
    const out = [this.userSettingsPath(u)];
    for (const p of this.liveProjects(u)) out.push(...this.projectFiles(u, p));
    return [...new Set(out)];
  }

  projectFiles(u, p) {
    const files = [`${p}/.claude/settings.json`, `${p}/.claude/settings.local.json`];
    const gitRoot = u.meta.get(p)?.gitRoot;
    if (gitRoot && gitRoot !== p) files.push(`${gitRoot}/.claude/settings.local.json`);
    return files;
  }

  writeClaudeJson(u, how = 'atomic') {
    const text = JSON.stringify(u.claudeJson, null, 2);
    if (how === 'atomic') this.writeAtomic(this.claudeJsonPath(u), text, { track: false });
    else this.writeInPlace(this.claudeJsonPath(u), text, { track: false });
  }

  passwdLine(u) {
    return `${u.name}:x:${u.uid}:${u.gid}::${u.home}:/bin/bash\n`;
  }

  /** Users whose passwd line and home both exist (what the daemon must cover). */
  activeUsers() {
    const passwd = this.read('/etc/passwd') ?? '';
    return [...this.users.values()].filter((u) => passwd.includes(this.passwdLine(u)) && fs.existsSync(this.host(u.home)));
  }
}
