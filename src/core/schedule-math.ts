/**
 * The arithmetic of timing policy: exponential backoff, jitter and a token bucket. Pure: no clock, no
 * timers, no Math.random — the caller passes `now` and a `random()` in [0, 1), so every result is
 * reproducible in a test. The stateful wrappers live in src/agent/schedule/.
 */

export interface BackoffParams {
  /** Ceiling of the first retry (attempt 0). */
  baseMs: number;
  /** Ceiling of every later retry. */
  maxMs: number;
}

/** `random()` clamped into [0, 1): a misbehaving source can never stretch a delay past its ceiling. */
function unit(random: () => number): number {
  const r = random();
  return Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
}

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a delay
 * drawn uniformly from [0, min(maxMs, baseMs · 2^attempt)). `attempt` counts from 0; a negative or
 * non-finite attempt counts as 0. Full jitter spreads a fleet's retries evenly instead of in waves.
 */
export function backoffMs(attempt: number, p: BackoffParams, random: () => number): number {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  const base = Math.max(0, p.baseMs);
  const ceiling = Math.min(Math.max(base, p.maxMs), base * 2 ** Math.min(n, 52));
  return Math.floor(unit(random) * ceiling);
}

/** A delay drawn uniformly from [0, maxMs); 0 when maxMs ≤ 0. */
export function jitterMs(maxMs: number, random: () => number): number {
  return Number.isFinite(maxMs) && maxMs > 0 ? Math.floor(unit(random) * maxMs) : 0;
}

/** `intervalMs` spread by ±fraction (0.1 → 90 %..110 %), never below 1 ms. */
export function spreadMs(intervalMs: number, fraction: number, random: () => number): number {
  const f = Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 1) : 0;
  return Math.max(1, Math.round(intervalMs * (1 + f * (2 * unit(random) - 1))));
}

export interface BucketState {
  /** Tokens left (fractional while refilling). */
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

export interface BucketParams {
  /** Most tokens the bucket holds (the burst allowed after a quiet period). */
  capacity: number;
  /** Tokens added per second. */
  refillPerSec: number;
}

/** A full bucket, as of `now`. */
export const bucketFull = (now: number, p: BucketParams): BucketState => ({ tokens: p.capacity, at: now });

/** The bucket's tokens as of `now`. A clock that went backwards refills nothing. */
export function bucketRefill(state: BucketState, now: number, p: BucketParams): BucketState {
  if (!(now > state.at)) return { tokens: Math.min(state.tokens, p.capacity), at: Math.max(state.at, now) };
  const tokens = Math.min(p.capacity, state.tokens + ((now - state.at) / 1000) * Math.max(0, p.refillPerSec));
  return { tokens, at: now };
}

/** Take one token if there is one. The returned state is the new one either way (refill accounted). */
export function bucketTake(state: BucketState, now: number, p: BucketParams): { ok: boolean; state: BucketState } {
  const s = bucketRefill(state, now, p);
  return s.tokens >= 1 ? { ok: true, state: { tokens: s.tokens - 1, at: s.at } } : { ok: false, state: s };
}

/** How long until a token is available (0 if one is now; Infinity if the bucket never refills). */
export function bucketWaitMs(state: BucketState, now: number, p: BucketParams): number {
  const s = bucketRefill(state, now, p);
  if (s.tokens >= 1) return 0;
  if (!(p.refillPerSec > 0) || p.capacity < 1) return Infinity;
  return Math.ceil(((1 - s.tokens) / p.refillPerSec) * 1000);
}

/** How long an untouched bucket takes to refill from empty: after that, forgetting it loses nothing. */
export const bucketFullRefillMs = (p: BucketParams): number =>
  p.refillPerSec > 0 ? Math.ceil((p.capacity / p.refillPerSec) * 1000) : Infinity;
