/** The real FsView over node:fs: mapping under a root, never throwing, the size cap, FIFOs, owners. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeFsView, DEFAULT_MAX_READ_BYTES } from '../../src/platform/node-fs-view.js';

const posixHost = process.platform !== 'win32';

describe('createNodeFsView', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-fsview-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
  const put = (rel: string, text: string | Buffer) => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return p;
  };

  it('reads POSIX machine paths under the root', () => {
    put('etc/passwd', 'root:x:0:0::/root:/bin/sh\n');
    put('home/a/.claude.json', '\ufeff{"é": 1}');
    const v = createNodeFsView(root, 'linux');
    expect(v.readText('/etc/passwd')).toBe('root:x:0:0::/root:/bin/sh\n');
    expect(v.readText('/home/a/.claude.json')).toBe('\ufeff{"é": 1}');
    expect(v.listDir('/home/a')).toEqual(['.claude.json']);
    expect(v.isDir('/home/a')).toBe(true);
    expect(v.isDir('/home/a/.claude.json')).toBe(false);
    expect(v.exists('/home/a/.claude.json')).toBe(true);
    expect(v.exists('/home/b')).toBe(false);
  });

  it('maps Windows drives: C:\\ is the root, D:\\ is <root>/D, either slash and case', () => {
    put('Users/a/.claude.json', 'c');
    put('D/src/x.json', 'd');
    const v = createNodeFsView(root, 'windows');
    expect(v.readText('C:\\Users\\a\\.claude.json')).toBe('c');
    expect(v.readText('c:/Users/a/.claude.json')).toBe('c');
    expect(v.readText('D:\\src\\x.json')).toBe('d');
    expect(v.readText('d:/src/x.json')).toBe('d');
    expect(v.listDir('C:\\')).toEqual(['D', 'Users']);
  });

  it('lists folders sorted', () => {
    for (const n of ['b', 'a', 'c']) put(`dir/${n}`, '');
    expect(createNodeFsView(root, 'linux').listDir('/dir')).toEqual(['a', 'b', 'c']);
  });

  it('returns null/false instead of throwing', () => {
    put('file', 'x');
    fs.mkdirSync(path.join(root, 'dir'));
    const v = createNodeFsView(root, 'linux');
    expect(v.readText('/missing')).toBeNull();
    expect(v.readText('/dir')).toBeNull();
    expect(v.readText('/file/below')).toBeNull();
    expect(v.readText('/bad\0name')).toBeNull();
    expect(v.listDir('/file')).toBeNull();
    expect(v.listDir('/missing')).toBeNull();
    expect(v.isDir('/missing')).toBe(false);
    expect(v.isDir('/bad\0name')).toBe(false);
    expect(v.exists('/bad\0name')).toBe(false);
    expect(v.owner('/missing')).toBeNull();
  });

  it('refuses files over the size cap (default 16 MiB)', () => {
    expect(DEFAULT_MAX_READ_BYTES).toBe(16 * 1024 * 1024);
    put('small', 'x'.repeat(1024));
    put('big', 'x'.repeat(1025));
    put('empty', '');
    const v = createNodeFsView(root, 'linux', { maxBytes: 1024 });
    expect(v.readText('/small')).toHaveLength(1024);
    expect(v.readText('/big')).toBeNull();
    expect(v.readText('/empty')).toBe('');
  });

  it.runIf(posixHost)('follows symlinks for reads, existence and owners; a dangling link does not exist', () => {
    put('real/settings.json', '{"a":1}');
    fs.symlinkSync(path.join(root, 'real'), path.join(root, 'link'));
    fs.symlinkSync(path.join(root, 'nowhere'), path.join(root, 'dangling'));
    const v = createNodeFsView(root, 'linux');
    expect(v.readText('/link/settings.json')).toBe('{"a":1}');
    expect(v.isDir('/link')).toBe(true);
    expect(v.exists('/dangling')).toBe(false);
    expect(v.readText('/dangling')).toBeNull();
  });

  it.runIf(posixHost)('does not hang on a FIFO where a file should be', () => {
    const fifo = path.join(root, 'settings.json');
    execFileSync('mkfifo', [fifo]);
    expect(createNodeFsView(root, 'linux').readText('/settings.json')).toBeNull();
  });

  it.runIf(posixHost)('reports the owner of a path', () => {
    const p = put('home/a/x', '');
    if (process.getuid?.() === 0) fs.chownSync(path.dirname(p), 1234, 5678);
    const want = process.getuid?.() === 0 ? { uid: 1234, gid: 5678 } : { uid: process.getuid?.(), gid: process.getgid?.() };
    expect(createNodeFsView(root, 'darwin').owner('/home/a')).toEqual(want);
  });

  it('uses machine paths as they are without a root', () => {
    const p = put('plain.txt', 'plain');
    expect(createNodeFsView(null, 'linux').readText(p)).toBe('plain');
  });

  it.runIf(posixHost)('never resolves a path that is not absolute on this host against the working folder', () => {
    put('C:\\Users\\a\\x.json', 'relative');
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const v = createNodeFsView(null, 'windows');
      expect(v.readText('C:\\Users\\a\\x.json')).toBeNull();
      expect(v.exists('C:\\Users\\a\\x.json')).toBe(false);
      expect(v.listDir('C:\\Users')).toBeNull();
    } finally {
      process.chdir(cwd);
    }
  });
});
