/**
 * Per-key token buckets (keys: the files being repaired). Against flapping — something else keeps
 * rewriting a file — each key may take `capacity` tokens in a burst, then `refillPerSec` per second; a
 * refused take means "don't repair now", and the stats are the evidence for a `contested` finding.
 *
 * A key's window opens with its first take and lasts while it stays busy; `stats` counts within it. An
 * entry untouched for `idleMs` (never less than the time a bucket takes to refill from empty, so
 * forgetting it changes nothing) is dropped, and at most `maxKeys` entries are kept (least recently
 * used go first): memory stays bounded however many files churn.
 */
import { CcfleetError } from '../../core/errors.js';
import { bucketFull, bucketFullRefillMs, bucketRefill, bucketTake, bucketWaitMs, type BucketParams, type BucketState } from '../../core/schedule-math.js';
import { realClock, type Clock } from './clock.js';

export interface RateLimiterOptions {
  /** Burst size. Default 10. */
  capacity?: number;
  /** Tokens per second. Default 0.1 (one every 10 s). */
  refillPerSec?: number;
  /** Forget a key untouched this long (raised to the full-refill time). Default: the full-refill time. */
  idleMs?: number;
  /** Most keys remembered. Default 10,000. */
  maxKeys?: number;
  clock?: Clock;
}

export interface RateStats {
  /** When this key's window opened (its first take after being idle). */
  since: number;
  taken: number;
  refused: number;
  firstRefusedAt: number | null;
  lastRefusedAt: number | null;
  /** Tokens left now (fractional while refilling). */
  tokens: number;
  /** Until the next take can succeed (0: now). */
  retryInMs: number;
}

interface Entry {
  bucket: BucketState;
  since: number;
  touched: number;
  taken: number;
  refused: number;
  firstRefusedAt: number | null;
  lastRefusedAt: number | null;
}

export class RateLimiter<K> {
  private readonly clock: Clock;
  private readonly p: BucketParams;
  private readonly expireMs: number;
  private readonly maxKeys: number;
  /** Ordered by last take, oldest first (an entry is re-inserted on every take). */
  private readonly entries = new Map<K, Entry>();

  constructor(o: RateLimiterOptions = {}) {
    const capacity = o.capacity ?? 10;
    const refillPerSec = o.refillPerSec ?? 0.1;
    const maxKeys = o.maxKeys ?? 10_000;
    if (!Number.isFinite(capacity) || capacity < 1) throw new CcfleetError('CONFIG_INVALID', `rate limit capacity must be ≥ 1 (got ${capacity})`);
    if (!Number.isFinite(refillPerSec) || refillPerSec <= 0) throw new CcfleetError('CONFIG_INVALID', `rate limit refill must be > 0 per second (got ${refillPerSec})`);
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new CcfleetError('CONFIG_INVALID', `rate limit maxKeys must be a positive integer (got ${maxKeys})`);
    this.clock = o.clock ?? realClock;
    this.p = { capacity, refillPerSec };
    this.expireMs = Math.max(o.idleMs ?? 0, bucketFullRefillMs(this.p));
    this.maxKeys = maxKeys;
  }

  /** Take a token for `key`: true = go ahead, false = refused (counted). */
  take(key: K): boolean {
    const now = this.clock.now();
    this.sweep(now);
    let e = this.entries.get(key);
    if (e === undefined) e = { bucket: bucketFull(now, this.p), since: now, touched: now, taken: 0, refused: 0, firstRefusedAt: null, lastRefusedAt: null };
    else this.entries.delete(key);
    const r = bucketTake(e.bucket, now, this.p);
    e.bucket = r.state;
    e.touched = now;
    if (r.ok) e.taken++;
    else {
      e.refused++;
      e.firstRefusedAt ??= now;
      e.lastRefusedAt = now;
    }
    this.entries.set(key, e);
    if (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return r.ok;
  }

  /** The key's current window, or null when it has none (never taken, or idle and forgotten). */
  stats(key: K): RateStats | null {
    const now = this.clock.now();
    const e = this.live(key, now);
    if (e === null) return null;
    return {
      since: e.since, taken: e.taken, refused: e.refused, firstRefusedAt: e.firstRefusedAt, lastRefusedAt: e.lastRefusedAt,
      tokens: bucketRefill(e.bucket, now, this.p).tokens, retryInMs: bucketWaitMs(e.bucket, now, this.p),
    };
  }

  /** Until a take for `key` can succeed (0: now). */
  retryInMs(key: K): number {
    const now = this.clock.now();
    const e = this.live(key, now);
    return e === null ? 0 : bucketWaitMs(e.bucket, now, this.p);
  }

  /** Keys refused at least once in their current window. */
  contested(): K[] {
    this.sweep(this.clock.now());
    return [...this.entries].filter(([, e]) => e.refused > 0).map(([k]) => k);
  }

  /** Entries remembered (after dropping idle ones). */
  size(): number {
    this.sweep(this.clock.now());
    return this.entries.size;
  }

  forget(key: K): void {
    this.entries.delete(key);
  }

  private live(key: K, now: number): Entry | null {
    const e = this.entries.get(key);
    if (e === undefined) return null;
    if (now - e.touched < this.expireMs) return e;
    this.entries.delete(key);
    return null;
  }

  /** Drop idle entries: they are ordered by last take, so stop at the first live one. */
  private sweep(now: number): void {
    for (const [k, e] of this.entries) {
      if (now - e.touched < this.expireMs) break;
      this.entries.delete(k);
    }
  }
}
