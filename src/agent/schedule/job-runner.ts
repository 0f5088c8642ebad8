/**
 * What every scheduled job shares, whatever triggers it (cron, interval, one-shot): a trigger waits its
 * jitter, then runs; a trigger that arrives while the previous one is still waiting or running is skipped
 * and counted (runs of one job never overlap); a run that throws is reported and counted, never fatal.
 */
import { realClock, type Clock, type TimerHandle } from './clock.js';

export interface JobStats {
  runs: number;
  /** Triggers dropped because the previous run was still waiting for its jitter or running. */
  skipped: number;
  failures: number;
  lastStartAt: number | null;
  lastEndAt: number | null;
  running: boolean;
  cancelled: boolean;
}

export interface ScheduledJob {
  readonly name: string;
  /** The next trigger, in ms since the epoch, before jitter; null when there is none (cancelled, done). */
  nextAt(): number | null;
  stats(): JobStats;
  /**
   * Run now, skipping any jitter wait; false (without waiting) if a run is in flight or the job is
   * cancelled. Resolves once the run has finished.
   */
  runNow(): Promise<boolean>;
  /** No more triggers; a pending jitter wait is dropped, a run in flight finishes (see idle()). */
  cancel(): void;
  /** Resolves when no run is in flight. */
  idle(): Promise<void>;
}

export interface JobRunOptions {
  run: () => Promise<void> | void;
  onError?: (err: unknown) => void;
  clock?: Clock;
}

export class JobRunner {
  readonly clock: Clock;
  private waiting: TimerHandle | null = null;
  private inflight: Promise<void> | null = null;
  private cancelled = false;
  private runs = 0;
  private skipped = 0;
  private failures = 0;
  private lastStartAt: number | null = null;
  private lastEndAt: number | null = null;

  constructor(private readonly o: JobRunOptions) {
    this.clock = o.clock ?? realClock;
  }

  /** A trigger: run after `delayMs` unless the previous trigger is still waiting or running. */
  trigger(delayMs: number): void {
    if (this.cancelled) return;
    if (this.waiting !== null || this.inflight !== null) {
      this.skipped++;
      return;
    }
    if (delayMs > 0) {
      this.waiting = this.clock.setTimeout(() => {
        this.waiting = null;
        this.start();
      }, delayMs);
    } else this.start();
  }

  async runNow(): Promise<boolean> {
    if (this.cancelled || this.inflight !== null) return false;
    if (this.waiting !== null) this.clock.clearTimeout(this.waiting);
    this.waiting = null;
    const p = this.start();
    await p;
    return true;
  }

  cancel(): void {
    this.cancelled = true;
    if (this.waiting !== null) this.clock.clearTimeout(this.waiting);
    this.waiting = null;
  }

  async idle(): Promise<void> {
    while (this.inflight !== null) await this.inflight;
  }

  isCancelled(): boolean {
    return this.cancelled;
  }

  stats(): JobStats {
    return {
      runs: this.runs, skipped: this.skipped, failures: this.failures, lastStartAt: this.lastStartAt, lastEndAt: this.lastEndAt,
      running: this.inflight !== null, cancelled: this.cancelled,
    };
  }

  private start(): Promise<void> {
    const p = this.execute();
    this.inflight = p;
    return p;
  }

  private async execute(): Promise<void> {
    await undefined; // `inflight` is set before the job is called, even if it throws at once
    this.lastStartAt = this.clock.now();
    try {
      await this.o.run();
    } catch (err) {
      this.failures++;
      try {
        this.o.onError?.(err);
      } catch {
        // a failing error reporter must not take the job down
      }
    } finally {
      this.runs++;
      this.lastEndAt = this.clock.now();
      this.inflight = null;
    }
  }
}
