/**
 * The clock every timing decision goes through, so tests can drive it (vitest's `vi.useFakeTimers()`
 * replaces the globals this real clock calls, at call time; a hand-written Clock works as well).
 *
 * The real clock's timers are deliberately NOT unref'd: the daemon must stay alive on its own timers even
 * if no watcher is armed (every folder gone, polling off), and a CLI run that schedules nothing has no
 * timers to hold it. Whoever arms a timer owns it — Scheduler.stop() clears them all, which is what lets
 * the process exit after SIGTERM.
 */

/** An opaque timer handle; only `clearTimeout` of the clock that made it understands it. */
export interface TimerHandle {
  readonly __timer: true;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle): void;
}

/** Node's timers overflow past 2^31-1 ms (≈ 24.8 days) and then fire after 1 ms; longer waits are chained. */
const MAX_DELAY = 2_147_483_647;

interface RealHandle extends TimerHandle {
  t: ReturnType<typeof globalThis.setTimeout> | null;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const h: RealHandle = { __timer: true, t: null };
    const arm = (left: number): void => {
      const step = Math.min(left, MAX_DELAY);
      h.t = globalThis.setTimeout(() => {
        if (left > MAX_DELAY) arm(left - MAX_DELAY);
        else {
          h.t = null;
          fn();
        }
      }, step);
    };
    if (ms !== Infinity) arm(Number.isFinite(ms) && ms > 0 ? ms : 0); // Infinity: never
    return h;
  },
  clearTimeout(h) {
    const r = h as RealHandle;
    if (r.t !== null) globalThis.clearTimeout(r.t);
    r.t = null;
  },
};
