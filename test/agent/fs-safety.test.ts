/**
 * inspectFile: what Claude Code would read, and every reason not to write (symlinks on the file or a folder
 * below the trusted one, hard links, foreign owners, non-regular files), without ever blocking or throwing
 * on I/O. Real files in a temp dir; ownership cases need root (skipped with the reason otherwise).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectFile } from '../../src/agent/fs-safety.js';
import { CcfleetError } from '../../src/core/errors.js';

const isRoot = process.getuid?.() === 0;
const posix = process.platform !== 'win32';
const codes = (i: { unsafe: { code: string }[] }): string[] => i.unsafe.map((f) => f.code);

describe('inspectFile', () => {
  let base: string;
  let home: string;
  let file: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-inspect-'));
    home = path.join(base, 'home');
    fs.mkdirSync(path.join(home, '.claude'), { recursive: true });
    file = path.join(home, '.claude', 'settings.json');
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));
  const inspect = (p = file, extra: Partial<Parameters<typeof inspectFile>[1]> = {}) =>
    inspectFile(p, { trustedAncestor: home, owner: null, ...extra });

  it('reports an absent file, and an absent folder, as absent and safe', () => {
    expect(inspect()).toEqual({ exists: false, text: null, unsafe: [], stat: null });
    expect(inspect(path.join(home, 'proj', '.claude', 'settings.json'))).toEqual({ exists: false, text: null, unsafe: [], stat: null });
  });

  it('reads a regular file and returns its lstat', () => {
    fs.writeFileSync(file, '\uFEFF{"model":"opus"}\n', { mode: 0o640 });
    fs.chmodSync(file, 0o640);
    const i = inspect();
    expect(i.exists).toBe(true);
    expect(i.text).toBe('\uFEFF{"model":"opus"}\n');
    expect(i.unsafe).toEqual([]);
    const st = fs.lstatSync(file);
    expect(i.stat).toEqual({ mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs, ino: st.ino, size: st.size, nlink: 1 });
    expect(i.stat!.mode & 0o7777).toBe(0o640);
  });

  it.skipIf(!posix)('flags a symlinked file and still reads what Claude Code reads through it', () => {
    const outside = path.join(base, 'outside.json');
    fs.writeFileSync(outside, '{"model":"x"}');
    fs.symlinkSync(outside, file);
    const i = inspect();
    expect(codes(i)).toEqual(['symlink']);
    expect(i.text).toBe('{"model":"x"}');
    expect(i.stat!.mode & fs.constants.S_IFMT).toBe(fs.constants.S_IFLNK);
  });

  it.skipIf(!posix)('flags a symlinked folder below the trusted one (a symlinked ~/.claude)', () => {
    fs.rmSync(path.join(home, '.claude'), { recursive: true });
    const elsewhere = path.join(base, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'settings.json'), '{}');
    fs.symlinkSync(elsewhere, path.join(home, '.claude'));
    const i = inspect();
    expect(codes(i)).toEqual(['symlink']);
    expect(i.unsafe[0]!.message).toContain('.claude');
    expect(i.text).toBe('{}');
  });

  it.skipIf(!posix)('a symlink above the trusted folder is trusted', () => {
    const link = path.join(base, 'home-link');
    fs.symlinkSync(home, link);
    fs.writeFileSync(file, '{}');
    const i = inspectFile(path.join(link, '.claude', 'settings.json'), { trustedAncestor: link, owner: null });
    expect(i.unsafe).toEqual([]);
    expect(i.text).toBe('{}');
  });

  it.skipIf(!posix)('a dangling symlink exists, is unsafe and reads as nothing', () => {
    fs.symlinkSync(path.join(base, 'nowhere.json'), file);
    const i = inspect();
    expect(i).toMatchObject({ exists: true, text: null });
    expect(codes(i)).toEqual(['symlink']);
    expect(i.error).toBeUndefined();
  });

  it('flags a hard link', () => {
    fs.writeFileSync(file, '{}');
    fs.linkSync(file, path.join(base, 'other-name.json'));
    const i = inspect();
    expect(codes(i)).toEqual(['hardlink']);
    expect(i.stat!.nlink).toBe(2);
  });

  it('flags a folder where the file should be as not-regular', () => {
    fs.mkdirSync(file);
    const i = inspect();
    expect(i).toMatchObject({ exists: true, text: null });
    expect(codes(i)).toEqual(['not-regular']);
  });

  it('flags a file where a folder should be as not-regular', () => {
    fs.rmSync(path.join(home, '.claude'), { recursive: true });
    fs.writeFileSync(path.join(home, '.claude'), 'x');
    const i = inspect();
    expect(i.exists).toBe(false);
    expect(codes(i)).toEqual(['not-regular']);
  });

  it.skipIf(!posix)('never blocks on a FIFO, directly or through a symlink', () => {
    const fifo = path.join(base, 'fifo');
    execFileSync('mkfifo', [fifo]);
    fs.symlinkSync(fifo, file);
    const viaLink = inspect();
    expect(viaLink).toMatchObject({ exists: true, text: null });
    expect(codes(viaLink)).toEqual(['symlink']);
    fs.unlinkSync(file);
    execFileSync('mkfifo', [file]);
    const direct = inspect();
    expect(direct).toMatchObject({ exists: true, text: null });
    expect(codes(direct)).toEqual(['not-regular']);
  });

  it('reports a file over the size limit as an error, not as text', () => {
    fs.writeFileSync(file, '{"a":"0123456789"}');
    const i = inspect(file, { maxBytes: 10 });
    expect(i.text).toBeNull();
    expect(i.error).toMatch(/over the 10-byte limit/);
  });

  it('throws INTERNAL for a file outside its trusted folder (a caller bug)', () => {
    expect(() => inspectFile(path.join(base, 'x.json'), { trustedAncestor: home, owner: null })).toThrow(CcfleetError);
    expect(() => inspectFile(home, { trustedAncestor: home, owner: null })).toThrow(/not below/);
  });

  describe.skipIf(!isRoot)('ownership (needs root to chown; skipped when not root)', () => {
    const user = { uid: 4242, gid: 4242 };
    beforeEach(() => {
      fs.chownSync(home, user.uid, user.gid);
      fs.chownSync(path.join(home, '.claude'), user.uid, user.gid);
    });

    it('accepts files and folders owned by the owner', () => {
      fs.writeFileSync(file, '{}');
      fs.chownSync(file, user.uid, user.gid);
      expect(inspect(file, { owner: user }).unsafe).toEqual([]);
    });

    it('flags a file owned by someone else — root included', () => {
      fs.writeFileSync(file, '{}');
      expect(codes(inspect(file, { owner: user }))).toEqual(['foreign-owner']);
      fs.chownSync(file, 4243, user.gid);
      expect(codes(inspect(file, { owner: user }))).toEqual(['foreign-owner']);
    });

    it('flags a folder owned by someone else', () => {
      fs.chownSync(path.join(home, '.claude'), 0, 0);
      fs.writeFileSync(file, '{}');
      fs.chownSync(file, user.uid, user.gid);
      const i = inspect(file, { owner: user });
      expect(codes(i)).toEqual(['foreign-owner']);
      expect(i.unsafe[0]!.message).toContain('folder');
    });

    it('never reads, on the user’s behalf, a private file of someone else behind a symlink', () => {
      const secret = path.join(base, 'secret.json');
      fs.writeFileSync(secret, '{"model":"secret"}', { mode: 0o600 });
      fs.chmodSync(secret, 0o600);
      fs.symlinkSync(secret, file);
      fs.lchownSync(file, user.uid, user.gid);
      const hidden = inspect(file, { owner: user });
      expect(hidden.text).toBeNull();
      expect(codes(hidden)).toEqual(['symlink']);
      fs.chmodSync(secret, 0o644); // world-readable: Claude Code running as the user reads it too
      expect(inspect(file, { owner: user }).text).toBe('{"model":"secret"}');
    });
  });
});
