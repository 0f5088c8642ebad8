/**
 * The report spool on a real folder: private modes, names in time order, bounds with the oldest dropped and
 * the dropped count carried exactly once, garbage and symlinks discarded (never a crash), restarts, and a
 * writer killed with SIGKILL mid-stream (every report it announced is there and whole, no temp file left).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Spool, spoolDir } from '../../src/agent/report/spool.js';
import { reportSchema } from '../../src/core/report-schema.js';
import { bundleEntry, type Bundle } from '../support/bundle.js';
import { sampleReport } from './report-sample.js';

const dirs: string[] = [];
const stateDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-spool-'));
  dirs.push(d);
  return path.join(d, 'state');
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A clock the test moves. */
const clock = (start = 1_700_000_000_000) => {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v) };
};

describe('Spool', () => {
  it('writes each report 0600 in a 0700 folder, lists them oldest first (a clock set back continues)', () => {
    const dir = stateDir();
    const c = clock();
    const s = Spool.open(dir, { now: c.now });
    const a = sampleReport();
    const b = sampleReport();
    const d = sampleReport();
    s.put(a);
    s.put(b); // same ms: the counter orders them
    c.set(1_600_000_000_000); // set back
    s.put(d);
    expect(s.list().map((e) => e.id)).toEqual([a.id, b.id, d.id]);
    expect(fs.statSync(spoolDir(dir)).mode & 0o777).toBe(0o700);
    for (const e of s.list()) {
      expect(fs.statSync(path.join(spoolDir(dir), e.name)).mode & 0o777).toBe(0o600);
      expect(e.name).toMatch(/^\d{13}-\d{6}-[0-9a-f-]{36}\.json$/);
      const item = s.read(e)!;
      expect(reportSchema.parse(JSON.parse(item.body.toString('utf8'))).id).toBe(e.id);
    }
    // A new process (a restart) sees the same, in the same order, and keeps going forward.
    const again = Spool.open(dir, { now: () => 1_500_000_000_000 });
    const e = sampleReport();
    again.put(e);
    expect(again.list().map((x) => x.id)).toEqual([a.id, b.id, d.id, e.id]);
    expect(again.remove(a.id)).toBe(true);
    expect(again.remove(a.id)).toBe(false);
    expect(again.list().map((x) => x.id)).toEqual([b.id, d.id, e.id]);
  });

  it('past maxCount the OLDEST are dropped, counted, and the count is carried once by the next report', () => {
    const dir = stateDir();
    const c = clock();
    const s = Spool.open(dir, { maxCount: 3, now: c.now });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      c.set(1_700_000_000_000 + i);
      const r = sampleReport({ spoolDropped: 0 }); // carries nothing: the count only grows
      s.put(r);
      ids.push(r.id);
    }
    expect(s.list().map((e) => e.id)).toEqual(ids.slice(2));
    expect(s.pendingDropped()).toBe(2);
    // The next report carries the 2; once spooled, the counter starts again (it is in the report now).
    c.set(1_700_000_000_010);
    const carrier = sampleReport({ spoolDropped: s.pendingDropped() });
    expect(carrier.spoolDropped).toBe(2);
    s.put(carrier);
    expect(s.pendingDropped()).toBe(1); // the put dropped one more (the oldest)
    expect(Spool.open(dir).pendingDropped()).toBe(1); // persisted
    // The carrier is dropped in turn: its 2, and itself, come back.
    for (let i = 0; i < 3; i++) {
      c.set(1_700_000_000_020 + i);
      s.put(sampleReport({ spoolDropped: 0 }));
    }
    expect(s.list().map((e) => e.id)).not.toContain(carrier.id);
    expect(s.pendingDropped()).toBe(1 + 1 + 1 + 2 + 1); // the 3 puts each dropped one, the carrier brought back its 2
  });

  it('past maxBytes the oldest go, never the report just put; a refused report gives back what it carried', () => {
    const dir = stateDir();
    const one = Buffer.byteLength(JSON.stringify(sampleReport()));
    const s = Spool.open(dir, { maxBytes: one * 2 + 10 });
    const a = sampleReport();
    const b = sampleReport();
    const c = sampleReport();
    s.put(a);
    s.put(b);
    s.put(c);
    expect(s.list().map((e) => e.id)).toEqual([b.id, c.id]);
    expect(s.stats()).toMatchObject({ count: 2, dropped: 1 });
    const tiny = Spool.open(stateDir(), { maxBytes: 10 });
    const big = sampleReport();
    tiny.put(big);
    expect(tiny.list().map((e) => e.id)).toEqual([big.id]);
    // A report the server refuses for good gives back the drops it carried (they were never reported).
    const d = sampleReport({ spoolDropped: 1 });
    s.put(d);
    expect(s.pendingDropped()).toBe(1); // 1 (a) + 1 (b, dropped by this put) - 1 claimed by d
    s.remove(d.id, { carry: 1 });
    expect(s.pendingDropped()).toBe(2);
  });

  it('a garbage, half-written, foreign or symlinked spool file is deleted and counted, never followed or fatal', () => {
    const dir = stateDir();
    const s = Spool.open(dir);
    const good = sampleReport();
    s.put(good);
    const sd = spoolDir(dir);
    const outside = path.join(path.dirname(dir), 'outside.json');
    fs.writeFileSync(outside, JSON.stringify(sampleReport()));
    fs.writeFileSync(path.join(sd, '0000000000001-000000-aaaa.json'), 'garbage');
    fs.writeFileSync(path.join(sd, '0000000000002-000000-bbbb.json'), JSON.stringify(good).slice(0, 100));
    fs.writeFileSync(path.join(sd, '0000000000003-000000-cccc.json'), JSON.stringify({ ...good, id: 'another' }));
    fs.symlinkSync(outside, path.join(sd, '0000000000004-000000-dddd.json'));
    fs.mkdirSync(path.join(sd, '0000000000005-000000-eeee.json'));
    fs.writeFileSync(path.join(sd, 'unrelated.txt'), 'x');
    const drops: string[] = [];
    const r = Spool.open(dir, { onDrop: (d) => drops.push(`${d.reason}:${d.name}`) });
    const read = r.list().map((e) => r.read(e));
    expect(read.filter((x) => x !== null).map((x) => x!.entry.id)).toEqual([good.id]);
    expect(drops.sort()).toEqual(['aaaa', 'bbbb', 'cccc', 'dddd'].map((x, i) => `garbage:000000000000${i + 1}-000000-${x}.json`));
    expect(fs.existsSync(outside)).toBe(true); // the symlink was removed, not its target
    expect(r.pendingDropped()).toBe(4);
    expect(fs.existsSync(path.join(sd, 'unrelated.txt'))).toBe(true);
    // A garbage state file counts as nothing dropped.
    fs.writeFileSync(path.join(sd, 'state.json'), '{nope');
    expect(r.pendingDropped()).toBe(0);
  });

  it("sweeps a killed writer's temp files at open, not a live writer's", () => {
    const dir = stateDir();
    const s = Spool.open(dir);
    s.put(sampleReport());
    const sd = spoolDir(dir);
    const name = s.list()[0]!.name;
    const dead = `.${name}.tmp-${2 ** 22 + 12345}-abcdef12`; // above Linux's pid_max: never a live process
    const live = `.${name}.tmp-${process.pid}-abcdef12`;
    const state = `.state.json.tmp-${2 ** 22 + 12345}-12345678`;
    for (const n of [dead, live, state]) fs.writeFileSync(path.join(sd, n), '{"half');
    Spool.open(dir);
    expect(fs.readdirSync(sd).sort()).toEqual([live, name].sort());
  });

  it('refuses a spool folder that is a symlink (the state dir is never someone else\'s)', () => {
    const dir = stateDir();
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const elsewhere = path.join(path.dirname(dir), 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, spoolDir(dir));
    expect(() => Spool.open(dir)).toThrow(expect.objectContaining({ code: 'WRITE_REFUSED' }));
  });
});

