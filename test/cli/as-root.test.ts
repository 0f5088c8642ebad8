/**
 * Run as root (CI does): a home owned by uid 4242. repair writes the user's files through the uid-dropped
 * child (`ccfleet __write-as-user`): results keep owner 4242 and their modes, a created user file belongs
 * to 4242, the managed drop-in is root-owned 0644, a file owned by another uid in the home is `unsafe`
 * (foreign-owner) and untouched, and a folder its owner cannot write stops the write — proof that the
 * kernel checked the user's rights, not root's. `restore` puts originals back with their owner and mode.
 * Also the CLI run by uid 4242 itself (a per-user agent): its own files in user mode, EACCES on the
 * managed drop-in, and exit 2 with nothing written when the default state dir is not writable.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundle } from '../support/cli.js';
import { snapshotTree } from '../support/tree.js';
import { codes, fileOf, fixture, isRoot, userOf, type Fixture } from './e2e-fixture.js';
import { testNode } from '../support/runtime.js';

const UID = 4242;
const OTHER = 4243;
const USER_TEXT = '{\n  "model": "claude-opus-4-5",\n  "theme": "dark"\n}\n';
let fixtures: Fixture[] = [];
afterEach(() => {
  fixtures.forEach((f) => f.cleanup());
  fixtures = [];
});

function chownR(p: string, uid: number): void {
  fs.lchownSync(p, uid, uid);
  if (fs.lstatSync(p).isDirectory()) for (const n of fs.readdirSync(p)) chownR(`${p}/${n}`, uid);
}

/** dev (uid 4242) owns everything in /home/dev; the root folder is 0755 like a real `/`. */
function machine(policy: Record<string, unknown> = {}, setup: (f: Fixture) => void = () => undefined) {
  const f = fixture('linux', [{ name: 'dev', uid: UID }], policy);
  fixtures.push(f);
  fs.chmodSync(f.root, 0o755);
  setup(f);
  chownR(f.host('/home/dev'), UID);
  return f;
}

const stat = (f: Fixture, p: string) => {
  const st = fs.statSync(f.host(p));
  return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
};

describe.skipIf(!isRoot)('as root, in a home owned by uid 4242 (skipped unless run as root: chown needs it; CI runs as root)', () => {
  it('drifted files are repaired as the user: owner and modes kept; the drop-in is root-owned 0644', () => {
    const f = machine({}, (f) => {
      f.put('/home/dev/.claude/settings.json', USER_TEXT, 0o600);
      f.put('/home/dev/.claude.json', JSON.stringify({ projects: { '/home/dev/app': {} } }));
      f.put('/home/dev/app/.claude/settings.json', '{"model":"sonnet","env":{"ANTHROPIC_MODEL":"x"}}', 0o644);
      f.put('/home/dev/app/.claude/settings.local.json', '{"model":"opus"}', 0o640);
    });
    const rep = f.json('repair');
    expect(rep.code, rep.stdout.slice(0, 2000)).toBe(0);
    for (const p of ['/home/dev/.claude/settings.json', '/home/dev/app/.claude/settings.json', '/home/dev/app/.claude/settings.local.json']) {
      expect(fileOf(rep, p).state, p).toBe('repaired');
      expect(f.read(p)).not.toContain('"model"');
    }
    expect(stat(f, '/home/dev/.claude/settings.json')).toEqual({ uid: UID, gid: UID, mode: 0o600 });
    expect(stat(f, '/home/dev/app/.claude/settings.json')).toEqual({ uid: UID, gid: UID, mode: 0o644 });
    expect(stat(f, '/home/dev/app/.claude/settings.local.json')).toEqual({ uid: UID, gid: UID, mode: 0o640 });
    expect(stat(f, '/etc/claude-code/managed-settings.d/50-ccfleet.json')).toEqual({ uid: 0, gid: 0, mode: 0o644 });
    // no temp file left behind anywhere in the home
    const names = Object.keys(snapshotTree(f.host('/home/dev')));
    expect(names.filter((n) => !/^(\.|\.claude|\.claude\/settings\.json|\.claude\.json|app|app\/\.claude|app\/\.claude\/settings(\.local)?\.json)$/.test(n))).toEqual([]);
    const again = f.json('repair');
    expect(again.json.summary.repaired).toBe(0);

    // restore writes as the user too: original bytes, owner and mode
    const restored = f.json('restore');
    expect(restored.code, restored.stdout).toBe(0);
    expect(f.read('/home/dev/.claude/settings.json')).toBe(USER_TEXT);
    expect(stat(f, '/home/dev/.claude/settings.json')).toEqual({ uid: UID, gid: UID, mode: 0o600 });
    expect(stat(f, '/home/dev/app/.claude/settings.local.json')).toEqual({ uid: UID, gid: UID, mode: 0o640 });
  });

  it('a user file created in user mode belongs to the user (folder 0755, file 0600: it holds the gateway credential)', () => {
    const f = machine({ enforceIn: 'user' });
    const rep = f.json('repair');
    expect(rep.code, rep.stdout.slice(0, 2000)).toBe(0);
    expect(fileOf(rep, '/home/dev/.claude/settings.json').state).toBe('repaired');
    expect(stat(f, '/home/dev/.claude')).toEqual({ uid: UID, gid: UID, mode: 0o755 });
    // The file holds the policy's env, gateway token included: only its user may read it.
    expect(stat(f, '/home/dev/.claude/settings.json')).toEqual({ uid: UID, gid: UID, mode: 0o600 });
  });

  it('a settings file owned by another uid in the home is unsafe (foreign-owner) and untouched', () => {
    const f = machine({}, (f) => {
      f.put('/home/dev/.claude.json', JSON.stringify({ projects: { '/home/dev/shared': {} } }));
      f.put('/home/dev/shared/.claude/settings.json', '{"model":"claude-opus-4-5"}\n', 0o644);
    });
    fs.chownSync(f.host('/home/dev/shared/.claude/settings.json'), OTHER, OTHER);
    const before = snapshotTree(f.host('/home/dev'));
    const rep = f.json('repair');
    expect(rep.code).toBe(1); // Claude Code still reads its model
    const file = fileOf(rep, '/home/dev/shared/.claude/settings.json');
    expect(file.state).toBe('unsafe');
    expect(codes(file)).toContain('foreign-owner');
    expect(userOf(rep, 'dev')!.compliant).toBe(false);
    expect(snapshotTree(f.host('/home/dev'))).toEqual(before);
    expect(stat(f, '/home/dev/shared/.claude/settings.json').uid).toBe(OTHER);
  });

  it('a folder its owner cannot write stops the write (the kernel checks the user, not root)', () => {
    const f = machine({}, (f) => {
      f.put('/home/dev/.claude/settings.json', '{"model":"claude-opus-4-5"}\n', 0o644);
    });
    fs.chmodSync(f.host('/home/dev/.claude'), 0o555); // root could still write here; uid 4242 cannot
    try {
      const before = snapshotTree(f.host('/home/dev'));
      const rep = f.json('repair');
      expect(rep.code).toBe(1);
      const file = fileOf(rep, '/home/dev/.claude/settings.json');
      expect(file.state).toBe('error');
      expect(JSON.stringify(file)).toMatch(/EACCES/);
      expect(snapshotTree(f.host('/home/dev'))).toEqual(before);
    } finally {
      fs.chmodSync(f.host('/home/dev/.claude'), 0o755);
    }
  });
});

