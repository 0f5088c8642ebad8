/**
 * The timing arithmetic, with scripted randomness: backoff grows and caps, jitter stays in its window,
 * and the token bucket refuses past capacity, refills at its rate and survives a clock that goes back.
 */
import { describe, expect, it } from 'vitest';
import { backoffMs, bucketFull, bucketFullRefillMs, bucketTake, bucketWaitMs, jitterMs, spreadMs, type BucketState } from '../../src/core/schedule-math.js';

const ALMOST_ONE = () => 0.999999;
const HALF = () => 0.5;
const ZERO = () => 0;

describe('backoffMs', () => {
  const p = { baseMs: 5_000, maxMs: 300_000 };

  it('doubles its ceiling per attempt, then caps', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 20].map((a) => backoffMs(a, p, ALMOST_ONE));
    expect(ceilings).toEqual([4_999, 9_999, 19_999, 39_999, 79_999, 159_999, 299_999, 299_999, 299_999]);
  });

  it('is full jitter: anywhere from 0 to the ceiling', () => {
    expect(backoffMs(3, p, ZERO)).toBe(0);
    expect(backoffMs(3, p, HALF)).toBe(20_000);
  });

  it('never leaves [0, maxMs) whatever the attempt or the random source says', () => {
    for (const attempt of [-1, NaN, Infinity, 1e9, 2.5]) {
      for (const random of [() => 1, () => 7, () => -3, () => NaN, Math.random]) {
        const ms = backoffMs(attempt, p, random);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThan(300_000);
      }
    }
    expect(backoffMs(-1, p, ALMOST_ONE)).toBe(4_999); // a bad attempt counts as the first
  });

  it('a zero base never yields NaN', () => {
    expect(backoffMs(2000, { baseMs: 0, maxMs: 10 }, HALF)).toBe(0);
  });
});

describe('jitterMs and spreadMs', () => {
  it('jitter is drawn from [0, max)', () => {
    expect(jitterMs(30_000, ZERO)).toBe(0);
    expect(jitterMs(30_000, HALF)).toBe(15_000);
    expect(jitterMs(30_000, () => 1)).toBeLessThan(30_000);
    expect(jitterMs(0, HALF)).toBe(0);
    expect(jitterMs(-5, HALF)).toBe(0);
    expect(jitterMs(NaN, HALF)).toBe(0);
  });

  it('spread stays within ±fraction of the interval', () => {
    expect(spreadMs(900_000, 0.1, ZERO)).toBe(810_000);
    expect(spreadMs(900_000, 0.1, HALF)).toBe(900_000);
    expect(spreadMs(900_000, 0.1, ALMOST_ONE)).toBe(990_000);
    expect(spreadMs(900_000, 0, ZERO)).toBe(900_000);
    expect(spreadMs(10, 0.99, ZERO)).toBe(1); // never 0: no busy loop
  });
});

describe('token bucket', () => {
  const p = { capacity: 10, refillPerSec: 0.1 }; // 10 repairs, then one per 10 s

  const takeN = (s: BucketState, now: number, n: number) => {
    let oks = 0;
    for (let i = 0; i < n; i++) {
      const r = bucketTake(s, now, p);
      if (r.ok) oks++;
      s = r.state;
    }
    return { oks, s };
  };

  it('allows a burst of capacity, then refuses', () => {
    const { oks, s } = takeN(bucketFull(0, p), 0, 25);
    expect(oks).toBe(10);
    expect(bucketTake(s, 0, p).ok).toBe(false);
  });

  it('refills at its rate, never past capacity', () => {
    const empty = takeN(bucketFull(0, p), 0, 10).s;
    expect(bucketTake(empty, 9_999, p).ok).toBe(false);
    expect(bucketTake(empty, 10_000, p).ok).toBe(true);
    expect(bucketWaitMs(empty, 0, p)).toBe(10_000);
    expect(bucketWaitMs(empty, 4_000, p)).toBe(6_000);
    // an hour later: a full bucket, not 360 tokens
    expect(takeN(empty, 3_600_000, 50).oks).toBe(10);
    expect(bucketFullRefillMs(p)).toBe(100_000);
  });

  it('a clock that goes backwards refills nothing', () => {
    const empty = takeN(bucketFull(100_000, p), 100_000, 10).s;
    const r = bucketTake(empty, 0, p);
    expect(r.ok).toBe(false);
    expect(r.state.at).toBe(100_000);
    expect(bucketTake(r.state, 110_000, p).ok).toBe(true);
  });

  it('a bucket that never refills waits forever', () => {
    const q = { capacity: 1, refillPerSec: 0 };
    const s = bucketTake(bucketFull(0, q), 0, q).state;
    expect(bucketWaitMs(s, 1e9, q)).toBe(Infinity);
  });
});
