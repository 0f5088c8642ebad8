/**
 * BackupStore: bounded per-file history that always keeps the original, no duplicate for identical
 * content, hash-verified reads, private permissions (0700 folder, 0600 files), newest-first listing;
 * saveMany gives exactly what the same saves one by one give (also for one path twice in a call), writes
 * ONE generation file per call, and every backup exists and verifies from a fresh store when it returns,
 * with no temp file left. Compaction keeps originals and the newest entries, bounds the generations and
 * the caps; garbage in the folder (old per-file layout, broken or foreign generations, dead writers'
 * temp files) is ignored. Crash safety under SIGKILL and concurrent writers: backups-crash.test.ts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupStore, MAX_GENERATIONS, type BackupEntry } from '../../src/agent/backups.js';
import { CcfleetError } from '../../src/core/errors.js';

const posix = process.platform !== 'win32';
const META = { mode: 0o644, uid: 1000, gid: 1000 };
const P = '/home/alice/.claude/settings.json';
const GEN_NAME = /^gen-\d{9}\.json$/;

interface GenDoc {
  format: string;
  full: boolean;
  entries: (BackupEntry & { text: string })[];
}
const gens = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir) : []).filter((n) => GEN_NAME.test(n)).sort();
const readGen = (dir: string, name: string): GenDoc => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as GenDoc;
/** Every entry id stored on disk, in any generation file. */
const storedIds = (dir: string): string[] => gens(dir).flatMap((n) => readGen(dir, n).entries.map((e) => `${e.path}#${e.id}`)).sort();

