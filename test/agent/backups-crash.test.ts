/**
 * The backup store under SIGKILL and under concurrent writers, with real child processes.
 * Crash: a child replays a deterministic sequence of saveMany calls (deltas and every kind of compaction)
 * and is killed at a random moment, 200 times; after every kill the store, read by a fresh instance, is
 * exactly the state after the calls reported done, or after one more (the call in flight committed) —
 * compared with a reference store that replayed the same calls — every listed entry's read() verifies and
 * gives the text saved, generations stay bounded and killed writers' temp files are swept by the next one.
 * Concurrency: two children save their own files into one folder at the same time; no backup is lost.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupStore, MAX_GENERATIONS, type BackupEntry } from '../../src/agent/backups.js';
import { CRASH_STORE_OPTIONS, crashClock, crashItems, laneItems } from '../support/backup-crash-plan.js';
import { bundleEntry, type Bundle } from '../support/bundle.js';

const TRIALS = 200;
const LANES = 2;
const MAX_DELAY_MS = 12;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sha256 = (s: string): string => createHash('sha256').update(Buffer.from(s, 'utf8')).digest('hex');

describe('backup store with real processes', () => {
  let child: Bundle;
  let work: string;
  beforeAll(async () => {
    child = await bundleEntry('test/support/backup-crash-entry.ts');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-backups-crash-'));
  });
  afterAll(() => {
    child?.cleanup();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const run = (args: string[]) => {
    const proc = spawn(child.argv[0]!, ['--v8-pool-size=0', '--single-threaded-gc', ...child.argv.slice(1), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<void>((r) => proc.on('close', () => r()));
    return { proc, exited, out: () => stdout, err: () => stderr };
  };

  it(`after a SIGKILL at any point of saveMany the store is the old or the new one (${TRIALS} trials)`, async () => {
    // The reference: the same calls, never interrupted. states[n] = list() after n calls.
    const refClock = crashClock();
    const ref = new BackupStore(path.join(work, 'reference'), { ...CRASH_STORE_OPTIONS, now: refClock.now });
    const states: BackupEntry[][] = [[]];
    const texts = new Map<string, string>();
    const stateAfter = (n: number): BackupEntry[] => {
      while (states.length <= n) {
        const k = states.length - 1;
        refClock.startCall(k);
        for (const item of crashItems(k)) texts.set(sha256(item.text), item.text);
        ref.saveMany(crashItems(k));
        states.push(ref.list());
      }
      return states[n]!;
    };

    const stats = { trials: 0, sawOld: 0, sawNew: 0, maxGenerations: 0, maxTemps: 0, fullSeen: 0 };
    const failures: string[] = [];
    let next = 0;
    const lane = async (i: number): Promise<void> => {
      const dir = path.join(work, `lane-${i}`, 'backups');
      let committed = 0;
      while (next < TRIALS) {
        next++;
        const c = run(['crash', dir, String(committed)]);
        const started = await new Promise<boolean>((resolve) => {
          c.proc.stdout.on('data', () => c.out().includes('done') && resolve(true));
          c.proc.on('close', () => resolve(false));
        });
        if (started) await sleep(Math.floor(Math.random() * (MAX_DELAY_MS + 1)));
        c.proc.kill('SIGKILL');
        await c.exited;
        stats.trials++;
        if (!started) {
          failures.push(`lane ${i}: the child exited on its own: ${c.err().trim()}`);
          continue;
        }
        const done = Math.max(...[...c.out().matchAll(/done (\d+)/g)].map((m) => Number(m[1])));
        const fresh = new BackupStore(dir, CRASH_STORE_OPTIONS);
        const got = fresh.list();
        if (JSON.stringify(got) === JSON.stringify(stateAfter(done))) {
          stats.sawOld++;
          committed = done;
        } else if (JSON.stringify(got) === JSON.stringify(stateAfter(done + 1))) {
          stats.sawNew++;
          committed = done + 1;
        } else {
          failures.push(`lane ${i}, after ${done} calls: ${got.length} entries, matching neither ${done} nor ${done + 1} calls`);
          break;
        }
        for (const e of got) {
          if (fresh.read(e) !== texts.get(e.sha256)) failures.push(`lane ${i}: ${e.path} ${e.id} reads back wrong`);
        }
        const names = fs.readdirSync(dir);
        const gens = names.filter((n) => /^gen-\d+\.json$/.test(n));
        stats.maxGenerations = Math.max(stats.maxGenerations, gens.length);
        stats.maxTemps = Math.max(stats.maxTemps, names.filter((n) => n.includes('.tmp-')).length);
        if (gens.some((n) => fs.readFileSync(path.join(dir, n), 'utf8').includes('"full":true'))) stats.fullSeen++;
        if (names.some((n) => !/^gen-\d+\.json$/.test(n) && !n.includes('.tmp-'))) failures.push(`lane ${i}: unexpected files ${names.join(' ')}`);
      }
      // A clean call afterwards sweeps every temp file a killed child left.
      const clock = crashClock();
      clock.startCall(committed);
      new BackupStore(dir, { ...CRASH_STORE_OPTIONS, now: clock.now }).saveMany(crashItems(committed));
      expect(new BackupStore(dir, CRASH_STORE_OPTIONS).list()).toEqual(stateAfter(committed + 1));
      expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    };
    await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));

    expect(failures).toEqual([]);
    expect(stats.trials).toBe(TRIALS);
    expect(stats.sawOld + stats.sawNew).toBe(TRIALS);
    // Kills landed both before and after calls committed, and the runs went through compactions.
    expect(stats.sawOld).toBeGreaterThan(0);
    expect(stats.sawNew).toBeGreaterThan(0);
    expect(stats.fullSeen).toBeGreaterThan(0);
    expect(states.length).toBeGreaterThan(2 * MAX_GENERATIONS);
    // At most the generations in use plus a full one whose clean-up was cut short; at most one temp file.
    expect(stats.maxGenerations).toBeLessThanOrEqual(MAX_GENERATIONS + 1);
    expect(stats.maxTemps).toBeLessThanOrEqual(1);
  }, 180_000);

  it('two processes saving into one folder at the same time lose no backup', async () => {
    const dir = path.join(work, 'shared', 'backups');
    const CALLS = 60;
    const lanes = ['alice', 'bob'].map((name) => ({ name, ...run(['lane', dir, name, String(CALLS)]) }));
    await Promise.all(lanes.map((l) => new Promise<void>((r) => l.proc.stdout.on('data', () => l.out().includes('ready') && r()))));
    for (const l of lanes) l.proc.stdin.end('go\n');
    await Promise.all(lanes.map((l) => l.exited));
    const store = new BackupStore(dir);
    for (const l of lanes) {
      expect(l.err()).toBe('');
      const calls = l.out().split('\n').slice(1).filter(Boolean).map((line) => JSON.parse(line) as BackupEntry[]);
      expect(calls).toHaveLength(CALLS);
      for (let j = 0; j < 3; j++) {
        const history = calls.map((entries) => entries[j]!);
        const want = [...history.slice(-9)].reverse().concat(history[0]!); // keepPerFile 10: newest 9 + original
        expect(store.list(history[0]!.path)).toEqual(want);
        for (const e of want) expect(store.read(e)).toBe(laneItems(l.name, history.indexOf(e))[j]!.text);
      }
    }
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  }, 60_000);
});