describe('Spool under SIGKILL', () => {
  let child: Bundle;
  beforeAll(async () => {
    child = await bundleEntry('test/agent/report-spool-child.ts');
  });
  afterAll(() => child?.cleanup());

  it('a writer killed mid-stream: every report it announced is there and whole, its temp files are swept', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const dir = stateDir();
      const proc = spawn(child.argv[0]!, [...child.argv.slice(1), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<void>((r) => proc.on('close', () => r()));
      const want = 20 + trial * 37;
      while (out.split('\n').length - 1 < want) {
        if (proc.exitCode !== null) throw new Error(`child exited early: ${err}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      proc.kill('SIGKILL');
      await exited;
      const announced = out.split('\n').filter(Boolean);
      const s = Spool.open(dir); // sweeps the dead writer's temp files
      const ids = s.list().map((e) => e.id);
      expect(ids.slice(0, announced.length)).toEqual(announced); // in order, none lost
      expect(ids.length - announced.length).toBeLessThanOrEqual(1); // at most the one in flight, whole
      for (const e of s.list()) expect(s.read(e)).not.toBeNull();
      expect(s.pendingDropped()).toBe(0);
      expect(fs.readdirSync(spoolDir(dir)).filter((n) => n.includes('.tmp-'))).toEqual([]);
    }
  });
});
