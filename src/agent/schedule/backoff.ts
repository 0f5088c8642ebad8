/**
 * Retry spacing for one thing that keeps failing (a policy fetch, a report upload): `next()` after each
 * failure gives the wait before the next try — exponential with full jitter, base 5 s, capped at 5 min by
 * default (src/core/schedule-math.ts backoffMs) — and `reset()` after a success starts over.
 */
import { CcfleetError } from '../../core/errors.js';
import { backoffMs } from '../../core/schedule-math.js';

export interface BackoffOptions {
  /** Default 5,000 ms. */
  baseMs?: number;
  /** Default 300,000 ms. */
  maxMs?: number;
  random?: () => number;
}

export class Backoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(o: BackoffOptions = {}) {
    this.baseMs = o.baseMs ?? 5_000;
    this.maxMs = o.maxMs ?? 300_000;
    if (!(this.baseMs > 0) || !Number.isFinite(this.baseMs) || !(this.maxMs >= this.baseMs) || !Number.isFinite(this.maxMs)) {
      throw new CcfleetError('CONFIG_INVALID', `backoff needs 0 < baseMs ≤ maxMs (got ${this.baseMs}, ${this.maxMs})`);
    }
    this.random = o.random ?? Math.random;
  }

  /** The wait before the next try (call once per failure). */
  next(): number {
    return backoffMs(this.failures++, { baseMs: this.baseMs, maxMs: this.maxMs }, this.random);
  }

  reset(): void {
    this.failures = 0;
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.failures;
  }
}
