/**
 * A job on a cron cadence (policy refresh, full resync, reports), triggered by node-schedule: on each
 * trigger it waits a random 0..jitterSeconds — so a fleet of laptops on the same cron does not hit the
 * server in the same second — then runs; a trigger that finds the previous run still waiting or running
 * is skipped and counted (job-runner.ts).
 *
 * The spec is validated up front (src/core/cron-spec.ts, then node-schedule/cron-parser for the field
 * values): a bad one is a CcfleetError CONFIG_INVALID naming the job and the expression. Cron fields are
 * local time unless the object form names a `tz`.
 *
 * Timing: node-schedule arms its trigger with the global timers and reads the global Date — vitest's
 * fake timers drive both. The injected clock (default: the real one) times the jitter wait and the stats.
 * Jitter longer than the cron period makes every other trigger a skip.
 */
import { Job } from 'node-schedule';
import { describeCronSpec, parseCronSpec } from '../../core/cron-spec.js';
import { CcfleetError } from '../../core/errors.js';
import { jitterMs } from '../../core/schedule-math.js';
import type { Clock } from './clock.js';
import { JobRunner, type ScheduledJob } from './job-runner.js';

/** A cron string (5 or 6 fields, or an @macro) or node-schedule's object literal (see cron-spec.ts). */
export type CronSpec = string | Readonly<Record<string, unknown>>;

export interface CronOptions {
  /** Wait a random 0..jitterSeconds after each trigger before running. Default 0. */
  jitterSeconds?: number;
  run: () => Promise<void> | void;
  clock?: Clock;
  random?: () => number;
  onError?: (err: unknown) => void;
}

let seq = 0;

export function scheduleCron(name: string, spec: CronSpec, o: CronOptions): ScheduledJob {
  const parsed = parseCronSpec(spec);
  const what = `schedule "${name}": ${describeCronSpec(spec)}`;
  if (!parsed.ok) throw new CcfleetError('CONFIG_INVALID', `${what} is not a valid cron expression: ${parsed.reason}`);
  const jitterSeconds = o.jitterSeconds ?? 0;
  if (!Number.isFinite(jitterSeconds) || jitterSeconds < 0) {
    throw new CcfleetError('CONFIG_INVALID', `${what}: jitterSeconds must be a number ≥ 0 (got ${jitterSeconds})`);
  }
  const random = o.random ?? Math.random;
  const runner = new JobRunner(o);
  // A unique node-schedule name: its job registry is process-wide and keyed by name.
  const job = new Job(`ccfleet:${name}#${++seq}`, () => runner.trigger(jitterMs(jitterSeconds * 1000, random)));
  const ok = job.schedule(parsed.tz === null ? parsed.cron : { rule: parsed.cron, tz: parsed.tz });
  if (!ok || (job as { isOneTimeJob?: boolean }).isOneTimeJob === true) {
    job.cancel();
    throw new CcfleetError('CONFIG_INVALID', `${what} is not a valid cron expression (a field is out of range, or it never fires${parsed.tz === null ? '' : ', or the time zone is unknown'})`);
  }
  return {
    name,
    nextAt: () => (runner.isCancelled() ? null : (job.nextInvocation()?.getTime() ?? null)),
    stats: () => runner.stats(),
    runNow: () => runner.runNow(),
    cancel: () => {
      job.cancel();
      runner.cancel();
    },
    idle: () => runner.idle(),
  };
}

/** Throws CONFIG_INVALID if `spec` would be refused by scheduleCron (nothing is scheduled). */
export function validateCron(name: string, spec: CronSpec): void {
  scheduleCron(name, spec, { run: () => undefined }).cancel();
}
