/**
 * The scheduling module under vitest's fake timers (which drive both the real clock and node-schedule):
 * the dirty queue's debounce, max wait, single flight, error handling and stop; the per-file rate limiter;
 * backoff; cron jobs (validation, jitter, no overlap) and interval jobs; the Scheduler that owns them all.
 * Every timing assertion is on the fake clock, never on the machine's.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CcfleetError } from '../../src/core/errors.js';
import { Backoff, DirtyQueue, RateLimiter, realClock, scheduleCron, scheduleEvery, Scheduler, validateCron, type ScheduledJob } from '../../src/agent/scheduler.js';

/** A promise the test resolves by hand: a run "in flight". */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = (ms: number) => vi.advanceTimersByTimeAsync(ms);

/** Cron jobs made by a test, cancelled after it so node-schedule's process-wide timer list is clean. */
const jobs: ScheduledJob[] = [];
const track = (j: ScheduledJob): ScheduledJob => (jobs.push(j), j);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date(2030, 0, 1, 0, 1, 30)); // local time: cron fields are local
});

afterEach(() => {
  for (const j of jobs.splice(0)) j.cancel();
  vi.useRealTimers();
});

describe('DirtyQueue', () => {
  it('merges 100 marks into one run, after the debounce', async () => {
    const runs: string[][] = [];
    const q = new DirtyQueue<string>({ run: (keys) => void runs.push([...keys].sort()) });
    for (let i = 0; i < 100; i++) q.add(`user:${i % 7}`);
    await tick(24);
    expect(runs).toEqual([]);
    await tick(1);
    expect(runs).toEqual([['user:0', 'user:1', 'user:2', 'user:3', 'user:4', 'user:5', 'user:6']]);
    await tick(10_000);
    expect(runs).toHaveLength(1);
  });

  it('debounces marks spread out in time: one run, 25 ms after the last', async () => {
    const at: number[] = [];
    const q = new DirtyQueue<string>({ run: () => void at.push(Date.now()) });
    const start = Date.now();
    for (let i = 0; i < 100; i++) {
      q.add('managed');
      await tick(2); // always inside the 25 ms debounce; 200 ms in all, inside the 250 ms max wait
    }
    await tick(1_000);
    expect(at).toEqual([start + 200 - 2 + 25]);
  });

  it('bounds latency by maxWait under a constant stream', async () => {
    const markedAt = new Map<number, number>();
    const waits: number[] = [];
    const q = new DirtyQueue<number>({
      run: (keys) => {
        for (const k of keys) waits.push(Date.now() - (markedAt.get(k) ?? NaN));
      },
    });
    for (let i = 0; i < 100; i++) {
      markedAt.set(i, Date.now());
      q.add(i);
      await tick(10); // never 25 ms of quiet
    }
    await tick(1_000);
    expect(waits).toHaveLength(100);
    expect(Math.max(...waits)).toBeLessThanOrEqual(250);
    expect(q.stats().runs).toBeGreaterThanOrEqual(4); // 1 s of stream → a run every 250 ms
    expect(q.stats().runs).toBeLessThanOrEqual(5);
  });

  it('runs one at a time: marks during a run make exactly one follow-up run', async () => {
    const gate = deferred();
    const runs: string[][] = [];
    let active = 0;
    let maxActive = 0;
    const q = new DirtyQueue<string>({
      run: async (keys) => {
        runs.push([...keys].sort());
        maxActive = Math.max(maxActive, ++active);
        if (runs.length === 1) await gate.promise;
        active--;
      },
    });
    q.add('a');
    await tick(25);
    expect(runs).toEqual([['a']]);
    for (let i = 0; i < 50; i++) {
      q.add(i % 2 ? 'b' : 'c');
      q.add('a');
      await tick(100);
    }
    expect(runs).toHaveLength(1); // still in flight after 5 s of marks
    gate.resolve();
    await tick(0);
    await tick(1_000);
    expect(runs).toEqual([['a'], ['a', 'b', 'c']]);
    expect(maxActive).toBe(1);
  });

  it('reports a failing run and carries on', async () => {
    const errors: Array<[unknown, string[]]> = [];
    let calls = 0;
    const q = new DirtyQueue<string>({
      run: (keys) => {
        calls++;
        if (calls === 1) throw new Error(`boom ${[...keys].join(',')}`);
        if (calls === 2) return Promise.reject(new Error('async boom'));
      },
      onError: (err, keys) => errors.push([err, [...keys]]),
    });
    q.add('x');
    await tick(25);
    q.add('y');
    await tick(25);
    q.add('z');
    await tick(25);
    expect(calls).toBe(3);
    expect(errors.map(([e, k]) => [(e as Error).message, k])).toEqual([['boom x', ['x']], ['async boom', ['y']]]);
    expect(q.stats()).toMatchObject({ runs: 3, failures: 2, pending: 0, running: false });
  });

  it('a throwing error reporter does not kill the queue either', async () => {
    let calls = 0;
    const q = new DirtyQueue<string>({ run: () => { calls++; throw new Error('run'); }, onError: () => { throw new Error('reporter'); } });
    q.add('a');
    await tick(25);
    q.add('b');
    await tick(25);
    expect(calls).toBe(2);
  });

  it('stop() waits for the run in flight, then refuses marks', async () => {
    const gate = deferred();
    let calls = 0;
    const q = new DirtyQueue<string>({ run: async () => { calls++; await gate.promise; } });
    q.add('a');
    await tick(25);
    q.add('b'); // pending: dropped by stop
    let stopped = false;
    const stopping = q.stop().then(() => (stopped = true));
    await tick(5_000);
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(stopped).toBe(true);
    expect(q.add('c')).toBe(false);
    expect(q.addLater('c', 10)).toBe(false);
    await tick(5_000);
    expect(calls).toBe(1);
  });

  it('flush() runs what is pending without waiting for the debounce', async () => {
    const runs: string[][] = [];
    const q = new DirtyQueue<string>({ run: (keys) => void runs.push([...keys]) });
    q.add('a');
    q.add('a');
    await q.flush();
    expect(runs).toEqual([['a']]);
    await tick(1_000);
    expect(runs).toHaveLength(1); // the cleared timer does not run an empty batch
    await q.flush(); // nothing pending: nothing to do
    expect(runs).toHaveLength(1);
  });

  it('flush() during a run waits for it, then runs the follow-up', async () => {
    const gate = deferred();
    const runs: string[][] = [];
    const q = new DirtyQueue<string>({
      run: async (keys) => {
        runs.push([...keys]);
        if (runs.length === 1) await gate.promise;
      },
    });
    q.add('a');
    await tick(25);
    q.add('b');
    const flushed = q.flush();
    gate.resolve();
    await flushed;
    expect(runs).toEqual([['a'], ['b']]);
  });

  it('addLater marks a key after its delay; the earliest request wins', async () => {
    const runs: Array<[number, string[]]> = [];
    const start = Date.now();
    const q = new DirtyQueue<string>({ run: (keys) => void runs.push([Date.now() - start, [...keys]]) });
    q.addLater('f', 10_000);
    q.addLater('f', 3_000);
    q.addLater('f', 8_000); // later than the pending 3 s: ignored
    await tick(60_000);
    expect(runs).toEqual([[3_025, ['f']]]);
    expect(q.stats().later).toBe(0);
  });

  it('uses an injected clock when given one', async () => {
    let now = 0;
    const timers: Array<{ at: number; fn: () => void } | null> = [];
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => (timers.push({ at: now + ms, fn }), { __timer: true as const, i: timers.length - 1 }),
      clearTimeout: (h: { __timer: true }) => void (timers[(h as unknown as { i: number }).i] = null),
    };
    const runs: number[] = [];
    const q = new DirtyQueue<string>({ run: () => void runs.push(now), clock });
    q.add('a');
    now = 25;
    for (const t of timers.splice(0)) if (t && t.at <= now) t.fn();
    await q.flush();
    expect(runs).toEqual([25]);
  });
});

