/**
 * writeFileSafely in this process (owner null: the managed drop-in case, or a non-root agent): atomic
 * create/replace/delete keeping mode (and, as root, owner), `changed` when the file moved on since it was
 * planned, every refusal leaving every byte of the tree untouched, and clean-up of stale temp files.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectFile } from '../../src/agent/fs-safety.js';
import { writeFileSafely, type WriteRequest } from '../../src/agent/safe-write.js';
import { snapshotTree } from '../support/tree.js';

const isRoot = process.getuid?.() === 0;
const posix = process.platform !== 'win32';
const NO_HELPER = { helper: null };
const modeOf = (p: string): number => fs.statSync(p).mode & 0o7777;
const statOf = (p: string) => {
  const st = fs.lstatSync(p);
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
};

describe('writeFileSafely (in-process)', () => {
  let base: string;
  let home: string;
  let file: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-write-'));
    home = path.join(base, 'home');
    fs.mkdirSync(home);
    file = path.join(home, '.claude', 'settings.json');
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));
  const req = (over: Partial<WriteRequest> = {}): WriteRequest => ({
    hostPath: file,
    text: '{\n  "env": {}\n}\n',
    owner: null,
    createMode: 0o600,
    trustedAncestor: home,
    expected: null,
    ...over,
  });

  it('a trusted folder gone since the plan (a project deleted mid-pass) is `changed`, not an error, and nothing is created', async () => {
    const project = path.join(base, 'proj');
    fs.mkdirSync(path.join(project, '.claude'), { recursive: true });
    const target = path.join(project, '.claude', 'settings.json');
    fs.writeFileSync(target, '{"model":"opus"}\n');
    const expected = statOf(target);
    fs.rmSync(project, { recursive: true });
    const r = await writeFileSafely(req({ hostPath: target, trustedAncestor: project, expected }), NO_HELPER);
    expect(r).toMatchObject({ ok: false, code: 'changed' });
    expect(fs.existsSync(project)).toBe(false);
    expect(await writeFileSafely(req({ hostPath: target, trustedAncestor: project, text: null }), NO_HELPER)).toEqual({ ok: true });
  });

  it('a folder deleted since the plan is never re-created for a rewrite (a user\'s rm -rf must win)', async () => {
    fs.mkdirSync(path.join(home, 'proj', '.claude'), { recursive: true });
    const target = path.join(home, 'proj', '.claude', 'settings.json');
    fs.writeFileSync(target, '{"model":"opus"}\n');
    const expected = statOf(target);
    fs.rmSync(path.join(home, 'proj', '.claude'), { recursive: true });
    const r = await writeFileSafely(req({ hostPath: target, expected }), NO_HELPER);
    expect(r).toMatchObject({ ok: false, code: 'changed' });
    expect(fs.existsSync(path.join(home, 'proj', '.claude'))).toBe(false);
  });

  it('creates the file with createMode and the missing folders with mode 0755, whatever the umask', async () => {
    const old = process.umask(0o077);
    try {
      expect(await writeFileSafely(req({ createMode: 0o644 }), NO_HELPER)).toEqual({ ok: true });
    } finally {
      process.umask(old);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('{\n  "env": {}\n}\n');
    if (posix) {
      expect(modeOf(file)).toBe(0o644);
      expect(modeOf(path.dirname(file))).toBe(0o755);
    }
    expect(await writeFileSafely(req({ hostPath: path.join(home, 'p', '.claude', 'x.json'), dirMode: 0o700 }), NO_HELPER)).toEqual({ ok: true });
    if (posix) expect(modeOf(path.join(home, 'p'))).toBe(0o700);
  });

  it('replaces an existing file keeping its mode, with exactly the new bytes (unicode, CRLF, BOM)', async () => {
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, '{"model":"opus"}');
    fs.chmodSync(file, 0o604);
    const text = '\uFEFF{\r\n  "a": "é☃𝄞"\r\n}\r\n';
    expect(await writeFileSafely(req({ text, createMode: 0o600, expected: statOf(file) }), NO_HELPER)).toEqual({ ok: true });
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    if (posix) expect(modeOf(file)).toBe(0o604);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['settings.json']);
  });

  it.skipIf(!isRoot)('as root, keeps the owner and group of an existing file (skipped when not root: needs chown)', async () => {
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, '{}');
    fs.chownSync(file, 4242, 4343);
    expect(await writeFileSafely(req({ expected: statOf(file) }), NO_HELPER)).toEqual({ ok: true });
    const st = fs.statSync(file);
    expect([st.uid, st.gid]).toEqual([4242, 4343]);
  });

  it.skipIf(!isRoot)('as root, creates the managed drop-in root-owned 0644 (owner uid 0 stays in-process)', async () => {
    const managed = path.join(base, 'etc', 'claude-code');
    fs.mkdirSync(managed, { recursive: true });
    const dropin = path.join(managed, 'managed-settings.d', '50-ccfleet.json');
    const r = await writeFileSafely(req({ hostPath: dropin, owner: { uid: 0, gid: 0 }, createMode: 0o644, trustedAncestor: managed }), NO_HELPER);
    expect(r).toEqual({ ok: true });
    const st = fs.statSync(dropin);
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([0, 0, 0o644]);
  });

  describe('changed since planned → nothing written', () => {
    it('a file appeared where none was planned', async () => {
      fs.mkdirSync(path.dirname(file));
      fs.writeFileSync(file, '{"user":"wrote this"}');
      const before = snapshotTree(base);
      const r = await writeFileSafely(req({ expected: null }), NO_HELPER);
      expect(r).toMatchObject({ ok: false, code: 'changed' });
      expect(snapshotTree(base)).toEqual(before);
    });

    it('the file was edited after the plan', async () => {
      fs.mkdirSync(path.dirname(file));
      fs.writeFileSync(file, '{"model":"opus"}');
      const planned = statOf(file);
      fs.writeFileSync(file, '{"model":"opus", "theme":"dark"}');
      const before = snapshotTree(base);
      expect(await writeFileSafely(req({ expected: planned }), NO_HELPER)).toMatchObject({ ok: false, code: 'changed' });
      expect(snapshotTree(base)).toEqual(before);
    });

    it('the file was replaced by another of the same size (new inode)', async () => {
      fs.mkdirSync(path.dirname(file));
      fs.writeFileSync(file, '{"model":"opus"}');
      const planned = statOf(file);
      fs.writeFileSync(`${file}.new`, '{"model":"haik"}');
      fs.renameSync(`${file}.new`, file);
      expect(await writeFileSafely(req({ expected: planned }), NO_HELPER)).toMatchObject({ ok: false, code: 'changed' });
      expect(fs.readFileSync(file, 'utf8')).toBe('{"model":"haik"}');
    });

    it('the file was removed after the plan', async () => {
      fs.mkdirSync(path.dirname(file));
      fs.writeFileSync(file, '{}');
      const planned = statOf(file);
      fs.unlinkSync(file);
      expect(await writeFileSafely(req({ expected: planned }), NO_HELPER)).toMatchObject({ ok: false, code: 'changed' });
      expect(fs.existsSync(file)).toBe(false);
    });
  });

  describe('delete (text null)', () => {
    it('removes the file', async () => {
      fs.mkdirSync(path.dirname(file));
      fs.writeFileSync(file, '{}');
      expect(await writeFileSafely(req({ text: null, expected: statOf(file) }), NO_HELPER)).toEqual({ ok: true });
      expect(fs.existsSync(file)).toBe(false);
    });

    it('is a no-op for an absent file and creates no folder', async () => {
      expect(await writeFileSafely(req({ text: null, expected: null }), NO_HELPER)).toEqual({ ok: true });
      expect(fs.readdirSync(home)).toEqual([]);
    });

    it.skipIf(!posix)('refuses to delete through a symlink, and touches nothing', async () => {
      fs.mkdirSync(path.dirname(file));
      const outside = path.join(base, 'outside.json');
      fs.writeFileSync(outside, '{"keep":true}');
      fs.symlinkSync(outside, file);
      const before = snapshotTree(base);
      const r = await writeFileSafely(req({ text: null, expected: statOf(file) }), NO_HELPER);
      expect(r).toMatchObject({ ok: false, code: 'unsafe', findings: [{ code: 'symlink' }] });
      expect(snapshotTree(base)).toEqual(before);
    });
  });

  describe('refusals leave every byte of the tree (target and link destinations) untouched', () => {
    const refuse = async (request: WriteRequest, code: string): Promise<void> => {
      const before = snapshotTree(base);
      const r = await writeFileSafely(request, NO_HELPER);
      expect(r).toMatchObject({ ok: false, code: 'unsafe' });
      expect(!r.ok && r.findings?.map((f) => f.code)).toContain(code);
      expect(snapshotTree(base)).toEqual(before);
    };

    it.skipIf(!posix)('the target is a symlink to a file outside', async () => {
      fs.mkdirSync(path.dirname(file));
      const outside = path.join(base, 'etc-shadow');
      fs.writeFileSync(outside, 'root:secret\n');
      fs.symlinkSync(outside, file);
      await refuse(req({ expected: statOf(file) }), 'symlink');
      await refuse(req({ expected: null }), 'symlink');
    });

    it.skipIf(!posix)('the ~/.claude folder is a symlink', async () => {
      const elsewhere = path.join(base, 'elsewhere');
      fs.mkdirSync(elsewhere);
      fs.writeFileSync(path.join(elsewhere, 'settings.json'), '{"model":"opus"}');
      fs.symlinkSync(elsewhere, path.join(home, '.claude'));
      await refuse(req({ expected: statOf(path.join(elsewhere, 'settings.json')) }), 'symlink');
      await refuse(req({ hostPath: path.join(home, '.claude', 'new.json') }), 'symlink');
    });

    it('the target has a second hard link', async () => {
      fs.mkdirSync(path.dirname(file));
      fs.writeFileSync(file, '{"model":"opus"}');
      fs.linkSync(file, path.join(base, 'other-name'));
      await refuse(req({ expected: statOf(file) }), 'hardlink');
    });

    it('the target is not a regular file (a folder, a FIFO)', async () => {
      fs.mkdirSync(file, { recursive: true });
      fs.writeFileSync(path.join(file, 'inside'), 'x');
      await refuse(req({ expected: statOf(file) }), 'not-regular');
      if (posix) {
        fs.rmSync(file, { recursive: true });
        execFileSync('mkfifo', [file]);
        await refuse(req({ expected: statOf(file) }), 'not-regular');
      }
    });

    it('a path component below the trusted folder is a file', async () => {
      fs.writeFileSync(path.join(home, '.claude'), 'not a folder');
      await refuse(req(), 'not-regular');
    });

    it('the target is outside its trusted folder', async () => {
      await refuse(req({ hostPath: path.join(base, 'x.json') }), 'outside-trusted');
    });
  });

  it('removes temp files of a killed writer (dead pid), keeps a live writer’s and anything not ours', async () => {
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, '{}');
    const dir = path.dirname(file);
    const dead = path.join(dir, '.settings.json.ccfleet-tmp-2147483646-deadbeef');
    const live = path.join(dir, `.settings.json.ccfleet-tmp-${process.pid}-0badf00d`);
    const other = path.join(dir, '.other.json.ccfleet-tmp-2147483646-deadbeef');
    const unrelated = path.join(dir, '.settings.json.bak');
    for (const p of [dead, live, other, unrelated]) fs.writeFileSync(p, 'partial');
    expect(await writeFileSafely(req({ expected: statOf(file) }), NO_HELPER)).toEqual({ ok: true });
    expect(fs.readdirSync(dir).sort()).toEqual(['.other.json.ccfleet-tmp-2147483646-deadbeef', '.settings.json.bak', path.basename(live), 'settings.json'].sort());
  });

  it('a write followed by inspect gives what was written, and a second identical plan sees a new stat', async () => {
    expect(await writeFileSafely(req(), NO_HELPER)).toEqual({ ok: true });
    const i = inspectFile(file, { trustedAncestor: home, owner: null });
    expect(i.text).toBe('{\n  "env": {}\n}\n');
    expect(await writeFileSafely(req({ text: '{}\n', expected: i.stat }), NO_HELPER)).toEqual({ ok: true });
  });
});