/** The CLI run by uid 4242 itself (a per-user agent without admin rights). */
function runAsUser(f: Fixture, ...args: string[]) {
  const r = spawnSync(testNode, [bundle, ...args, '--root', f.root, '--platform', 'linux', '--policy', f.policyPath], {
    uid: UID, gid: UID, encoding: 'utf8', env: {}, cwd: '/', timeout: 60_000,
  });
  let json: any = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

describe.skipIf(!isRoot)('run by the user itself, without admin rights (skipped unless run as root: needs a second uid)', () => {
  it('user mode with a state dir it can write: repairs its own file; managed mode: the drop-in fails, exit 1', () => {
    const f = machine({ enforceIn: 'user' }, (f) => {
      f.put('/home/dev/.claude/settings.json', USER_TEXT, 0o600);
      fs.mkdirSync(f.host('/home/dev/.local/state/ccfleet'), { recursive: true });
    });
    const state = f.host('/home/dev/.local/state/ccfleet');
    const rep = runAsUser(f, 'repair', '--json', '--state-dir', state);
    expect(rep.code, rep.stderr + rep.stdout.slice(0, 1500)).toBe(0);
    expect(fileOf(rep as never, '/home/dev/.claude/settings.json').state).toBe('repaired');
    expect(stat(f, '/home/dev/.claude/settings.json')).toEqual({ uid: UID, gid: UID, mode: 0o600 });
    expect(fs.readdirSync(path.join(state, 'backups')).length).toBe(1);

    f.setPolicy({});
    const managed = runAsUser(f, 'repair', '--json', '--state-dir', state);
    expect(managed.code).toBe(1);
    const dropin = fileOf(managed as never, '/etc/claude-code/managed-settings.d/50-ccfleet.json');
    expect(dropin.state).toBe('error');
    expect(JSON.stringify(dropin)).toMatch(/EACCES/);
    expect(fs.existsSync(f.host('/etc/claude-code/managed-settings.d'))).toBe(false);
  });

  it('with the default state dir (root-owned /var/lib/ccfleet): exit 2 before anything is written', () => {
    const f = machine({ enforceIn: 'user' }, (f) => {
      f.put('/home/dev/.claude/settings.json', USER_TEXT, 0o600);
    });
    fs.mkdirSync(f.host('/var/lib'), { recursive: true });
    const before = f.snap();
    const rep = runAsUser(f, 'repair');
    expect(rep.code).toBe(2);
    expect(rep.stderr).toMatch(/^ccfleet: WRITE_FAILED: [^\n]*var\/lib\/ccfleet[^\n]*EACCES\n$/);
    expect(f.snap()).toEqual(before);
  });
});
