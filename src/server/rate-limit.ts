/**
 * Per-key token buckets (core/schedule-math.ts): `take(key, now)` → 0 when allowed, else the milliseconds
 * until a token is back (the Retry-After). Buckets that have refilled completely carry no information and
 * are forgotten by `sweep(now)` (the app calls it every minute), so memory follows the active devices.
 * Per process: with several replicas behind a load balancer, a device gets each replica's allowance.
 */
import { bucketFull, bucketFullRefillMs, bucketRefill, bucketTake, bucketWaitMs, type BucketParams, type BucketState } from '../core/schedule-math.js';

export class RateLimiter {
  private readonly buckets = new Map<string, BucketState>();
  private readonly forgetAfterMs: number;

  constructor(readonly params: BucketParams) {
    this.forgetAfterMs = bucketFullRefillMs(params);
  }

  take(key: string, now: number): number {
    const state = this.buckets.get(key) ?? bucketFull(now, this.params);
    const r = bucketTake(state, now, this.params);
    this.buckets.set(key, r.state);
    if (r.ok) return 0;
    const wait = bucketWaitMs(r.state, now, this.params);
    return Number.isFinite(wait) ? Math.max(1, wait) : 60_000;
  }

  /** Takes `n` tokens at once, or none: 0 when taken, else the milliseconds until `n` are there. */
  takeMany(key: string, n: number, now: number): number {
    const s = bucketRefill(this.buckets.get(key) ?? bucketFull(now, this.params), now, this.params);
    if (s.tokens >= n) {
      this.buckets.set(key, { tokens: s.tokens - n, at: s.at });
      return 0;
    }
    this.buckets.set(key, s);
    if (n > this.params.capacity || !(this.params.refillPerSec > 0)) return 60_000;
    return Math.max(1, Math.ceil(((n - s.tokens) / this.params.refillPerSec) * 1000));
  }

  sweep(now: number): void {
    for (const [k, s] of this.buckets) if (now - s.at >= this.forgetAfterMs) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** `perMinute` requests a minute, `burst` at once after a quiet period. */
export const perMinute = (perMinute: number, burst: number): BucketParams => ({ capacity: burst, refillPerSec: perMinute / 60 });
