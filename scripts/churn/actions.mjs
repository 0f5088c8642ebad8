// The churn itself: a seeded Poisson process of changes a busy machine sees — people editing settings,
// `/model` rewrites, Claude Code rewriting `.claude.json`, new and deleted projects, new users, files with
// comments, half-written files completed a moment later, bursts (one file rewritten every 20 ms for a few
// seconds), the managed drop-in deleted or edited, and (on a timetable) new policy versions.
// Every change is counted by kind; multi-step changes run as async tasks that `stop()` waits for.
import { DROPIN, makeProjectFolder, policyText, populateHome, POLICY_PATH, projectPath, registerUser, writeProjectSettings } from './sandbox.mjs';
import { editOtherKey, otherKeys, pickModel, renderNonStrict, renderStrict } from './texts.mjs';
import { classifyText } from './world.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Relative frequency of each kind of change. */
export const WEIGHTS = {
  edit: 24, // a person edits other keys (sometimes adding a model, as /model would)
  'slash-model': 14, // /model <x> (or /model default) rewrites the user file: temp + rename, 2-space JSON
  'claude-json': 12, // Claude Code rewrites ~/.claude.json (startups, last session)
  'env-override': 7, // a project/local file pins ANTHROPIC_MODEL, Bedrock, an API key, a base URL
  noise: 8, // history files, shell history, source files next to the watched folders
  'new-project': 5,
  'delete-project': 2.5,
  'delete-file': 2,
  comment: 3, // a file with a comment or trailing comma: Claude Code ignores it; the daemon must not touch it
  garbage: 4, // half-written, completed 20-400 ms later
  managed: 1.5, // the drop-in deleted or edited
  'new-user': 0.25, // about one a minute, up to the cap
  burst: 0.4, // at most one at a time, at least 20 s apart
};

export class Churn {
  constructor(world, rng, { repoRoot, maxProjectsPerUser = 15, maxUsers = 40, onPolicy }) {
    this.world = world;
    this.rng = rng;
    this.repoRoot = repoRoot;
    this.maxProjectsPerUser = maxProjectsPerUser;
    this.maxUsers = maxUsers;
    this.onPolicy = onPolicy;
    this.byKind = {};
    this.skipped = 0;
    this.changes = 0;
    this.pending = new Set();
    this.stopped = false;
    this.burstActive = false;
    this.lastBurstEnd = 0;
    this.burstFiles = new Set();
    this.burstWrites = 0;
    /** { file, start, end, writes } of each burst, for the contest checks. */
    this.bursts = [];
    this.failures = [];
  }

  count(kind) {
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    this.changes++;
  }

  /** One random change now. */
  step() {
    const kind = this.rng.weighted(WEIGHTS);
    try {
      const r = this[`do_${kind.replace(/-/g, '_')}`]();
      if (r === false) this.skipped++;
      else if (r instanceof Promise) this.track(r);
    } catch (e) {
      this.failures.push(`churn ${kind}: ${e.stack ?? e}`);
    }
  }

  track(p) {
    const t = p.catch((e) => this.failures.push(`churn task: ${e.stack ?? e}`)).finally(() => this.pending.delete(t));
    this.pending.add(t);
  }

