/**
 * The agent's private files: ensurePrivateDir names the folders whose entries it changed (to fsync);
 * writePrivateFileAtomic replaces a file; writeNewPrivateFiles writes every stage, 0600, and a failure
 * in a later stage leaves the earlier stages complete, throws WRITE_FAILED and leaves no temp file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir, writeNewPrivateFiles, writePrivateFileAtomic } from '../../src/agent/private-file.js';

const posix = process.platform !== 'win32';

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

  it('writePrivateFileAtomic replaces; writeNewPrivateFiles writes every stage, 0600', () => {
    const a = path.join(base, 'a.bak');
    const b = path.join(base, 'b.json');
    writePrivateFileAtomic(b, 'old');
    writePrivateFileAtomic(b, 'older');
    expect(fs.readFileSync(b, 'utf8')).toBe('older');
    writeNewPrivateFiles([[{ file: a, data: Buffer.from('content') }], [{ file: b, data: 'entry' }]], [base]);
    expect(fs.readFileSync(a, 'utf8')).toBe('content');
    expect(fs.readFileSync(b, 'utf8')).toBe('entry');
    if (posix) for (const f of [a, b]) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(base).sort()).toEqual(['a.bak', 'b.json']);
  });

  it('a failing later stage leaves the earlier stages complete and no temp file (WRITE_FAILED)', () => {
    const a = path.join(base, 'a.bak');
    const missing = path.join(base, 'missing', 'b.json');
    expect(() => writeNewPrivateFiles([[{ file: a, data: 'content' }], [{ file: missing, data: 'entry' }]])).toThrow(
      expect.objectContaining({ code: 'WRITE_FAILED', message: expect.stringContaining('ENOENT') }),
    );
    expect(fs.readdirSync(base)).toEqual(['a.bak']);
    expect(fs.readFileSync(a, 'utf8')).toBe('content');
    expect(() => writePrivateFileAtomic(missing, 'x')).toThrow(expect.objectContaining({ code: 'WRITE_FAILED' }));
  });
});
