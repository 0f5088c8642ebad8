/**
 * `ccfleet restore` after a repair: --list shows the backups, --dry-run writes nothing, a restore puts back
 * the exact original bytes (and mode, also for a file deleted since), a later check sees the drift again,
 * --path <p> --latest undoes only the last change, and a path without a backup is BACKUP_NOT_FOUND (exit 2).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileOf, fixture, type Fixture } from './e2e-fixture.js';

const USER = '/home/alice/.claude/settings.json';
const PROJ = '/home/alice/app/.claude/settings.json';
const USER_TEXT = '{\n    "model": "claude-opus-4-5",\n    "theme": "dark"\n}';
const PROJ_TEXT = '{"model":"sonnet","permissions":{"allow":["Bash(ls)"]}}\r\n';

describe('restore', () => {
  let f: Fixture;
  const mode = (p: string) => fs.statSync(f.host(p)).mode & 0o777;
  beforeAll(() => {
    f = fixture('linux', [{ name: 'alice' }]);
    f.put(USER, USER_TEXT, 0o600);
    f.put('/home/alice/.claude.json', JSON.stringify({ projects: { '/home/alice/app': {} } }));
    f.put(PROJ, PROJ_TEXT, 0o644);
  });
  afterAll(() => f.cleanup());

  it('--list shows what repair backed up (nothing before)', () => {
    expect(f.run('restore', '--list').stdout).toBe('no backups\n');
    expect(f.run('repair').code).toBe(0);
    const list = f.json('restore', '--list');
    expect(list.code).toBe(0);
    expect(list.json.backups.map((b: { path: string }) => b.path).sort()).toEqual([PROJ, USER].sort());
    expect(list.json.backups.find((b: { path: string }) => b.path === USER)).toMatchObject({ mode: 0o600, size: Buffer.byteLength(USER_TEXT) });
    const text = f.run('restore', '--list');
    expect(text.stdout).toMatch(/^TAKEN\s+FILE\s+BYTES\s+SHA256\s+ID\n/);
    expect(text.stdout).toContain(USER);
    const one = f.json('restore', '--list', '--path', USER);
    expect(one.json.backups.map((b: { path: string }) => b.path)).toEqual([USER]);
  });

  it('--dry-run says what it would restore and writes nothing', () => {
    const before = f.snap();
    const r = f.json('restore', '--dry-run');
    expect(r.code).toBe(0);
    expect(Object.fromEntries(r.json.restored.map((x: { path: string; state: string }) => [x.path, x.state]))).toEqual({ [PROJ]: 'would-restore', [USER]: 'would-restore' });
    expect(f.snap()).toEqual(before);
  });

  it('restore puts back the exact original bytes and modes; check then reports the drift again', () => {
    const r = f.json('restore');
    expect(r.code, r.stdout).toBe(0);
    expect(r.json.restored.every((x: { state: string }) => x.state === 'restored')).toBe(true);
    expect(f.read(USER)).toBe(USER_TEXT);
    expect(f.read(PROJ)).toBe(PROJ_TEXT);
    expect(mode(USER)).toBe(0o600);
    expect(mode(PROJ)).toBe(0o644);
    const check = f.json('check');
    expect(check.code).toBe(1);
    expect(fileOf(check, USER).state).toBe('drifted');
    // restoring again is a no-op
    const before = f.snap();
    const again = f.json('restore');
    expect(again.json.restored.every((x: { state: string }) => x.state === 'unchanged')).toBe(true);
    expect(f.snap()).toEqual(before);
  });

  it('--path <p> --latest undoes only the last change; without --latest the original comes back', () => {
    expect(f.run('repair').code).toBe(0); // same content as the first backup: no new entry
    expect(f.json('restore', '--list', '--path', USER).json.backups).toHaveLength(1);
    const edited = '{\n    "model": "haiku",\n    "theme": "light"\n}';
    f.put(USER, edited);
    expect(f.run('repair').code).toBe(0);
    expect(f.json('restore', '--list', '--path', USER).json.backups).toHaveLength(2);

    const latest = f.json('restore', '--path', USER, '--latest');
    expect(latest.code).toBe(0);
    expect(latest.json.restored).toMatchObject([{ path: USER, state: 'restored' }]);
    expect(f.read(USER)).toBe(edited);
    expect(f.read(PROJ)).not.toContain('model'); // other files are left alone
    expect(f.run('restore', '--path', USER).code).toBe(0);
    expect(f.read(USER)).toBe(USER_TEXT);
  });

  it('a file deleted since is recreated with its original mode', () => {
    fs.rmSync(f.host(USER));
    const r = f.json('restore', '--path', USER);
    expect(r.code).toBe(0);
    expect(f.read(USER)).toBe(USER_TEXT);
    expect(mode(USER)).toBe(0o600);
  });

  it('a path with no backup: exit 2 BACKUP_NOT_FOUND, nothing written (not even the paths that have one)', () => {
    f.put(USER, '{}');
    const before = f.snap();
    const r = f.run('restore', '--path', USER, '--path', '/home/alice/other.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ccfleet: BACKUP_NOT_FOUND: no backup of \/home\/alice\/other\.json[^\n]*\n$/);
    expect(r.stdout).toBe('');
    expect(f.snap()).toEqual(before);
  });
});