describe('BackupStore', () => {
  let state: string;
  let dir: string;
  let clock: number;
  const now = (): Date => new Date(Date.UTC(2026, 0, 1) + clock++ * 1000);
  beforeEach(() => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-backups-'));
    dir = path.join(state, 'backups');
    clock = 0;
  });
  afterEach(() => fs.rmSync(state, { recursive: true, force: true }));

  it('saves, reads back exactly, and reports original/latest', () => {
    const store = new BackupStore(dir, { now });
    expect(store.original(P)).toBeNull();
    expect(store.latest(P)).toBeNull();
    expect(store.list()).toEqual([]);
    const text = '\uFEFF{\r\n  "model": "opus", "é": "☃"\r\n}';
    const e = store.save(P, text, META);
    expect(e).toMatchObject({ path: P, createdAt: '2026-01-01T00:00:00.000Z', mode: 0o644, uid: 1000, gid: 1000, size: Buffer.byteLength(text) });
    expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(store.read(e)).toBe(text);
    expect(store.original(P)).toEqual(e);
    expect(store.latest(P)).toEqual(e);
    expect(new BackupStore(dir).list(P)).toEqual([e]); // persisted, not just in memory
  });

  it('does not duplicate content identical to the newest backup', () => {
    const store = new BackupStore(dir, { now });
    const a = store.save(P, '{"model":"opus"}', META);
    expect(store.save(P, '{"model":"opus"}', META)).toEqual(a);
    expect(store.list(P)).toHaveLength(1);
    const b = store.save(P, '{"model":"sonnet"}', META);
    expect(store.save(P, '{"model":"opus"}', META).id).not.toBe(a.id); // identical to an older one only: saved again
    expect(store.list(P).map((e) => e.id)).toEqual([store.latest(P)!.id, b.id, a.id]);
  });

  it('keeps a bounded history: the original plus the newest ones', () => {
    const store = new BackupStore(dir, { keepPerFile: 4, now });
    const saved = Array.from({ length: 9 }, (_, i) => store.save(P, `{"v":${i}}`, META));
    const kept = store.list(P);
    expect(kept.map((e) => e.id)).toEqual([saved[8]!, saved[7]!, saved[6]!, saved[0]!].map((e) => e.id));
    expect(store.original(P)).toEqual(saved[0]);
    expect(store.read(store.original(P)!)).toBe('{"v":0}');
    // The pruned ones are really deleted: the last save compacted (dropped entries outweighed kept ones)
    // into one full generation holding exactly the kept entries.
    expect(gens(dir)).toHaveLength(1);
    expect(readGen(dir, gens(dir)[0]!).full).toBe(true);
    expect(storedIds(dir)).toEqual(kept.map((e) => `${P}#${e.id}`).sort());
    expect(() => store.read(saved[3]!)).toThrow(CcfleetError);
    expect(() => new BackupStore(dir, { keepPerFile: 4 }).read(saved[3]!)).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_FOUND' }));
  });

  it('keeps separate histories per file and lists all newest first', () => {
    const store = new BackupStore(dir, { now });
    const a1 = store.save('/a', 'a1', META);
    const b1 = store.save('/b', 'b1', { mode: 0o600, uid: null, gid: null });
    const a2 = store.save('/a', 'a2', META);
    expect(store.list().map((e) => e.id + e.path)).toEqual([a2, b1, a1].map((e) => e.id + e.path));
    expect(store.list('/b')).toEqual([b1]);
    expect(store.original('/a')).toEqual(a1);
  });

  it('read verifies the hash: a corrupt or missing backup is BACKUP_NOT_FOUND', () => {
    const store = new BackupStore(dir, { now });
    const e = store.save(P, '{"model":"opus"}', META);
    expect(store.read(e)).toBe('{"model":"opus"}');
    const gen = path.join(dir, gens(dir)[0]!);
    fs.writeFileSync(gen, fs.readFileSync(gen, 'utf8').replace('{\\"model\\":\\"opus\\"}', '{\\"model\\":\\"evil-model\\"}'));
    expect(new BackupStore(dir).list(P)).toEqual([e]); // still listed: the entry is fine, its text is not
    expect(() => store.read(e)).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_FOUND', message: expect.stringMatching(/corrupt/) }));
    expect(() => new BackupStore(dir).read(e)).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_FOUND', message: expect.stringMatching(/corrupt/) }));
    fs.unlinkSync(gen);
    expect(() => store.read(e)).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_FOUND', message: expect.stringMatching(/missing/) }));
    expect(() => store.read({ ...e, id: '../../etc/passwd' })).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_FOUND' }));
  });

  it('skips an unreadable generation instead of failing the listing', () => {
    const store = new BackupStore(dir, { now });
    const e = store.save(P, '{}', META);
    fs.writeFileSync(path.join(dir, 'gen-000000009.json'), '{broken');
    expect(store.list(P)).toEqual([e]);
    expect(new BackupStore(dir).list()).toEqual([e]);
    // The next save does not collide with the broken name, and both saves stay readable.
    const f = store.save(P, '{"a":1}', META);
    expect(gens(dir)).toContain('gen-000000010.json');
    expect(new BackupStore(dir).list(P)).toEqual([f, e]);
  });

  it.skipIf(!posix)('is private: folders 0700, files 0600, whatever the umask; no temp files left', () => {
    const old = process.umask(0o000);
    try {
      const store = new BackupStore(dir, { now });
      store.save(P, '{"k":"secret"}', META);
      store.save(P, '{"k":"secret2"}', META);
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const names = fs.readdirSync(dir);
    expect(names).toEqual(['gen-000000001.json', 'gen-000000002.json']);
    for (const n of names) {
      const st = fs.statSync(path.join(dir, n));
      expect(st.mode & 0o777).toBe(0o600);
      expect(st.nlink).toBe(1); // the temp file's link is gone
      expect(st.uid).toBe(process.getuid!());
    }
  });

  it.skipIf(!posix)('tightens an existing state folder to 0700 and refuses a symlinked one', () => {
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    new BackupStore(dir, { now }).save(P, '{}', META);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const linked = path.join(state, 'linked');
    fs.symlinkSync(dir, linked);
    expect(() => new BackupStore(linked, { now }).save('/other', '{}', META)).toThrow(expect.objectContaining({ code: 'WRITE_REFUSED' }));
    // Reading through a symlinked folder is refused too: restore must not take texts from elsewhere.
    expect(() => new BackupStore(linked).list()).toThrow(expect.objectContaining({ code: 'WRITE_REFUSED' }));
  });

  describe('compaction', () => {
    it('bounds the generations and keeps every original plus the newest ones, from any store instance', () => {
      const store = new BackupStore(dir, { keepPerFile: 3, now });
      const paths = ['/a', '/b', '/c', '/d'];
      const saved = new Map<string, BackupEntry[]>(paths.map((p) => [p, []]));
      const texts = new Map<string, string>();
      let sawFull = 0;
      for (let call = 0; call < 3 * MAX_GENERATIONS + 5; call++) {
        // Each call backs up two of the four files (a different pair each time), one text per file and call.
        const items = [paths[call % 4]!, paths[(call + 1) % 4]!].map((p) => ({ machinePath: p, text: `{"${p}":${call}}`, meta: META }));
        store.saveMany(items).forEach((e, i) => {
          saved.get(items[i]!.machinePath)!.push(e);
          texts.set(e.path + e.id, items[i]!.text);
        });
        const names = gens(dir);
        expect(names.length).toBeLessThanOrEqual(MAX_GENERATIONS);
        if (readGen(dir, names[0]!).full) sawFull++;
        for (const p of paths) {
          const all = saved.get(p)!;
          if (all.length === 0) continue;
          const want = all.length <= 3 ? [...all].reverse() : [all.at(-1)!, all.at(-2)!, all[0]!];
          expect(store.list(p)).toEqual(want);
        }
      }
      expect(sawFull).toBeGreaterThan(0);
      // Superseded generations are gone: what is on disk is the newest full generation and later deltas.
      const names = gens(dir);
      expect(names.slice(1).every((n) => !readGen(dir, n).full)).toBe(true);
      expect(readGen(dir, names[0]!).full).toBe(true);
      const fresh = new BackupStore(dir, { keepPerFile: 3 });
      expect(fresh.list()).toEqual(store.list());
      for (const p of paths) {
        expect(fresh.original(p)).toEqual(saved.get(p)![0]);
        expect(fresh.latest(p)).toEqual(saved.get(p)!.at(-1));
        for (const e of fresh.list(p)) expect(fresh.read(e)).toBe(texts.get(e.path + e.id));
      }
    });

    it(`at most ${MAX_GENERATIONS} generations in use: the next save writes a full one and deletes the rest`, () => {
      const store = new BackupStore(dir, { now });
      const saved = Array.from({ length: MAX_GENERATIONS }, (_, i) => store.save(`/f${i}`, `${i}`, META)); // nothing ever dropped
      expect(gens(dir)).toHaveLength(MAX_GENERATIONS);
      expect(gens(dir).every((n) => !readGen(dir, n).full)).toBe(true);
      saved.push(store.save('/last', 'last', META));
      expect(gens(dir)).toEqual([`gen-${String(MAX_GENERATIONS + 1).padStart(9, '0')}.json`]);
      const doc = readGen(dir, gens(dir)[0]!);
      expect(doc.full).toBe(true);
      expect(doc.entries.map(({ text, ...e }) => e)).toEqual(saved);
      expect(new BackupStore(dir).list()).toEqual([...saved].reverse());
    });

    it('a compaction interrupted before its clean-up changes nothing: superseded generations are ignored, then deleted', () => {
      const store = new BackupStore(dir, { keepPerFile: 2, now });
      // Save until a save compacts (one full generation left), remembering the generations it superseded.
      let before = new Map<string, Buffer>();
      let last = '';
      for (let i = 0; gens(dir).length !== 1 || !readGen(dir, gens(dir)[0]!).full; i++) {
        before = new Map(gens(dir).map((n) => [n, fs.readFileSync(path.join(dir, n))]));
        last = `{"v":${i}}`;
        store.save(P, last, META);
      }
      expect(before.size).toBeGreaterThan(1);
      const compacted = gens(dir)[0]!;
      const listed = store.list();
      expect(listed).toHaveLength(2); // the original and the newest
      // Put the superseded generations back, as a crash between the link and the deletes would leave them.
      for (const [n, data] of before) fs.writeFileSync(path.join(dir, n), data, { mode: 0o600 });
      const fresh = new BackupStore(dir, { keepPerFile: 2 });
      expect(fresh.list()).toEqual(listed);
      expect(listed.map((e) => fresh.read(e))).toEqual([last, '{"v":0}']);
      fresh.save('/other', '{}', META); // the next save deletes them
      const next = `gen-${String(Number(/\d+/.exec(compacted)![0]) + 1).padStart(9, '0')}.json`;
      expect(gens(dir)).toEqual([compacted, next]);
      expect(fresh.list(P)).toEqual(listed);
    });

    it('caps the retained entries, dropping the oldest that are neither an original nor a newest', () => {
      const store = new BackupStore(dir, { keepPerFile: 10, maxEntries: 10, now });
      const paths = ['/a', '/b', '/c'];
      const saved = new Map<string, BackupEntry[]>(paths.map((p) => [p, []]));
      for (let round = 0; round < 8; round++) {
        const entries = store.saveMany(paths.map((p) => ({ machinePath: p, text: `${p}:${round}`, meta: META })));
        entries.forEach((e, i) => saved.get(paths[i]!)!.push(e));
        const all = store.list();
        expect(all.length).toBeLessThanOrEqual(10);
        for (const p of paths) {
          expect(store.original(p)).toEqual(saved.get(p)![0]);
          expect(store.latest(p)).toEqual(saved.get(p)!.at(-1));
        }
      }
      // What is dropped is the oldest middle entries, across files: what is left is the newest of each file.
      const all = store.list();
      for (const p of paths) {
        const kept = store.list(p);
        const history = saved.get(p)!;
        expect(kept.at(-1)).toEqual(history[0]);
        expect(kept.slice(0, -1)).toEqual([...history].reverse().slice(0, kept.length - 1));
      }
      expect(new BackupStore(dir, { keepPerFile: 10, maxEntries: 10 }).list()).toEqual(all);
      for (const e of all) expect(store.read(e)).toBe(`${e.path}:${saved.get(e.path)!.findIndex((x) => x.id === e.id)}`);
      // Originals and newest entries alone over the cap: all kept, and saves stay deltas (no rewrite each time).
      const tight = new BackupStore(path.join(state, 'tight'), { maxEntries: 2, now });
      const many = Array.from({ length: 4 }, (_, i) => ({ machinePath: `/f${i}`, text: 'x', meta: META }));
      tight.saveMany(many);
      tight.saveMany(many.map((m) => ({ ...m, text: 'y' })));
      expect(tight.list()).toHaveLength(8);
      tight.saveMany(many.map((m) => ({ ...m, text: 'z' }))); // the 'y' ones become middles: dropped
      expect(tight.list().map((e) => tight.read(e)).sort()).toEqual(['x', 'x', 'x', 'x', 'z', 'z', 'z', 'z']);
    });
  });

  it('ignores garbage in its folder: the old per-file layout, foreign, broken and misnamed generations', () => {
    // Before the first save: an old-layout folder and assorted files that are not generations.
    const old = path.join(dir, 'a'.repeat(32));
    fs.mkdirSync(old, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(old, '000001-0123456789ab.json'), JSON.stringify({ id: '000001-0123456789ab', path: P }));
    fs.writeFileSync(path.join(old, '000001-0123456789ab.bak'), '{"model":"old layout"}');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    fs.writeFileSync(path.join(dir, 'gen-abc.json'), '{}');
    fs.mkdirSync(path.join(dir, 'gen-000000005.json')); // a folder under a generation's name
    const store = new BackupStore(dir, { now });
    expect(store.list()).toEqual([]);
    const e = store.save(P, '{"model":"opus"}', META);
    expect(gens(dir)).toContain('gen-000000006.json'); // past every name already taken
    const valid = readGen(dir, 'gen-000000006.json');
    const forge = (name: string, doc: unknown): void => fs.writeFileSync(path.join(dir, name), JSON.stringify(doc), { mode: 0o600 });
    const evil = { ...valid.entries[0]!, id: '000009-aaaaaaaaaaaa', text: 'evil', path: '/etc/evil' };
    forge('gen-000000020.json', { ...valid, full: 'yes', entries: [evil] }); // malformed header
    forge('gen-000000021.json', { ...valid, entries: [evil, { ...evil, mode: 'x' }] }); // one malformed entry
    forge('gen-000000022.json', { ...valid, format: 'other/9', entries: [evil] }); // unknown format
    fs.writeFileSync(path.join(dir, 'gen-000000023.json'), ''); // empty
    fs.writeFileSync(path.join(dir, '.gen-000000024.json.tmp-1-0123abcd'), JSON.stringify({ ...valid, entries: [evil] })); // a temp: never read
    const outside = path.join(state, 'outside.json');
    fs.writeFileSync(outside, JSON.stringify({ ...valid, full: true, entries: [evil] }));
    if (posix) fs.symlinkSync(outside, path.join(dir, 'gen-000000025.json')); // a symlink: not followed
    if (posix) execFileSync('mkfifo', [path.join(dir, 'gen-000000027.json')]); // a FIFO: must not hang the reader
    if (posix && process.getuid?.() === 0) {
      forge('gen-000000026.json', { ...valid, full: true, entries: [evil] });
      fs.chownSync(path.join(dir, 'gen-000000026.json'), 4242, 4242); // not ours
    }
    const fresh = new BackupStore(dir);
    expect(fresh.list()).toEqual([e]);
    expect(fresh.original('/etc/evil')).toBeNull();
    const f = fresh.save(P, '{"model":"sonnet"}', META);
    expect(new BackupStore(dir).list()).toEqual([f, e]);
    expect(new BackupStore(dir).read(e)).toBe('{"model":"opus"}');
    expect(fs.readFileSync(path.join(old, '000001-0123456789ab.bak'), 'utf8')).toBe('{"model":"old layout"}'); // left alone
  });

  it('several store instances on one folder see each other\'s saves (no stale cache)', () => {
    const a = new BackupStore(dir, { now });
    const b = new BackupStore(dir, { now });
    const a1 = a.save('/x', 'one', META);
    expect(b.list('/x')).toEqual([a1]);
    const b1 = b.save('/x', 'two', META);
    expect(b1.id.slice(0, 6)).toBe('000002');
    expect(a.latest('/x')).toEqual(b1);
    expect(a.save('/x', 'two', META)).toEqual(b1); // identical to the newest, whoever saved it
    expect(gens(dir)).toHaveLength(2);
  });

  describe('saveMany', () => {
    const items = [
      { machinePath: '/a', text: 'a1', meta: META },
      { machinePath: '/b', text: '{"model":"opus"}', meta: { mode: 0o600, uid: null, gid: null } },
      { machinePath: '/a', text: 'a2', meta: META },
      { machinePath: '/a', text: 'a2', meta: META }, // identical to the one just before: that entry
      { machinePath: P, text: '\uFEFF{"é":"☃"}', meta: META },
    ];

    it('gives the entries the same saves one by one give, in order, durable and verifiable from a fresh store', () => {
      const one = new BackupStore(path.join(state, 'one'), { now });
      clock = 0;
      const expected = items.map((i) => one.save(i.machinePath, i.text, i.meta));
      clock = 0;
      const store = new BackupStore(dir, { now });
      const got = store.saveMany(items);
      expect(got).toEqual(expected);
      expect(got[3]).toBe(got[2]);
      const fresh = new BackupStore(dir);
      expect(fresh.list('/a').map((e) => e.id)).toEqual([got[2]!.id, got[0]!.id]);
      items.forEach((item, i) => expect(fresh.read(got[i]!)).toBe(item.text));
      expect(fresh.original(P)).toEqual(got[4]);
      // One generation file for the whole call (2 fsyncs), nothing else: no temp file left.
      expect(fs.readdirSync(dir)).toEqual(['gen-000000001.json']);
      expect(readGen(dir, 'gen-000000001.json').entries.map((e) => e.id)).toEqual([got[0], got[1], got[2], got[4]].map((e) => e!.id));
    });

    it('continues existing histories and prunes to the original plus the newest ones', () => {
      const store = new BackupStore(dir, { keepPerFile: 3, now });
      const first = store.save(P, '{"v":0}', META);
      const got = store.saveMany(Array.from({ length: 5 }, (_, i) => ({ machinePath: P, text: `{"v":${i + 1}}`, meta: META })));
      expect(got.map((e) => e.id.slice(0, 6))).toEqual(['000002', '000003', '000004', '000005', '000006']);
      expect(store.list(P).map((e) => e.id)).toEqual([got[4]!.id, got[3]!.id, first.id]);
      expect(new BackupStore(dir, { keepPerFile: 3 }).list(P)).toEqual(store.list(P));
      expect(gens(dir)).toHaveLength(2); // one generation per call
      for (const e of got.slice(0, 3)) expect(() => store.read(e)).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_FOUND' }));
      expect(store.saveMany([{ machinePath: P, text: '{"v":5}', meta: META }])).toEqual([got[4]]); // identical to the newest
    });

    it('an empty call or one with only duplicates writes nothing', () => {
      const store = new BackupStore(dir, { now });
      expect(store.saveMany([])).toEqual([]);
      expect(fs.existsSync(dir)).toBe(false);
      const e = store.save(P, '{}', META);
      const look = (): [string, number][] => fs.readdirSync(dir).map((n) => [n, fs.statSync(path.join(dir, n)).mtimeMs]);
      const before = look();
      expect(store.saveMany([{ machinePath: P, text: '{}', meta: META }])).toEqual([e]);
      expect(look()).toEqual(before);
    });

    it.skipIf(!posix)('refuses a symlinked state folder and writes nothing', () => {
      const real = path.join(state, 'real');
      fs.mkdirSync(real, { mode: 0o700 });
      const linked = path.join(state, 'linked');
      fs.symlinkSync(real, linked);
      expect(() => new BackupStore(linked, { now }).saveMany(items)).toThrow(expect.objectContaining({ code: 'WRITE_REFUSED' }));
      expect(fs.readdirSync(real)).toEqual([]);
    });
  });
});
