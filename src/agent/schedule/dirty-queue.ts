/**
 * The reconcile queue: events only say "look at this target again" (level-triggered), so a mark carries
 * nothing but a key, and duplicate marks merge.
 *
 *   add(key)     mark dirty. The batch runs after `debounceMs` of quiet, and never later than `maxWaitMs`
 *                after the first mark of the batch — a constant stream of events (a file rewritten every
 *                20 ms) still gets a run every `maxWaitMs`, and never a busy loop.
 *   one run at a time: keys marked while a run is in flight wait for the next run (one follow-up, however
 *                many marks), which is due as if the marks had arrived with no run in flight.
 *   addLater(key, ms)  mark dirty after a delay (a refused repair: look again when the bucket refills);
 *                one timer per key, the earliest wins.
 *   errors       a run that throws is reported to `onError` with its keys; the queue carries on. Retrying
 *                those keys is the caller's call (addLater); the periodic resync is the backstop.
 *   flush()      run what is pending now, without waiting for the debounce; resolves once every key
 *                marked before the call has been through a run.
 *   stop()       drop what is pending, wait for the in-flight run, refuse marks from then on.
 */
import { realClock, type Clock, type TimerHandle } from './clock.js';

export interface DirtyQueueOptions<K> {
  /** Reconcile these targets. Gets its own Set (the queue keeps no reference to it). */
  run: (keys: Set<K>) => Promise<void> | void;
  /** Quiet time before a batch runs. Default 25 ms. */
  debounceMs?: number;
  /** Longest a mark waits for its run, however busy the stream. Default 250 ms. */
  maxWaitMs?: number;
  clock?: Clock;
  onError?: (err: unknown, keys: ReadonlySet<K>) => void;
}

export interface DirtyQueueStats {
  runs: number;
  failures: number;
  /** Keys waiting for the next run. */
  pending: number;
  running: boolean;
  /** Keys with an addLater timer. */
  later: number;
}

export class DirtyQueue<K> {
  private readonly clock: Clock;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private pending = new Set<K>();
  private firstMarkAt = 0;
  private lastMarkAt = 0;
  private timer: TimerHandle | null = null;
  private inflight: Promise<void> | null = null;
  private readonly later = new Map<K, { handle: TimerHandle; due: number }>();
  private stopped = false;
  private runs = 0;
  private failures = 0;

  constructor(private readonly o: DirtyQueueOptions<K>) {
    this.clock = o.clock ?? realClock;
    this.debounceMs = Math.max(0, o.debounceMs ?? 25);
    this.maxWaitMs = Math.max(this.debounceMs, o.maxWaitMs ?? 250);
  }

  /** Mark a key dirty. False once the queue is stopped. */
  add(key: K): boolean {
    if (this.stopped) return false;
    const now = this.clock.now();
    if (this.pending.size === 0) this.firstMarkAt = now;
    this.pending.add(key);
    this.lastMarkAt = now;
    if (this.inflight === null) this.arm();
    return true;
  }

  /** Mark a key dirty after `delayMs` (one timer per key; an earlier request replaces a later one). */
  addLater(key: K, delayMs: number): boolean {
    if (this.stopped) return false;
    const due = this.clock.now() + Math.max(0, delayMs);
    const cur = this.later.get(key);
    if (cur !== undefined) {
      if (cur.due <= due) return true;
      this.clock.clearTimeout(cur.handle);
    }
    const handle = this.clock.setTimeout(() => {
      this.later.delete(key);
      this.add(key);
    }, due - this.clock.now());
    this.later.set(key, { handle, due });
    return true;
  }

  async flush(): Promise<void> {
    while (this.inflight !== null) await this.inflight;
    if (this.stopped || this.pending.size === 0) return;
    this.clearTimer();
    this.start();
    while (this.inflight !== null) await this.inflight;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    for (const { handle } of this.later.values()) this.clock.clearTimeout(handle);
    this.later.clear();
    this.pending.clear();
    while (this.inflight !== null) await this.inflight;
  }

  stats(): DirtyQueueStats {
    return { runs: this.runs, failures: this.failures, pending: this.pending.size, running: this.inflight !== null, later: this.later.size };
  }

  private due(): number {
    return Math.min(this.lastMarkAt + this.debounceMs, this.firstMarkAt + this.maxWaitMs);
  }

  /** One timer for the batch; it is never moved earlier (the due time only grows while marks arrive). */
  private arm(): void {
    if (this.timer !== null) return;
    this.timer = this.clock.setTimeout(() => this.onTimer(), Math.max(0, this.due() - this.clock.now()));
  }

  private onTimer(): void {
    this.timer = null;
    if (this.stopped || this.inflight !== null || this.pending.size === 0) return;
    if (this.clock.now() < this.due()) this.arm();
    else this.start();
  }

  private clearTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private start(): void {
    const batch = this.pending;
    this.pending = new Set();
    this.inflight = this.execute(batch);
  }

  private async execute(batch: Set<K>): Promise<void> {
    await undefined; // `inflight` is set before the run function is called, even if it throws at once
    const keys: ReadonlySet<K> = new Set(batch);
    try {
      await this.o.run(batch);
    } catch (err) {
      this.failures++;
      try {
        this.o.onError?.(err, keys);
      } catch {
        // a failing error reporter must not take the queue down
      }
    } finally {
      this.runs++;
      this.inflight = null;
      if (!this.stopped && this.pending.size > 0) this.arm();
    }
  }
}