describe('RateLimiter', () => {
  it('refuses past capacity, refills at its rate, and keeps the evidence', async () => {
    const rl = new RateLimiter<string>({ capacity: 3, refillPerSec: 1 });
    const t0 = Date.now();
    expect([1, 2, 3, 4, 5].map(() => rl.take('/home/a/.claude/settings.json'))).toEqual([true, true, true, false, false]);
    expect(rl.take('/home/b/.claude/settings.json')).toBe(true); // per key
    await tick(500);
    expect(rl.take('/home/a/.claude/settings.json')).toBe(false);
    expect(rl.retryInMs('/home/a/.claude/settings.json')).toBe(500);
    await tick(500);
    expect(rl.take('/home/a/.claude/settings.json')).toBe(true);
    expect(rl.stats('/home/a/.claude/settings.json')).toEqual({
      since: t0, taken: 4, refused: 3, firstRefusedAt: t0, lastRefusedAt: t0 + 500, tokens: 0, retryInMs: 1_000,
    });
    expect(rl.contested()).toEqual(['/home/a/.claude/settings.json']);
    expect(rl.stats('/never')).toBeNull();
  });

  it('a contested file under constant rewrites gets about one repair per refill period', async () => {
    const rl = new RateLimiter<string>(); // 10, then 1 per 10 s
    let repairs = 0;
    for (let t = 0; t < 60_000; t += 20) { // rewritten every 20 ms for a minute
      if (rl.take('f')) repairs++;
      await tick(20);
    }
    expect(repairs).toBe(10 + 5); // the burst, then one every 10 s (at 10, 20, 30, 40, 50 s)
    expect(rl.stats('f')?.refused).toBe(3_000 - 15);
  });

  it('forgets a key once idle for the full refill time (bounded memory)', async () => {
    const rl = new RateLimiter<string>({ capacity: 2, refillPerSec: 0.5 }); // full refill: 4 s
    rl.take('a');
    rl.take('a');
    rl.take('a');
    await tick(3_999);
    expect(rl.size()).toBe(1);
    expect(rl.stats('a')?.refused).toBe(1);
    await tick(1);
    expect(rl.stats('a')).toBeNull();
    expect(rl.size()).toBe(0);
    expect(rl.take('a')).toBe(true); // a fresh window
    expect(rl.stats('a')).toMatchObject({ taken: 1, refused: 0, firstRefusedAt: null });
  });

  it('keeps at most maxKeys entries, dropping the least recently used', () => {
    const rl = new RateLimiter<number>({ maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) rl.take(i);
    expect(rl.size()).toBe(100);
    expect(rl.stats(0)).toBeNull();
    expect(rl.stats(999)).not.toBeNull();
  });

  it('refuses nonsense settings with CONFIG_INVALID', () => {
    for (const o of [{ capacity: 0 }, { refillPerSec: 0 }, { refillPerSec: -1 }, { capacity: NaN }, { maxKeys: 0 }]) {
      expect(() => new RateLimiter(o)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });
});

describe('Backoff', () => {
  it('grows from 5 s, caps at 5 min, and starts over after reset()', () => {
    const b = new Backoff({ random: () => 0.999999 });
    const waits = Array.from({ length: 10 }, () => b.next());
    expect(waits).toEqual([4_999, 9_999, 19_999, 39_999, 79_999, 159_999, 299_999, 299_999, 299_999, 299_999]);
    expect(b.attempts).toBe(10);
    b.reset();
    expect(b.next()).toBe(4_999);
  });

  it('is jittered: real randomness stays under each ceiling', () => {
    const b = new Backoff();
    for (let i = 0; i < 20; i++) expect(b.next()).toBeLessThan(Math.min(300_000, 5_000 * 2 ** i));
  });

  it('refuses a base above the cap', () => {
    expect(() => new Backoff({ baseMs: 10, maxMs: 5 })).toThrow(CcfleetError);
  });
});

describe('scheduleCron', () => {
  it.each([
    ['61 * * * *'],
    ['hello'],
    ['*/5 * * *'],
    ['2030-01-01'],
    ['0 0 31 2 *'], // never fires
    ['* * * * MON'.replace('MON', 'XYZ')],
  ])('refuses %j with CONFIG_INVALID naming the expression', (expr) => {
    let err: unknown;
    try {
      track(scheduleCron('policy-refresh', expr, { run: () => undefined }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CcfleetError);
    expect((err as CcfleetError).code).toBe('CONFIG_INVALID');
    expect((err as CcfleetError).message).toContain(JSON.stringify(expr));
    expect((err as CcfleetError).message).toContain('policy-refresh');
  });

  it('refuses an unknown time zone and a negative jitter', () => {
    expect(() => validateCron('x', { minute: 0, tz: 'Nowhere/Atlantis' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => scheduleCron('x', '* * * * *', { jitterSeconds: -1, run: () => undefined })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('accepts 5 and 6 fields, @macros and object literals', () => {
    for (const spec of ['*/5 * * * *', '0 */5 * * * *', '@hourly', { hour: 3, minute: 0 }, { minute: [0, 30], tz: 'Europe/Paris' }]) {
      expect(() => validateCron('ok', spec)).not.toThrow();
    }
  });

  it('a */5 job fires on the five minutes, after its jitter', async () => {
    const ranAt: number[] = [];
    const job = track(scheduleCron('policy-refresh', '*/5 * * * *', { jitterSeconds: 30, random: () => 0.5, run: () => void ranAt.push(Date.now()) }));
    const at = (h: number, m: number, s: number) => new Date(2030, 0, 1, h, m, s).getTime();
    expect(job.nextAt()).toBe(at(0, 5, 0));
    await tick(at(0, 5, 14) - Date.now());
    expect(ranAt).toEqual([]); // triggered at 00:05:00, waiting its 15 s of jitter
    await tick(1_000);
    expect(ranAt).toEqual([at(0, 5, 15)]);
    expect(job.nextAt()).toBe(at(0, 10, 0));
    await tick(at(0, 20, 59) - Date.now());
    expect(ranAt).toEqual([at(0, 5, 15), at(0, 10, 15), at(0, 15, 15), at(0, 20, 15)]);
    expect(job.stats()).toMatchObject({ runs: 4, skipped: 0, failures: 0 });
  });

  it('with real randomness every run lands inside its jitter window', async () => {
    const ranAt: number[] = [];
    track(scheduleCron('resync', '*/5 * * * *', { jitterSeconds: 60, run: () => void ranAt.push(Date.now()) }));
    await tick(3 * 60 * 60_000); // three hours: 36 triggers
    expect(ranAt).toHaveLength(36);
    for (const t of ranAt) {
      const trigger = Math.floor(t / 300_000) * 300_000; // UTC offsets are whole minutes: five-minute marks agree
      expect(t - trigger).toBeGreaterThanOrEqual(0);
      expect(t - trigger).toBeLessThan(60_000);
    }
  });

  it('never overlaps: triggers during a run are skipped and counted', async () => {
    const gate = deferred();
    let calls = 0;
    const job = track(scheduleCron('slow', '*/5 * * * *', { run: async () => { calls++; if (calls === 1) await gate.promise; } }));
    await tick(20 * 60_000); // triggers at 00:05, 00:10, 00:15, 00:20
    expect(calls).toBe(1);
    expect(job.stats()).toMatchObject({ runs: 0, skipped: 3, running: true });
    gate.resolve();
    await tick(5 * 60_000);
    expect(calls).toBe(2);
    expect(job.stats()).toMatchObject({ runs: 2, skipped: 3, running: false });
  });

  it('a trigger still waiting for its jitter also blocks the next one', async () => {
    let calls = 0;
    const job = track(scheduleCron('jittery', '* * * * * *', { jitterSeconds: 3, random: () => 0.9, run: () => void calls++ }));
    await tick(10_000);
    expect(calls).toBeGreaterThan(0);
    expect(job.stats().skipped).toBeGreaterThan(0);
    expect(job.stats().runs + job.stats().skipped).toBeGreaterThanOrEqual(9);
  });

  it('reports errors and keeps firing; cancel() stops it', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const job = track(scheduleCron('flaky', '*/5 * * * *', { run: () => { calls++; throw new Error('fetch failed'); }, onError: (e) => errors.push(e) }));
    await tick(10 * 60_000);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(2);
    job.cancel();
    expect(job.nextAt()).toBeNull();
    await tick(60 * 60_000);
    expect(calls).toBe(2);
  });

  it('runNow() runs at once, outside the cadence', async () => {
    let calls = 0;
    const job = track(scheduleCron('refresh', '0 0 * * *', { run: () => void calls++ }));
    expect(await job.runNow()).toBe(true);
    expect(calls).toBe(1);
  });
});

describe('scheduleEvery', () => {
  it('fires every interval ± its jitter, never overlapping', async () => {
    const ranAt: number[] = [];
    const randoms = [0, 1 - 1e-9, 0.5];
    let r = 0;
    const start = Date.now();
    const job = scheduleEvery('resync', 15 * 60_000, { jitterFraction: 0.1, random: () => randoms[r++ % 3] ?? 0, run: () => void ranAt.push(Date.now() - start) });
    await tick(60 * 60_000);
    job.cancel();
    // 13.5 min, then +16.5, then +15, then +13.5
    expect(ranAt).toEqual([810_000, 1_800_000, 2_700_000, 3_510_000]);
  });

  it('immediate: also runs at once; overlapping triggers are skipped', async () => {
    const gate = deferred();
    let calls = 0;
    const job = scheduleEvery('r', 1_000, { jitterFraction: 0, immediate: true, run: async () => { calls++; await gate.promise; } });
    await tick(0);
    expect(calls).toBe(1);
    await tick(5_000);
    expect(job.stats().skipped).toBe(5);
    job.cancel();
    gate.resolve();
    await job.idle();
    expect(job.stats()).toMatchObject({ runs: 1, running: false, cancelled: true });
  });

  it('refuses a zero interval or a jitter fraction of 1 or more', () => {
    expect(() => scheduleEvery('r', 0, { run: () => undefined })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => scheduleEvery('r', 1_000, { jitterFraction: 1, run: () => undefined })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('realClock', () => {
  it('chains waits longer than Node timers allow instead of firing after 1 ms', async () => {
    let fired = false;
    const h = realClock.setTimeout(() => (fired = true), 2 ** 31 + 5_000);
    await tick(2 ** 31 - 1);
    expect(fired).toBe(false);
    await tick(5_000);
    expect(fired).toBe(false);
    await tick(1);
    expect(fired).toBe(true);
    realClock.clearTimeout(h); // harmless after firing
  });

  it('clearTimeout cancels, also during a chained wait', async () => {
    let fired = false;
    const h = realClock.setTimeout(() => (fired = true), 2 ** 31 + 5_000);
    await tick(2 ** 31);
    realClock.clearTimeout(h);
    await tick(10_000);
    expect(fired).toBe(false);
  });
});

describe('Scheduler', () => {
  it('owns jobs and queues; stop() cancels them and waits for what is in flight', async () => {
    const gate = deferred();
    const s = new Scheduler();
    let refreshes = 0;
    let resyncs = 0;
    const q = s.queue<string>({ run: async () => { await gate.promise; } });
    s.cron('policy-refresh', '*/5 * * * *', { jitterSeconds: 10, run: () => void refreshes++ });
    s.every('resync', 60_000, { run: () => void resyncs++ });
    q.add('managed');
    await tick(25); // the queue's run is now in flight
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await tick(60 * 60_000);
    expect(stopped).toBe(false);
    expect(refreshes).toBe(0); // the first trigger (00:05) is after stop
    expect(resyncs).toBe(0);
    gate.resolve();
    await stopping;
    expect(q.add('x')).toBe(false);
    expect(s.stopped).toBe(true);
    expect(s.cron('late', '* * * * *', { run: () => undefined }).nextAt()).toBeNull(); // inert after stop
  });

  it('scheduling a name again replaces the job; errors go to the scheduler onError with the source', async () => {
    const errors: Array<[string, string]> = [];
    const s = new Scheduler({ onError: (e, source) => errors.push([source, (e as Error).message]) });
    let a = 0;
    let b = 0;
    s.every('resync', 1_000, { jitterFraction: 0, run: () => void a++ });
    s.every('resync', 1_000, { jitterFraction: 0, run: () => void b++ });
    await tick(3_000);
    expect([a, b]).toEqual([0, 3]);
    s.once('policy-retry', 500, () => { throw new Error('offline'); });
    const q = s.queue<string>({ name: 'reconcile', run: () => { throw new Error('bug'); } });
    q.add('x');
    await tick(1_000);
    expect(errors.sort()).toEqual([['policy-retry', 'offline'], ['reconcile', 'bug']]);
    expect(Object.keys(s.stats()).sort()).toEqual(['policy-retry', 'resync']);
    expect(s.cancel('resync')).toBe(true);
    expect(s.cancel('resync')).toBe(false);
    await s.stop();
  });

  it('a bad cron leaves the job it would replace alone', async () => {
    const s = new Scheduler();
    let calls = 0;
    s.every('refresh', 1_000, { jitterFraction: 0, run: () => void calls++ });
    expect(() => s.cron('refresh', 'every five minutes', { run: () => undefined })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    await tick(2_000);
    expect(calls).toBe(2);
    await s.stop();
  });

  it('gives limiters and backoffs its clock and randomness', async () => {
    const s = new Scheduler({ random: () => 0 });
    expect(s.backoff().next()).toBe(0);
    const rl = s.limiter<string>({ capacity: 1, refillPerSec: 1 });
    expect(rl.take('f')).toBe(true);
    expect(rl.take('f')).toBe(false);
    await tick(1_000);
    expect(rl.take('f')).toBe(true);
    await s.stop();
  });
});
