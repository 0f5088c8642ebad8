/**
 * The agent's private files: ensurePrivateDir names the folders whose entries it changed (to fsync);
 * writePrivateFileAtomic replaces a file; createPrivateFileAtomic creates one (0600) but never replaces
 * one; a failure throws WRITE_FAILED and leaves no temp file; privateDirExists refuses what
 * ensurePrivateDir refuses; removeStaleTemps sweeps only dead writers' temp files.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createdParents, createPrivateFileAtomic, ensurePrivateDir, privateDirExists, removeStaleTemps, writePrivateFileAtomic } from '../../src/agent/private-file.js';

const posix = process.platform !== 'win32';

/** A pid no process has: a child that already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

describe('private files', () => {
  let base: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-private-'));
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('ensurePrivateDir returns the parents of the folders it created, nothing when all exist', () => {
    const deep = path.join(base, 'a', 'b', 'c');
    expect(ensurePrivateDir(deep)).toEqual([base, path.join(base, 'a'), path.join(base, 'a', 'b')]);
    expect(ensurePrivateDir(deep)).toEqual([]);
    expect(ensurePrivateDir(path.join(deep, 'd'))).toEqual([deep]);
    if (posix) expect(fs.statSync(deep).mode & 0o777).toBe(0o700);
  });

  // Found under wine: Windows' mkdirSync(recursive) returns the first folder as `\\?\C:\…`; the old walk from
  // it down to the target never met the target and appended `C:` forever (the daemon hung at its first status
  // write, growing without bound).
  it('createdParents: Windows namespaced and differently-cased first folders, UNC, and a first folder not above the target', () => {
    const w = path.win32;
    expect(createdParents('\\\\?\\C:\\ProgramData\\ccfleet\\state', 'C:\\ProgramData\\ccfleet\\state\\daemon', w)).toEqual([
      'C:\\ProgramData\\ccfleet',
      'C:\\ProgramData\\ccfleet\\state',
    ]);
    expect(createdParents('\\\\?\\c:\\programdata\\CCFLEET', 'C:\\ProgramData\\ccfleet\\state', w)).toEqual(['C:\\ProgramData', 'C:\\ProgramData\\ccfleet']);
    expect(createdParents('\\\\?\\UNC\\srv\\share\\a', '\\\\srv\\share\\a\\b', w)).toEqual(['\\\\srv\\share\\', '\\\\srv\\share\\a']);
    expect(createdParents('D:\\elsewhere', 'C:\\x\\y', w)).toEqual(['C:\\x']);
    expect(createdParents('/a/b', '/a/b/c/d', path.posix)).toEqual(['/a', '/a/b', '/a/b/c']);
    expect(createdParents('/A/b', '/a/b/c', path.posix)).toEqual(['/a/b']); // POSIX names are case-sensitive
  });

  it('writePrivateFileAtomic replaces; createPrivateFileAtomic creates, 0600, never replacing: it takes the next name offered', () => {
    const b = path.join(base, 'b.json');
    writePrivateFileAtomic(b, 'old');
    writePrivateFileAtomic(b, 'older');
    expect(fs.readFileSync(b, 'utf8')).toBe('older');
    const only = (name: string) => (attempt: number) => (attempt === 0 ? name : null);
    expect(createPrivateFileAtomic(base, Buffer.from('first'), only('a.json'), [base])).toBe('a.json');
    expect(createPrivateFileAtomic(base, 'second', only('a.json'))).toBeNull();
    expect(createPrivateFileAtomic(base, 'second', only('b.json'))).toBeNull();
    const offered: number[] = [];
    const next = (attempt: number): string => (offered.push(attempt), ['a.json', 'b.json', 'c.json'][attempt]!);
    expect(createPrivateFileAtomic(base, 'third', next)).toBe('c.json');
    expect(offered).toEqual([0, 1, 2]);
    expect(fs.readFileSync(path.join(base, 'a.json'), 'utf8')).toBe('first');
    expect(fs.readFileSync(b, 'utf8')).toBe('older');
    expect(fs.readFileSync(path.join(base, 'c.json'), 'utf8')).toBe('third');
    expect(fs.readdirSync(base).sort()).toEqual(['a.json', 'b.json', 'c.json']); // no temp file left
    for (const n of ['a.json', 'b.json', 'c.json']) {
      if (posix) expect(fs.statSync(path.join(base, n)).mode & 0o777).toBe(0o600);
      if (posix) expect(fs.statSync(path.join(base, n)).nlink).toBe(1); // the temp's link is gone
    }
  });

  it('a failing write throws WRITE_FAILED and leaves no temp file', () => {
    const missing = path.join(base, 'missing', 'b.json');
    expect(() => createPrivateFileAtomic(path.dirname(missing), 'x', () => 'b.json')).toThrow(expect.objectContaining({ code: 'WRITE_FAILED', message: expect.stringContaining('ENOENT') }));
    expect(() => writePrivateFileAtomic(missing, 'x')).toThrow(expect.objectContaining({ code: 'WRITE_FAILED' }));
    expect(fs.readdirSync(base)).toEqual([]);
  });

  it.skipIf(!posix)('privateDirExists: false when missing, true for our folder, WRITE_REFUSED for a symlink or a file', () => {
    expect(privateDirExists(path.join(base, 'nope'))).toBe(false);
    expect(privateDirExists(path.join(base, 'nope', 'deeper'))).toBe(false);
    expect(privateDirExists(base)).toBe(true);
    fs.symlinkSync(base, path.join(base, 'link'));
    expect(() => privateDirExists(path.join(base, 'link'))).toThrow(expect.objectContaining({ code: 'WRITE_REFUSED' }));
    fs.writeFileSync(path.join(base, 'file'), '');
    expect(() => privateDirExists(path.join(base, 'file'))).toThrow(expect.objectContaining({ code: 'WRITE_REFUSED' }));
  });

  it('removeStaleTemps removes only temps of processes that are gone, of the names asked for', () => {
    const dead = deadPid();
    const names = [
      `.gen-000000001.json.tmp-${dead}-0123abcd`, // a killed writer's: removed
      `.gen-000000002.json.tmp-${process.pid}-0123abcd`, // a live writer's (ours): kept
      `.other.json.tmp-${dead}-0123abcd`, // not a name asked for: kept
      'gen-000000003.json',
    ];
    for (const n of names) fs.writeFileSync(path.join(base, n), '');
    expect(removeStaleTemps(base, /^gen-\d+\.json$/)).toBe(1);
    expect(fs.readdirSync(base).sort()).toEqual(names.slice(1).sort());
  });
});
