/**
 * As root writing inside another user's home, the write runs in a child with that user's uid/gid (the
 * helper is src/agent/write-child-main.ts bundled by esbuild). Proves the kernel enforces the user's own
 * rights: a folder the user cannot write makes the write fail with `io` although root could write there.
 * Needs root (a second uid, 4242, with no passwd entry: numeric chown) — skipped otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSafely, type WriteDeps, type WriteRequest } from '../../src/agent/safe-write.js';
import { bundleWriteHelper, type Bundle } from '../support/bundle.js';
import { snapshotTree } from '../support/tree.js';

const isRoot = process.getuid?.() === 0;
const USER = { uid: 4242, gid: 4242 };
const statOf = (p: string) => {
  const st = fs.lstatSync(p);
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
};
const ownerOf = (p: string): [number, number, number] => {
  const st = fs.lstatSync(p);
  return [st.uid, st.gid, st.mode & 0o7777];
};

describe.skipIf(!isRoot)('writeFileSafely as root for another uid (needs root: skipped when not root)', () => {
  let helper: Bundle;
  let deps: WriteDeps;
  let base: string;
  let home: string;
  let claude: string;
  let file: string;
  beforeAll(async () => {
    helper = await bundleWriteHelper();
    deps = { helper: helper.argv };
  });
  afterAll(() => helper?.cleanup());
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-asuser-'));
    fs.chmodSync(base, 0o755); // the user must be able to reach their home
    home = path.join(base, 'home', 'u4242');
    fs.mkdirSync(home, { recursive: true, mode: 0o755 });
    fs.chownSync(home, USER.uid, USER.gid);
    fs.chmodSync(home, 0o750);
    claude = path.join(home, '.claude');
    file = path.join(claude, 'settings.json');
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));
  const req = (over: Partial<WriteRequest> = {}): WriteRequest => ({
    hostPath: file,
    text: '{\n  "permissions": {}\n}\n',
    owner: USER,
    createMode: 0o600,
    trustedAncestor: home,
    expected: null,
    ...over,
  });
  const mkClaude = (): void => {
    fs.mkdirSync(claude);
    fs.chownSync(claude, USER.uid, USER.gid);
  };
  const userFile = (p: string, text: string, mode = 0o644): void => {
    fs.writeFileSync(p, text);
    fs.chownSync(p, USER.uid, USER.gid);
    fs.chmodSync(p, mode);
  };

  it('creates ~/.claude (0755) and the file (createMode) owned by the user', async () => {
    expect(await writeFileSafely(req(), deps)).toEqual({ ok: true });
    expect(fs.readFileSync(file, 'utf8')).toBe('{\n  "permissions": {}\n}\n');
    expect(ownerOf(claude)).toEqual([4242, 4242, 0o755]);
    expect(ownerOf(file)).toEqual([4242, 4242, 0o600]);
  });

  it('replaces an existing file keeping its owner and mode', async () => {
    mkClaude();
    userFile(file, '{"model":"claude-opus-4-1"}', 0o640);
    expect(await writeFileSafely(req({ expected: statOf(file) }), deps)).toEqual({ ok: true });
    expect(ownerOf(file)).toEqual([4242, 4242, 0o640]);
    expect(fs.readdirSync(claude)).toEqual(['settings.json']);
  });

  it('runs in a child with the user’s rights: a folder the user cannot write fails with io, though root could write it', async () => {
    mkClaude();
    userFile(file, '{"model":"opus"}');
    fs.chmodSync(claude, 0o555);
    const probe = path.join(claude, 'root-can-write');
    fs.writeFileSync(probe, 'x'); // root bypasses the mode bits...
    fs.unlinkSync(probe);
    const before = snapshotTree(base);
    const r = await writeFileSafely(req({ expected: statOf(file) }), deps);
    expect(r).toMatchObject({ ok: false, code: 'io' }); // ...the user's write child does not
    expect(!r.ok && r.message).toMatch(/EACCES/);
    expect(snapshotTree(base)).toEqual(before);
  });

  it('refuses without a helper rather than writing as root', async () => {
    const before = snapshotTree(base);
    const r = await writeFileSafely(req(), { helper: null });
    expect(r).toMatchObject({ ok: false, code: 'unsafe' });
    expect(snapshotTree(base)).toEqual(before);
  });

  it('reports a helper that cannot run as io', async () => {
    const r = await writeFileSafely(req(), { helper: [path.join(base, 'no-such-binary')] });
    expect(r).toMatchObject({ ok: false, code: 'io' });
    expect(fs.existsSync(claude)).toBe(false);
  });

  describe('refusals leave every byte untouched (checked in the user’s child)', () => {
    const refuse = async (request: WriteRequest, code: string): Promise<void> => {
      const before = snapshotTree(base);
      const r = await writeFileSafely(request, deps);
      expect(r).toMatchObject({ ok: false, code: 'unsafe' });
      expect(!r.ok && r.findings?.map((f) => f.code)).toContain(code);
      expect(snapshotTree(base)).toEqual(before);
    };

    it('settings.json is a symlink to a root file outside the home', async () => {
      mkClaude();
      const target = path.join(base, 'shadow');
      fs.writeFileSync(target, 'root:x:0:0\n', { mode: 0o644 });
      fs.symlinkSync(target, file);
      fs.lchownSync(file, USER.uid, USER.gid);
      await refuse(req({ expected: statOf(file) }), 'symlink');
    });

    it('~/.claude is a symlink (to a folder the user owns)', async () => {
      const elsewhere = path.join(home, 'elsewhere');
      fs.mkdirSync(elsewhere);
      fs.chownSync(elsewhere, USER.uid, USER.gid);
      userFile(path.join(elsewhere, 'settings.json'), '{"model":"opus"}');
      fs.symlinkSync(elsewhere, claude);
      fs.lchownSync(claude, USER.uid, USER.gid);
      await refuse(req({ expected: statOf(path.join(elsewhere, 'settings.json')) }), 'symlink');
    });

    it('~/.claude is a symlink to a root-owned folder', async () => {
      const etc = path.join(base, 'etc');
      fs.mkdirSync(etc);
      fs.writeFileSync(path.join(etc, 'settings.json'), '{}');
      fs.symlinkSync(etc, claude);
      fs.lchownSync(claude, USER.uid, USER.gid);
      await refuse(req({ expected: statOf(path.join(etc, 'settings.json')) }), 'symlink');
    });

    it('settings.json is a hard link to another file', async () => {
      mkClaude();
      userFile(file, '{"model":"opus"}');
      fs.linkSync(file, path.join(home, 'second-name'));
      await refuse(req({ expected: statOf(file) }), 'hardlink');
    });

    it('settings.json belongs to another user', async () => {
      mkClaude();
      fs.writeFileSync(file, '{"model":"opus"}');
      fs.chownSync(file, 4243, 4243);
      await refuse(req({ expected: statOf(file) }), 'foreign-owner');
    });

    it('settings.json belongs to root', async () => {
      mkClaude();
      fs.writeFileSync(file, '{"model":"opus"}');
      await refuse(req({ expected: statOf(file) }), 'foreign-owner');
    });

    it('~/.claude belongs to root', async () => {
      fs.mkdirSync(claude);
      userFile(file, '{"model":"opus"}');
      await refuse(req({ expected: statOf(file) }), 'foreign-owner');
    });

    it('settings.json is not a regular file', async () => {
      mkClaude();
      fs.mkdirSync(file);
      fs.chownSync(file, USER.uid, USER.gid);
      await refuse(req({ expected: statOf(file) }), 'not-regular');
    });
  });

  describe('the group of an existing file (the child has only the user’s primary group)', () => {
    it('is kept when the folder is setgid to that group', async () => {
      mkClaude();
      fs.chownSync(claude, USER.uid, 4343);
      fs.chmodSync(claude, 0o2775);
      userFile(file, '{"model":"opus"}', 0o664);
      fs.chownSync(file, USER.uid, 4343);
      expect(await writeFileSafely(req({ expected: statOf(file) }), deps)).toEqual({ ok: true });
      expect(ownerOf(file)).toEqual([4242, 4343, 0o664]);
    });

    it('becomes the user’s group when the old group had no right others lack', async () => {
      mkClaude();
      userFile(file, '{"model":"opus"}', 0o644);
      fs.chownSync(file, USER.uid, 4343);
      expect(await writeFileSafely(req({ expected: statOf(file) }), deps)).toEqual({ ok: true });
      expect(ownerOf(file)).toEqual([4242, 4242, 0o644]);
    });

    it('is never silently taken from a group that shares the file (foreign-group, untouched)', async () => {
      mkClaude();
      userFile(file, '{"model":"opus"}', 0o660);
      fs.chownSync(file, USER.uid, 4343);
      const before = snapshotTree(base);
      const r = await writeFileSafely(req({ expected: statOf(file) }), deps);
      expect(r).toMatchObject({ ok: false, code: 'unsafe', findings: [{ code: 'foreign-group' }] });
      expect(snapshotTree(base)).toEqual(before);
    });
  });

  it('deletes as the user too', async () => {
    mkClaude();
    userFile(file, '{}');
    expect(await writeFileSafely(req({ text: null, expected: statOf(file) }), deps)).toEqual({ ok: true });
    expect(fs.existsSync(file)).toBe(false);
  });
});
