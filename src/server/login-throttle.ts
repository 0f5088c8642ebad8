/**
 * Failed admin credentials, throttled per client (client-address.ts `clientKey`: an IPv4 address or an
 * IPv6 /64): a token bucket of `burst` failures (default 5) that refills one every `refillSeconds` (30).
 * Only a failure takes a token; while the bucket is empty every attempt is refused before the token is
 * even looked at (429 + Retry-After), a correct one included — so guessing gets 5 tries, then 2 a minute.
 * A success takes nothing. Memory is bounded: at most `maxClients` buckets (10,000), least recently
 * touched forgotten first; a bucket that has refilled is forgotten by `sweep` (it carries no information).
 *
 *   const wait = throttle.wait(key, now);   // ms until this client may try again (0: now)
 *   if (!ok) throttle.failed(key, now);
 */
import { bucketFull, bucketFullRefillMs, bucketRefill, bucketWaitMs, type BucketParams, type BucketState } from '../core/schedule-math.js';

export interface LoginThrottleOptions {
  /** Failures allowed at once (default 5). */
  burst?: number;
  /** One more failure allowed every this many seconds (default 30). */
  refillSeconds?: number;
  /** Clients remembered at most (default 10,000). */
  maxClients?: number;
}

export const LOGIN_THROTTLE_DEFAULTS = { burst: 5, refillSeconds: 30, maxClients: 10_000 } as const;

export class LoginThrottle {
  private readonly buckets = new Map<string, BucketState>();
  private readonly params: BucketParams;
  private readonly maxClients: number;
  private readonly forgetAfterMs: number;

  constructor(o: LoginThrottleOptions = {}) {
    const burst = o.burst ?? LOGIN_THROTTLE_DEFAULTS.burst;
    const refill = o.refillSeconds ?? LOGIN_THROTTLE_DEFAULTS.refillSeconds;
    if (!(Number.isInteger(burst) && burst >= 1 && refill > 0)) throw new RangeError('login throttle: burst must be an integer ≥ 1 and refillSeconds > 0');
    this.params = { capacity: burst, refillPerSec: 1 / refill };
    this.maxClients = Math.max(1, o.maxClients ?? LOGIN_THROTTLE_DEFAULTS.maxClients);
    this.forgetAfterMs = bucketFullRefillMs(this.params);
  }

  /** Milliseconds until `key` may try again (0: now). Changes nothing. */
  wait(key: string, now: number): number {
    const s = this.buckets.get(key);
    return s === undefined ? 0 : bucketWaitMs(s, now, this.params);
  }

  /** Records a failed attempt (takes a token; the bucket may go empty). */
  failed(key: string, now: number): void {
    const s = bucketRefill(this.buckets.get(key) ?? bucketFull(now, this.params), now, this.params);
    this.buckets.delete(key); // re-inserted last: Map order is the LRU order
    this.buckets.set(key, { tokens: Math.max(0, s.tokens - 1), at: s.at });
    if (this.buckets.size > this.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
  }

  /** Forgets buckets that have refilled completely. */
  sweep(now: number): void {
    for (const [k, s] of this.buckets) if (now - s.at >= this.forgetAfterMs) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}
