/**
 * The daemon's one scheduling module. Every retry, backoff, debounce, rate limit and interval lives here
 * (src/agent/schedule/*, the arithmetic in src/core/schedule-math.ts), never in the reconcile code —
 * which only says "this target is dirty", "may I repair this file now?" and "that failed".
 *
 *   const s = new Scheduler({ onError: (err, source) => log.error('scheduled work failed', { source, err }) });
 *   const dirty = s.queue<Target>({ run: (targets) => reconcile(targets) });        // debounce 25 ms, max 250 ms
 *   const repairs = s.limiter<string>({ capacity: 10, refillPerSec: 0.1 });        // per file, flapping guard
 *   s.cron('policy-refresh', '*\/5 * * * *', { jitterSeconds: 60, run: fetchPolicy });
 *   s.every('resync', 15 * 60_000, { jitterFraction: 0.1, run: () => dirty.add('all') });
 *   const retry = s.backoff();  …  s.once('policy-retry', retry.next(), fetchPolicy);
 *   await s.stop();                                                                 // SIGTERM
 *
 * Jobs are named; scheduling a name again replaces the job (its run in flight, if any, still finishes
 * and is awaited by stop()). `stop()` cancels every job, stops every queue (awaiting the runs in flight)
 * and is idempotent; work scheduled after it never runs.
 */
import { Backoff, type BackoffOptions } from './schedule/backoff.js';
import { realClock, type Clock } from './schedule/clock.js';
import { scheduleCron, type CronSpec } from './schedule/cron-job.js';
import { DirtyQueue, type DirtyQueueOptions } from './schedule/dirty-queue.js';
import { scheduleEvery, scheduleOnce } from './schedule/every-job.js';
import type { JobStats, ScheduledJob } from './schedule/job-runner.js';
import { RateLimiter, type RateLimiterOptions } from './schedule/rate-limiter.js';

export { Backoff, type BackoffOptions } from './schedule/backoff.js';
export { realClock, type Clock, type TimerHandle } from './schedule/clock.js';
export { scheduleCron, validateCron, type CronOptions, type CronSpec } from './schedule/cron-job.js';
export { DirtyQueue, type DirtyQueueOptions, type DirtyQueueStats } from './schedule/dirty-queue.js';
export { scheduleEvery, scheduleOnce, type EveryOptions } from './schedule/every-job.js';
export type { JobStats, ScheduledJob } from './schedule/job-runner.js';
export { RateLimiter, type RateLimiterOptions, type RateStats } from './schedule/rate-limiter.js';

export interface SchedulerOptions {
  clock?: Clock;
  random?: () => number;
  /** Errors of jobs and queues that have no onError of their own. Default: ignored. */
  onError?: (err: unknown, source: string) => void;
}

type Run = () => Promise<void> | void;
type OnError = (err: unknown) => void;

export class Scheduler {
  readonly clock: Clock;
  private readonly random: () => number;
  private readonly jobs = new Map<string, ScheduledJob>();
  /** Replaced jobs whose last run may still be in flight. */
  private readonly retired = new Set<ScheduledJob>();
  private readonly queues = new Set<DirtyQueue<unknown>>();
  private isStopped = false;

  constructor(private readonly o: SchedulerOptions = {}) {
    this.clock = o.clock ?? realClock;
    this.random = o.random ?? Math.random;
  }

  /** A cron job (cron-job.ts). Throws CONFIG_INVALID for a bad spec, before anything is replaced. */
  cron(name: string, spec: CronSpec, o: { jitterSeconds?: number; run: Run; onError?: OnError }): ScheduledJob {
    if (this.isStopped) return inert(name);
    return this.register(scheduleCron(name, spec, { ...o, clock: this.clock, random: this.random, onError: this.errorsOf(name, o.onError) }));
  }

  /** A job every intervalMs ± jitterFraction (every-job.ts). */
  every(name: string, intervalMs: number, o: { jitterFraction?: number; immediate?: boolean; run: Run; onError?: OnError }): ScheduledJob {
    if (this.isStopped) return inert(name);
    return this.register(scheduleEvery(name, intervalMs, { ...o, clock: this.clock, random: this.random, onError: this.errorsOf(name, o.onError) }));
  }

  /** A one-shot job after delayMs (a retry); scheduling the name again replaces a pending one. */
  once(name: string, delayMs: number, run: Run, onError?: OnError): ScheduledJob {
    if (this.isStopped) return inert(name);
    return this.register(scheduleOnce(name, delayMs, { run, clock: this.clock, onError: this.errorsOf(name, onError) }));
  }

  job(name: string): ScheduledJob | undefined {
    return this.jobs.get(name);
  }

  /** Cancel a job by name (its run in flight finishes). False if there is none. */
  cancel(name: string): boolean {
    const j = this.jobs.get(name);
    if (j === undefined) return false;
    this.jobs.delete(name);
    this.retire(j);
    return true;
  }

  /** A debounced dirty-key queue owned by this scheduler (dirty-queue.ts). */
  queue<K>(o: Omit<DirtyQueueOptions<K>, 'clock'> & { name?: string }): DirtyQueue<K> {
    const name = o.name ?? 'queue';
    const q = new DirtyQueue<K>({
      ...o,
      clock: this.clock,
      onError: o.onError ?? ((err) => this.o.onError?.(err, name)),
    });
    if (this.isStopped) void q.stop();
    else this.queues.add(q as DirtyQueue<unknown>);
    return q;
  }

  /** Per-key token buckets on this scheduler's clock (rate-limiter.ts). */
  limiter<K>(o: Omit<RateLimiterOptions, 'clock'> = {}): RateLimiter<K> {
    return new RateLimiter<K>({ ...o, clock: this.clock });
  }

  /** Retry spacing with this scheduler's randomness (backoff.ts). */
  backoff(o: Omit<BackoffOptions, 'random'> = {}): Backoff {
    return new Backoff({ ...o, random: this.random });
  }

  /** Every job's stats, by name. */
  stats(): Record<string, JobStats> {
    return Object.fromEntries([...this.jobs].map(([n, j]) => [n, j.stats()]));
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  /** Cancel every job, stop every queue; resolves once no run is in flight anywhere. */
  async stop(): Promise<void> {
    this.isStopped = true;
    const jobs = [...this.jobs.values(), ...this.retired];
    for (const j of jobs) j.cancel();
    this.jobs.clear();
    await Promise.all([...jobs.map((j) => j.idle()), ...[...this.queues].map((q) => q.stop())]);
    this.retired.clear();
  }

  private register(job: ScheduledJob): ScheduledJob {
    const old = this.jobs.get(job.name);
    if (old !== undefined) this.retire(old);
    this.jobs.set(job.name, job);
    return job;
  }

  private retire(job: ScheduledJob): void {
    job.cancel();
    this.retired.add(job);
    void job.idle().then(() => this.retired.delete(job));
  }

  private errorsOf(name: string, own: OnError | undefined): OnError {
    return own ?? ((err) => this.o.onError?.(err, name));
  }
}

function inert(name: string): ScheduledJob {
  const stats: JobStats = { runs: 0, skipped: 0, failures: 0, lastStartAt: null, lastEndAt: null, running: false, cancelled: true };
  return { name, nextAt: () => null, stats: () => ({ ...stats }), runNow: async () => false, cancel: () => undefined, idle: async () => undefined };
}
