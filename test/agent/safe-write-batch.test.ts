/**
 * writeFilesSafely in this process: one result per request in order, each exactly what writeFileSafely
 * gives alone (created, replaced, deleted, refused, changed), refusals in the middle of a batch touching
 * nothing and not affecting the others, batches spanning several fsync chunks and many folders leaving
 * no temp file, two requests for one file, and the deferred folder fsyncs (FolderSyncs) reporting failures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderSyncs } from '../../src/agent/fsync.js';
import { writeFileSafely, writeFilesSafely, type WriteRequest } from '../../src/agent/safe-write.js';
import { snapshotTree } from '../support/tree.js';

const posix = process.platform !== 'win32';
const NO_HELPER = { helper: null };
const TEMP = /\.ccfleet-tmp-/;
const statOf = (p: string) => {
  const st = fs.lstatSync(p);
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
};
const listAll = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true }) as string[]).map(String);

describe('writeFilesSafely (in-process)', () => {
  let base: string;
  let home: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-batch-'));
    home = path.join(base, 'home');
    fs.mkdirSync(home);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));
  const req = (rel: string, over: Partial<WriteRequest> = {}): WriteRequest => ({
    hostPath: path.join(home, rel),
    text: `{"file":${JSON.stringify(rel)}}\n`,
    owner: null,
    createMode: 0o600,
    trustedAncestor: home,
    expected: null,
    ...over,
  });
  const existing = (rel: string, text: string): string => {
    const p = path.join(home, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return p;
  };

  it('an empty batch does nothing', async () => {
    expect(await writeFilesSafely([], NO_HELPER)).toEqual([]);
    expect(fs.readdirSync(home)).toEqual([]);
  });

  it('gives each request its own result, in order; refusals mid-batch touch nothing and affect no other', async () => {
    const replaced = existing('a/.claude/settings.json', '{"model":"opus"}');
    const edited = existing('b/.claude/settings.json', '{"model":"opus"}');
    const planned = statOf(edited);
    fs.writeFileSync(edited, '{"model":"opus","theme":"dark"}');
    const deleted = existing('c/.claude/settings.local.json', '{}');
    const hardlinked = existing('d/.claude/settings.json', '{"model":"opus"}');
    fs.linkSync(hardlinked, path.join(base, 'second-name'));
    const outside = path.join(base, 'shadow');
    fs.writeFileSync(outside, 'secret\n');
    fs.mkdirSync(path.join(home, 'e', '.claude'), { recursive: true });
    if (posix) fs.symlinkSync(outside, path.join(home, 'e', '.claude', 'settings.json'));
    const untouched = [edited, hardlinked, outside].map((p) => [p, fs.readFileSync(p, 'utf8')] as const);

    const reqs: WriteRequest[] = [
      req('new/.claude/settings.json'),
      req('b/.claude/settings.json', { expected: planned }), // changed since planned
      req('a/.claude/settings.json', { expected: statOf(replaced) }),
      req('d/.claude/settings.json', { expected: statOf(hardlinked) }), // hardlink
      req('c/.claude/settings.local.json', { text: null, expected: statOf(deleted) }),
      req('../outside.json'), // outside the trusted folder
      ...(posix ? [req('e/.claude/settings.json', { expected: statOf(path.join(home, 'e', '.claude', 'settings.json')) })] : []), // symlink
      req('z/.claude/settings.json'),
    ];
    const r = await writeFilesSafely(reqs, NO_HELPER);
    const codes = r.map((x) => (x.ok ? 'ok' : `${x.code}:${x.findings?.map((f) => f.code).join(',') ?? ''}`));
    expect(codes).toEqual([
      'ok',
      'changed:',
      'ok',
      'unsafe:hardlink',
      'ok',
      'unsafe:outside-trusted',
      ...(posix ? ['unsafe:symlink'] : []),
      'ok',
    ]);
    expect(fs.readFileSync(path.join(home, 'new/.claude/settings.json'), 'utf8')).toBe('{"file":"new/.claude/settings.json"}\n');
    expect(fs.readFileSync(replaced, 'utf8')).toBe('{"file":"a/.claude/settings.json"}\n');
    expect(fs.existsSync(deleted)).toBe(false);
    expect(fs.readFileSync(path.join(home, 'z/.claude/settings.json'), 'utf8')).toBe('{"file":"z/.claude/settings.json"}\n');
    for (const [p, text] of untouched) expect(fs.readFileSync(p, 'utf8')).toBe(text);
    expect(fs.existsSync(path.join(base, 'outside.json'))).toBe(false);
    expect(listAll(home).filter((n) => TEMP.test(n))).toEqual([]);
  });

  it('a batch of only refusals leaves every byte of the tree untouched', async () => {
    existing('d/.claude/settings.json', '{"model":"opus"}');
    fs.linkSync(path.join(home, 'd/.claude/settings.json'), path.join(base, 'second-name'));
    fs.writeFileSync(path.join(home, 'f'), 'a file where a folder should be');
    const before = snapshotTree(base);
    const r = await writeFilesSafely(
      [req('d/.claude/settings.json', { expected: statOf(path.join(home, 'd/.claude/settings.json')) }), req('f/.claude/settings.json'), req('d/.claude/settings.json', { expected: null })],
      NO_HELPER,
    );
    expect(r.map((x) => !x.ok && x.code)).toEqual(['unsafe', 'unsafe', 'unsafe']);
    expect(snapshotTree(base)).toEqual(before);
  });

  it('writes a batch spanning several fsync chunks and many folders (new and existing), no temp file left', async () => {
    const reqs: WriteRequest[] = [];
    for (let i = 0; i < 90; i++) {
      const rel = `p${i % 45}/.claude/${i < 45 ? 'settings.json' : 'settings.local.json'}`;
      if (i % 3 === 0) {
        const p = existing(rel, `{"old":${i}}`);
        fs.chmodSync(p, 0o640);
        reqs.push(req(rel, { text: `{"i":${i}}\n`, expected: statOf(p) }));
      } else reqs.push(req(rel, { text: `{"i":${i}}\n` }));
    }
    const r = await writeFilesSafely(reqs, NO_HELPER);
    expect(r).toEqual(reqs.map(() => ({ ok: true })));
    reqs.forEach((q, i) => {
      expect(fs.readFileSync(q.hostPath, 'utf8')).toBe(`{"i":${i}}\n`);
      if (posix) expect(fs.statSync(q.hostPath).mode & 0o777).toBe(i % 3 === 0 ? 0o640 : 0o600);
    });
    expect(listAll(home).filter((n) => TEMP.test(n))).toEqual([]);
  });

  it('two requests for one file: the first is written, the later one finds it changed', async () => {
    const p = existing('.claude/settings.json', '{"model":"opus"}');
    const planned = statOf(p);
    const r = await writeFilesSafely(
      [req('.claude/settings.json', { text: '{"first":1}', expected: planned }), req('.claude/settings.json', { text: '{"second":2}', expected: planned })],
      NO_HELPER,
    );
    expect(r[0]).toEqual({ ok: true });
    expect(r[1]).toMatchObject({ ok: false, code: 'changed' });
    expect(fs.readFileSync(p, 'utf8')).toBe('{"first":1}');
    expect(fs.readdirSync(path.dirname(p))).toEqual(['settings.json']);
  });

  it('writeFileSafely is the batch of one', async () => {
    const one = req('.claude/settings.json');
    expect(await writeFileSafely(one, NO_HELPER)).toEqual({ ok: true });
    const again = await writeFileSafely(one, NO_HELPER); // planned as absent, now present
    expect(again).toMatchObject({ ok: false, code: 'changed' });
  });
});

describe('FolderSyncs', () => {
  let base: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-fsync-'));
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('fsyncs each folder once and reports the callers whose folder failed', async () => {
    const syncs = new FolderSyncs();
    syncs.add(base, 0);
    syncs.add(base, 1);
    syncs.add(path.join(base, 'gone'), 2);
    syncs.add(path.join(base, 'gone'), 3);
    const failed = await syncs.flush();
    if (posix) expect([...failed.entries()].sort()).toEqual([[2, 'ENOENT'], [3, 'ENOENT']]);
    expect(await syncs.flush()).toEqual(new Map()); // flushed folders are forgotten
  });
});
