/**
 * The deterministic workload of the backup store's crash and concurrency tests, shared by the test and
 * its child process (test/support/backup-crash-entry.ts): call `k` of a run always saves the same items
 * with the same clock, so a reference store replaying calls 0..n-1 gives the exact state after n calls.
 * Small caps (keepPerFile 4, maxEntries 30 over 12 files) make every kind of generation frequent: deltas,
 * full ones for the generation count, for dropped weight and for the entry cap.
 */
import type { BackupMeta, BackupStoreOptions } from '../../src/agent/backups.js';

export const CRASH_STORE_OPTIONS: BackupStoreOptions = { keepPerFile: 4, maxEntries: 30 };
const FILES = 12;
const PER_CALL = 5;
const META: BackupMeta = { mode: 0o644, uid: 1000, gid: 1000 };

/** Items of call `k`: 5 of the 12 files; a file seen in the previous call often has the same text again. */
export function crashItems(k: number): { machinePath: string; text: string; meta: BackupMeta }[] {
  return Array.from({ length: PER_CALL }, (_, j) => {
    const p = (3 * k + j) % FILES;
    const v = Math.floor(k / 3);
    return { machinePath: `/home/u/p${p}/.claude/settings.json`, text: `${JSON.stringify({ p, v, pad: 'x'.repeat((p * 37 + v * 11) % 400) })}\n`, meta: META };
  });
}

/** A clock for call `k`: distinct, increasing times, the same in every process. */
export function crashClock(): { now: () => Date; startCall: (k: number) => void } {
  let base = 0;
  let tick = 0;
  return {
    now: () => new Date(Date.UTC(2026, 0, 1) + base + tick++ * 1000),
    startCall: (k) => {
      base = k * 60_000;
      tick = 0;
    },
  };
}

/** The concurrency test's items: lane `lane`'s own 3 files, a new text each call. */
export function laneItems(lane: string, k: number): { machinePath: string; text: string; meta: BackupMeta }[] {
  return Array.from({ length: 3 }, (_, j) => ({ machinePath: `/home/${lane}/p${j}/settings.json`, text: `${lane}:${k}:${j}:${'y'.repeat((k * 53 + j) % 300)}`, meta: META }));
}
