/**
 * Crash consistency of the safe writer: writers SIGKILLed at random moments (≥ 200 trials) always leave
 * exactly the old or the new content, and their temp files are cleaned up by the next write. The batch
 * variant kills writers in the middle of writeFilesSafely batches of 8 files in 8 folders (temp files
 * fsynced together, folder fsyncs deferred to the end of the batch): every file, every time, old or new.
 * bench/ can run more trials through test/support/crash-trials.ts.
 */
import { describe, expect, it } from 'vitest';
import { runCrashTrials, type CrashTrialReport } from '../support/crash-trials.js';

/** What every run must show: no mixed file, kills at varied points, at most one leftover temp, none after a clean write. */
function expectConsistent(r: CrashTrialReport, observations: number): void {
  expect(r.failures).toEqual([]);
  expect(r.writerFailures).toBe(0);
  expect(r.sawOld + r.sawNew).toBe(observations);
  // Kills landed at different points of the write cycle, not always at the same one.
  expect(r.sawOld).toBeGreaterThan(0);
  expect(r.sawNew).toBeGreaterThan(0);
  // A killed writer may leave its temp file; the next writer removes it, so they never pile up.
  expect(r.maxLeftoverTemps).toBeLessThanOrEqual(1);
  expect(r.tempsAfterCleanWrite).toBe(0);
}

describe('safe writer under SIGKILL', () => {
  it('leaves the old or the new valid content after every kill (200 trials)', async () => {
    const r = await runCrashTrials({ trials: 200, lanes: 2 });
    expect(r.trials).toBe(200);
    expectConsistent(r, 200);
  }, 120_000);

  it('batches: every file of a killed batch is old or new (100 trials × 8 files)', async () => {
    expectConsistent(await runCrashTrials({ trials: 100, lanes: 2, filesPerWriter: 8 }), 800);
  }, 120_000);
});
