/**
 * History retention: `store.prune(historyDays)` once shortly after start and then every `intervalMs`
 * (default hourly). A device's latest report is never pruned (the store guarantees it). With several
 * replicas on one database each prunes; pruning is idempotent. A failed prune is logged and retried at the
 * next tick. `historyDays` 0 keeps history forever (nothing is scheduled).
 */
import type { ServerLog } from './log.js';
import type { Store } from './store/types.js';

export interface RetentionOptions {
  store: Store;
  historyDays: number;
  log: ServerLog;
  intervalMs?: number;
  /** Delay of the first prune (default 10 s: after start-up's work). */
  firstDelayMs?: number;
  onPruned?: (rows: number) => void;
}

export interface Retention {
  /** Prune now (also what the timer does). Resolves to the rows deleted (0 after a failure). */
  runOnce(): Promise<number>;
  /** Stop the timer; waits for a prune in progress. */
  stop(): Promise<void>;
}

export const DEFAULT_HISTORY_DAYS = 90;

export function startRetention(o: RetentionOptions): Retention {
  let running: Promise<number> | null = null;
  let stopped = false;
  const runOnce = (): Promise<number> => {
    running ??= o.store
      .prune(o.historyDays)
      .then((rows) => {
        if (rows > 0) o.log.info(`retention: deleted ${rows} history row(s) older than ${o.historyDays} days`);
        o.onPruned?.(rows);
        return rows;
      })
      .catch((e: unknown) => {
        o.log.error(`retention: prune failed (retried in an hour): ${(e as Error).message}`);
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timers: NodeJS.Timeout[] = [];
  if (o.historyDays > 0) {
    const first = setTimeout(() => void (stopped ? null : runOnce()), o.firstDelayMs ?? 10_000);
    const every = setInterval(() => void (stopped ? null : runOnce()), o.intervalMs ?? 3_600_000);
    first.unref();
    every.unref();
    timers.push(first, every);
  }
  return {
    runOnce,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      if (running) await running;
    },
  };
}