  /** Stops starting changes and waits for the multi-step ones in flight (bursts end at their next tick). */
  async stop() {
    this.stopped = true;
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  // --- picking ---------------------------------------------------------------------------------------

  activeUser() {
    const us = this.world.activeUsers();
    return us.length ? this.rng.pick(us) : null;
  }

  /** A settings file of some user that nothing else is rewriting right now (and its current text). */
  pickSettingsFile(filter = () => true) {
    const u = this.activeUser();
    if (!u) return null;
    const files = this.world.settingsFiles(u).filter((f) => !this.world.busy.has(f) && filter(f, u));
    if (!files.length) return null;
    const file = this.rng.pick(files);
    return { u, file, cur: classifyText(this.world.read(file)) };
  }

  /** Writes as people and tools do: mostly temp + rename, sometimes in place. */
  write(file, text, atomicShare = 0.7) {
    if (this.rng.chance(atomicShare)) this.world.writeAtomic(file, text);
    else this.world.writeInPlace(file, text);
  }

  // --- the kinds of change -----------------------------------------------------------------------------

  do_edit() {
    const f = this.pickSettingsFile();
    if (!f || f.cur.kind === 'invalid') return false;
    const o = f.cur.value && typeof f.cur.value === 'object' && !Array.isArray(f.cur.value) ? f.cur.value : {};
    editOtherKey(this.rng, o);
    const withModel = this.rng.chance(0.25);
    if (withModel) o.model = pickModel(this.rng);
    // A person editing a file with a comment usually keeps the comment; sometimes they clean it up.
    if (f.cur.kind === 'jsonc' && this.rng.chance(0.7)) {
      this.write(f.file, renderNonStrict(this.rng, o));
      this.count('edit-commented');
      return true;
    }
    this.write(f.file, renderStrict(this.rng, o, this.rng.chance(0.7) ? 'claude' : undefined));
    this.count(withModel ? 'edit+model' : 'edit');
    return true;
  }

  do_slash_model() {
    const u = this.activeUser();
    if (!u) return false;
    const file = this.world.userSettingsPath(u);
    if (this.world.busy.has(file)) return false;
    const cur = classifyText(this.world.read(file));
    if (cur.kind === 'invalid' || cur.kind === 'jsonc') return false; // Claude Code does not read it either
    const o = cur.kind === 'strict' && cur.value && typeof cur.value === 'object' && !Array.isArray(cur.value) ? cur.value : {};
    if (this.rng.chance(0.15)) delete o.model; // /model default
    else o.model = pickModel(this.rng);
    this.world.writeAtomic(file, JSON.stringify(o, null, 2));
    this.count('slash-model');
    return true;
  }

  do_claude_json() {
    const u = this.activeUser();
    if (!u || this.world.busy.has(this.world.claudeJsonPath(u))) return false;
    const j = u.claudeJson;
    j.numStartups = (j.numStartups ?? 0) + 1;
    j.lastReleaseNotesSeen = '2.1.332';
    const ps = Object.keys(j.projects);
    if (ps.length) j.projects[this.rng.pick(ps)].lastSessionId = this.rng.hex(32);
    this.world.writeClaudeJson(u, this.rng.chance(0.9) ? 'atomic' : 'in-place');
    this.count('claude-json');
    return true;
  }

  do_env_override() {
    const f = this.pickSettingsFile((file, u) => file !== this.world.userSettingsPath(u));
    if (!f || f.cur.kind === 'invalid' || f.cur.kind === 'jsonc') return false;
    const o = f.cur.value && typeof f.cur.value === 'object' && !Array.isArray(f.cur.value) ? f.cur.value : {};
    const env = o.env && typeof o.env === 'object' && !Array.isArray(o.env) ? o.env : (o.env = {});
    const [k, v] = this.rng.pick([
      ['ANTHROPIC_MODEL', pickModel(this.rng)],
      ['ANTHROPIC_DEFAULT_MODEL', 'claude-opus-4-5'],
      ['ANTHROPIC_SMALL_FAST_MODEL', 'claude-haiku-4-5'],
      ['CLAUDE_CODE_USE_BEDROCK', '1'],
      ['ANTHROPIC_API_KEY', null],
      ['ANTHROPIC_BASE_URL', 'https://api.anthropic.com'], // not removed: the managed env wins over it
    ]);
    if (k === 'ANTHROPIC_API_KEY') {
      const key = `sk-ant-api03-${this.rng.hex(40)}`;
      this.world.userSecrets.push(key);
      env[k] = key;
    } else env[k] = v;
    this.write(f.file, renderStrict(this.rng, o));
    this.count('env-override');
    return true;
  }

  do_noise() {
    const u = this.activeUser();
    if (!u) return false;
    const ps = this.world.liveProjects(u);
    switch (this.rng.int(0, 3)) {
      case 0:
        this.world.append(`${u.home}/.bash_history`, `git status\n`);
        break;
      case 1:
        // Claude Code appends to history.jsonl in the config dir (a folder the daemon watches)
        this.world.append(`${u.home}/.claude/history.jsonl`, `${JSON.stringify({ display: 'run the tests', timestamp: Date.now() })}\n`);
        break;
      case 2:
        if (!ps.length) return false;
        this.world.writeAtomic(`${this.rng.pick(ps)}/index.js`, `console.log(${this.rng.int(0, 1e6)});\n`, { track: false });
        break;
      default:
        this.world.writeInPlace(`${u.home}/.claude/projects/-home-${u.name}/session-${this.rng.hex(6)}.jsonl`, '{"type":"user"}\n', { track: false });
    }
    this.count('noise');
    return true;
  }

  /** A project appears: folder (and .git) first, then — in either order — its settings and the `.claude.json` entry. */
  do_new_project() {
    const us = this.world.activeUsers().filter((u) => this.world.liveProjects(u).length < this.maxProjectsPerUser && !this.world.busy.has(this.world.claudeJsonPath(u)));
    if (!us.length) return false;
    const u = this.rng.pick(us);
    const kind = this.rng.weighted({ repo: 5, sub: 3, plain: 2 });
    const p = projectPath(this.world, this.rng, u, kind);
    const settingsFirst = this.rng.chance(0.4);
    const gap1 = this.rng.int(0, 300);
    const gap2 = this.rng.int(0, 300);
    this.count('new-project');
    // Busy while it is being made: no other change deletes it (or its repo) half-way.
    this.world.busy.add(p.path);
    return (async () => {
      try {
        makeProjectFolder(this.world, this.rng, u, p.path, p.gitRoot);
        await sleep(gap1);
        if (settingsFirst) writeProjectSettings(this.world, this.rng, u, p.path, p.gitRoot);
        else this.listProject(u, p.path);
        await sleep(gap2);
        if (settingsFirst) this.listProject(u, p.path);
        else writeProjectSettings(this.world, this.rng, u, p.path, p.gitRoot);
      } finally {
        this.world.busy.delete(p.path);
      }
    })();
  }

  listProject(u, p) {
    u.claudeJson.projects[p] = { allowedTools: [], hasTrustDialogAccepted: true };
    this.world.writeClaudeJson(u);
  }

  /**
   * Deleted: the folder and the entry, the folder only (the entry stays: skipped), or the entry only —
   * sometimes right after a last session wrote a `model` into it (the daemon is repairing it as it goes).
   */
  do_delete_project() {
    const u = this.activeUser();
    if (!u || this.world.busy.has(this.world.claudeJsonPath(u))) return false;
    const ps = this.world.liveProjects(u).filter((p) => !this.world.isBusyUnder(p) && u.meta.has(p));
    if (ps.length <= 1) return false;
    const p = this.rng.pick(ps);
    const how = this.rng.weighted({ both: 6, folder: 2, entry: 2 });
    const remove = () => {
      if (how !== 'folder') {
        delete u.claudeJson.projects[p];
        this.world.writeClaudeJson(u);
      }
      if (how !== 'entry') {
        this.world.removeTree(p);
        u.meta.delete(p);
        for (const q of [...u.meta.keys()]) if (q.startsWith(`${p}/`)) u.meta.delete(q);
      }
    };
    if (how === 'entry' || this.rng.chance(0.6)) {
      remove();
      this.count('delete-project');
      return true;
    }
    const file = `${p}/.claude/settings.json`;
    const cur = classifyText(this.world.read(file));
    const o = cur.kind === 'strict' && cur.value && typeof cur.value === 'object' && !Array.isArray(cur.value) ? cur.value : otherKeys(this.rng);
    o.model = pickModel(this.rng);
    const delay = this.rng.int(0, 200);
    this.world.busy.add(p);
    this.world.writeAtomic(file, renderStrict(this.rng, o));
    this.count('delete-project-after-edit');
    return (async () => {
      try {
        await sleep(delay);
      } finally {
        this.world.busy.delete(p);
      }
      remove();
    })();
  }

  /** A settings file deleted — or a project's whole `.claude` folder (`rm -rf .claude` to start over). */
  do_delete_file() {
    const f = this.pickSettingsFile((file) => this.world.read(file) !== null);
    if (!f) return false;
    const dir = f.file.slice(0, f.file.lastIndexOf('/'));
    if (f.file !== this.world.userSettingsPath(f.u) && this.rng.chance(0.3) && !this.world.isBusyUnder(dir)) {
      if (this.rng.chance(0.5)) {
        this.world.removeTree(dir);
        this.count('delete-claude-folder');
        return true;
      }
      // right after a last session wrote a model into it (the daemon is repairing it as it goes)
      const o = f.cur.kind === 'strict' && f.cur.value && typeof f.cur.value === 'object' && !Array.isArray(f.cur.value) ? f.cur.value : otherKeys(this.rng);
      o.model = pickModel(this.rng);
      const delay = this.rng.int(0, 200);
      this.world.busy.add(dir);
      this.world.writeAtomic(f.file, renderStrict(this.rng, o));
      this.count('delete-claude-folder-after-edit');
      return (async () => {
        try {
          await sleep(delay);
        } finally {
          this.world.busy.delete(dir);
        }
        this.world.removeTree(dir);
      })();
    }
    this.world.remove(f.file);
    this.count('delete-file');
    return true;
  }

  do_comment() {
    const f = this.pickSettingsFile();
    if (!f) return false;
    const o = otherKeys(this.rng);
    if (this.rng.chance(0.6)) o.model = pickModel(this.rng);
    this.write(f.file, renderNonStrict(this.rng, o), 0.5);
    this.count('comment');
    return true;
  }

  /** A file caught half-written (a crash, a slow editor, a naive script), then completed. */
  do_garbage() {
    const u0 = this.activeUser();
    const claudeJson = u0 && this.rng.chance(0.15) ? this.world.claudeJsonPath(u0) : null;
    if (claudeJson && this.world.busy.has(claudeJson)) return false;
    const f = claudeJson ? { u: u0, file: claudeJson } : this.pickSettingsFile();
    if (!f) return false;
    const full = claudeJson ? JSON.stringify(f.u.claudeJson, null, 2) : renderStrict(this.rng, { ...otherKeys(this.rng), ...(this.rng.chance(0.5) ? { model: pickModel(this.rng) } : {}) });
    const cut = this.rng.int(1, Math.max(1, full.length - 2));
    const delay = this.rng.int(20, 400);
    this.world.busy.add(f.file);
    this.world.writeInPlace(f.file, full.slice(0, cut), { track: false });
    this.count(claudeJson ? 'garbage-claude-json' : 'garbage');
    return (async () => {
      try {
        await sleep(delay);
        if (claudeJson) this.world.writeInPlace(f.file, JSON.stringify(f.u.claudeJson, null, 2), { track: false });
        else this.world.writeInPlace(f.file, full);
      } finally {
        this.world.busy.delete(f.file);
      }
    })();
  }

  /** Something rewrites one file every 20 ms for 3-6 s (a second tool, /model in a loop): contested. */
  do_burst() {
    if (this.burstActive || Date.now() - this.lastBurstEnd < 20_000) return false;
    const f = this.rng.chance(0.7) ? (() => {
      const u = this.activeUser();
      const file = u && this.world.userSettingsPath(u);
      return u && !this.world.busy.has(file) ? { u, file } : null;
    })() : this.pickSettingsFile();
    if (!f) return false;
    const cur = classifyText(this.world.read(f.file));
    const base = cur.kind === 'strict' && cur.value && typeof cur.value === 'object' && !Array.isArray(cur.value) ? cur.value : otherKeys(this.rng);
    const ms = this.rng.int(3000, 6000);
    const models = [pickModel(this.rng), pickModel(this.rng)];
    this.burstActive = true;
    this.world.busy.add(f.file);
    this.burstFiles.add(f.file);
    const burst = { file: f.file, start: Date.now(), end: null, writes: 0 };
    this.bursts.push(burst);
    this.count('burst');
    return (async () => {
      const end = Date.now() + ms;
      try {
        while (Date.now() < end && !this.stopped) {
          this.world.writeAtomic(f.file, JSON.stringify({ ...base, model: models[burst.writes++ % 2] }, null, 2));
          this.burstWrites++;
          await sleep(20);
        }
      } finally {
        this.world.busy.delete(f.file);
        this.burstActive = false;
        this.lastBurstEnd = burst.end = Date.now();
      }
    })();
  }

  do_managed() {
    const cur = this.world.read(DROPIN);
    const how = cur === null ? 'edit-env' : this.rng.weighted({ delete: 4, 'edit-env': 3, 'add-model': 2, truncate: 1 });
    if (how === 'delete') this.world.remove(DROPIN);
    else if (how === 'truncate') this.world.writeInPlace(DROPIN, '', { track: false });
    else {
      const c = classifyText(cur);
      const o = c.kind === 'strict' && c.value && typeof c.value === 'object' ? c.value : { env: {} };
      if (how === 'add-model') o.model = 'claude-opus-4-5';
      else o.env = { ...(o.env ?? {}), ANTHROPIC_BASE_URL: 'https://api.anthropic.com' };
      const text = `${JSON.stringify(o, null, 2)}\n`;
      if (this.rng.chance(0.5)) this.world.writeAtomic(DROPIN, text, { track: false });
      else this.world.writeInPlace(DROPIN, text, { track: false });
    }
    this.count(`managed-${how}`);
    return true;
  }

  /** A new developer: passwd line (appended, or the file replaced as useradd does) and home, in either order. */
  do_new_user() {
    if (this.world.users.size >= this.maxUsers) return false;
    const u = registerUser(this.world);
    const homeFirst = this.rng.chance(0.4);
    const gap = this.rng.int(0, 800);
    const projects = this.rng.int(0, 2);
    const addLine = () => {
      if (this.rng.chance(0.5)) this.world.append('/etc/passwd', this.world.passwdLine(u));
      else this.world.writeAtomic('/etc/passwd', (this.world.read('/etc/passwd') ?? '') + this.world.passwdLine(u), { track: false });
    };
    this.count('new-user');
    return (async () => {
      if (homeFirst) populateHome(this.world, this.rng, u, projects);
      else addLine();
      await sleep(gap);
      if (homeFirst) addLine();
      else populateHome(this.world, this.rng, u, projects);
    })();
  }

  /** The policy file replaced (MDM drops it: temp + rename) with a higher version and a new secret. */
  updatePolicy(version) {
    const p = policyText(this.repoRoot, version, this.rng.hex(32));
    this.onPolicy(p); // registered as a secret before the daemon can read it
    this.world.writeAtomic(POLICY_PATH, p.text, { track: false });
    this.count('policy-update');
    return p;
  }
}

