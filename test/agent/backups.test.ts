/**
 * BackupStore: bounded per-file history that always keeps the original, no duplicate for identical
 * content, hash-verified reads, private permissions (0700 folders, 0600 files), newest-first listing;
 * saveMany gives exactly what the same saves one by one give (also for one path twice in a call), and
 * every backup exists and verifies from a fresh store when it returns, with no temp file left.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupStore } from '../../src/agent/backups.js';
import { CcfleetError } from '../../src/core/errors.js';

const posix = process.platform !== 'win32';
const META = { mode: 0o644, uid: 1000, gid: 1000 };
const P = '/home/alice/.claude/settings.json';

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
    const files = fs.readdirSync(path.join(dir, fs.readdirSync(dir)[0]!));
    expect(files).toHaveLength(8); // 4 × (content + entry), pruned ones really deleted
    expect(() => store.read(saved[3]!)).toThrow(CcfleetError);
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
    const folder = path.join(dir, fs.readdirSync(dir)[0]!);
    const content = path.join(folder, `${e.id}.bak`);
    fs.writeFileSync(content, '{"model":"evil"}');
    expect(() => store.read(e)).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_FOUND', message: expect.stringMatching(/corrupt/) }));
    fs.unlinkSync(content);
    expect(() => store.read(e)).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_FOUND', message: expect.stringMatching(/missing/) }));
    expect(() => store.read({ ...e, id: '../../etc/passwd' })).toThrow(expect.objectContaining({ code: 'BACKUP_NOT_FOUND' }));
  });

  it('skips an unreadable entry instead of failing the listing', () => {
    const store = new BackupStore(dir, { now });
    const e = store.save(P, '{}', META);
    const folder = path.join(dir, fs.readdirSync(dir)[0]!);
    fs.writeFileSync(path.join(folder, '000009-aaaaaaaaaaaa.json'), '{broken');
    expect(store.list(P)).toEqual([e]);
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
    for (const sub of fs.readdirSync(dir)) {
      const folder = path.join(dir, sub);
      expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
      const names = fs.readdirSync(folder);
      expect(names.every((n) => /^\d{6}-[0-9a-f]{12}\.(bak|json)$/.test(n))).toBe(true);
      for (const n of names) expect(fs.statSync(path.join(folder, n)).mode & 0o777).toBe(0o600);
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
      for (const sub of fs.readdirSync(dir)) {
        expect(fs.readdirSync(path.join(dir, sub)).every((n) => /^\d{6}-[0-9a-f]{12}\.(bak|json)$/.test(n))).toBe(true);
      }
      expect(fs.readdirSync(dir)).toHaveLength(3);
    });

    it('continues existing histories and prunes to the original plus the newest ones', () => {
      const store = new BackupStore(dir, { keepPerFile: 3, now });
      const first = store.save(P, '{"v":0}', META);
      const got = store.saveMany(Array.from({ length: 5 }, (_, i) => ({ machinePath: P, text: `{"v":${i + 1}}`, meta: META })));
      expect(got.map((e) => e.id.slice(0, 6))).toEqual(['000002', '000003', '000004', '000005', '000006']);
      expect(store.list(P).map((e) => e.id)).toEqual([got[4]!.id, got[3]!.id, first.id]);
      expect(fs.readdirSync(path.join(dir, fs.readdirSync(dir)[0]!))).toHaveLength(6);
      expect(store.saveMany([{ machinePath: P, text: '{"v":5}', meta: META }])).toEqual([got[4]]); // identical to the newest
    });

    it('an empty call or one with only duplicates writes nothing', () => {
      const store = new BackupStore(dir, { now });
      expect(store.saveMany([])).toEqual([]);
      expect(fs.existsSync(dir)).toBe(false);
      const e = store.save(P, '{}', META);
      const folder = path.join(dir, fs.readdirSync(dir)[0]!);
      const look = (): [string, number][] => fs.readdirSync(folder).map((n) => [n, fs.statSync(path.join(folder, n)).mtimeMs]);
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
