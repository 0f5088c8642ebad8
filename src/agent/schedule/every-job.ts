/**
 * Clock-driven jobs, for cadences with no cron configured. `scheduleEvery` triggers every
 * `intervalMs` ± `jitterFraction` (the full resync: 15 min ± 10 %), the spacing drawn afresh each time so
 * a fleet started together drifts apart; `scheduleOnce` triggers once after a delay (a retry after a
 * backoff). Both never overlap runs and report errors like every job (job-runner.ts).
 */
import { CcfleetError } from '../../core/errors.js';
import { spreadMs } from '../../core/schedule-math.js';
import type { TimerHandle } from './clock.js';
import { JobRunner, type JobRunOptions, type ScheduledJob } from './job-runner.js';

export interface EveryOptions extends JobRunOptions {
  /** Spread of each interval, 0 ≤ f < 1 (0.1: 90 %..110 %). Default 0.1. */
  jitterFraction?: number;
  random?: () => number;
  /** Also trigger once right away. Default false. */
  immediate?: boolean;
}

export function scheduleEvery(name: string, intervalMs: number, o: EveryOptions): ScheduledJob {
  const fraction = o.jitterFraction ?? 0.1;
  if (!Number.isFinite(intervalMs) || intervalMs < 1) {
    throw new CcfleetError('CONFIG_INVALID', `schedule "${name}": the interval must be ≥ 1 ms (got ${intervalMs})`);
  }
  if (!Number.isFinite(fraction) || fraction < 0 || fraction >= 1) {
    throw new CcfleetError('CONFIG_INVALID', `schedule "${name}": jitterFraction must be in [0, 1) (got ${fraction})`);
  }
  const random = o.random ?? Math.random;
  const runner = new JobRunner(o);
  const clock = runner.clock;
  let timer: TimerHandle | null = null;
  let due: number | null = null;
  const arm = (): void => {
    const wait = spreadMs(intervalMs, fraction, random);
    due = clock.now() + wait;
    timer = clock.setTimeout(() => {
      arm();
      runner.trigger(0);
    }, wait);
  };
  arm();
  if (o.immediate === true) runner.trigger(0);
  return {
    name,
    nextAt: () => due,
    stats: () => runner.stats(),
    runNow: () => runner.runNow(),
    cancel: () => {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      due = null;
      runner.cancel();
    },
    idle: () => runner.idle(),
  };
}

export function scheduleOnce(name: string, delayMs: number, o: JobRunOptions): ScheduledJob {
  if (!(delayMs >= 0)) throw new CcfleetError('CONFIG_INVALID', `schedule "${name}": the delay must be ≥ 0 ms (got ${delayMs})`);
  const runner = new JobRunner(o);
  const clock = runner.clock;
  let due: number | null = clock.now() + delayMs;
  let timer: TimerHandle | null = clock.setTimeout(() => {
    timer = null;
    due = null;
    runner.trigger(0);
  }, delayMs);
  return {
    name,
    nextAt: () => due,
    stats: () => runner.stats(),
    runNow: () => {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      due = null;
      return runner.runNow();
    },
    cancel: () => {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      due = null;
      runner.cancel();
    },
    idle: () => runner.idle(),
  };
}
