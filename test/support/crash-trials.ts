/**
 * Crash-consistency driver (tests run ≥ 200 trials, bench/ can run more): writer processes replace a file
 * in a loop alternating two valid JSON texts of different sizes (one under, one over a page), and each is
 * SIGKILLed at a random moment after its first completed write. After every kill the file must parse and
 * equal exactly one of the two texts. Temp files a killed writer leaves are counted; the next writer must
 * clean them up, and after a final clean write none may remain. `lanes` writers run side by side, each
 * on its own files. With `filesPerWriter` > 1 each writer replaces that many files (each in its own
 * folder) in one writeFilesSafely batch per round, and every one of them is checked after every kill.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFilesSafely } from '../../src/agent/safe-write.js';
import { bundleEntry } from './bundle.js';

export interface CrashTrialOptions {
  trials: number;
  /** Writers running at once (default 2). */
  lanes?: number;
  /** Upper bound of the random delay between `ready` and SIGKILL (default 8 ms). */
  maxDelayMs?: number;
  random?: () => number;
  /** Files each writer replaces in one batch per round (default 1), each in its own folder. */
  filesPerWriter?: number;
}

export interface CrashTrialReport {
  trials: number;
  /** Files found with the old / the new text after a kill (trials × filesPerWriter in all). */
  sawOld: number;
  sawNew: number;
  /** Trials whose writer never reported `ready` (exited on its own): should be 0. */
  writerFailures: number;
  /** Descriptions of every trial that found anything but the old or the new text. */
  failures: string[];
  /** Most temp files seen beside one target right after a kill (leftovers of killed writers). */
  maxLeftoverTemps: number;
  /** Temp files left after a final clean write through writeFileSafely: must be 0. */
  tempsAfterCleanWrite: number;
  elapsedMs: number;
}

export const CRASH_OLD = `${JSON.stringify({ model: 'old', env: { A: 'x'.repeat(200) } }, null, 2)}\n`;
export const CRASH_NEW = `${JSON.stringify({ env: { ANTHROPIC_BASE_URL: 'http://localhost:8080/anthropic', PAD: 'y'.repeat(6000) } }, null, 2)}\n`;

const TEMP = /\.ccfleet-tmp-\d+-[0-9a-f]{8}$/;
const temps = (dir: string): number => fs.readdirSync(dir).filter((n) => TEMP.test(n)).length;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runCrashTrials(opts: CrashTrialOptions): Promise<CrashTrialReport> {
  const started = Date.now();
  const random = opts.random ?? Math.random;
  const maxDelay = opts.maxDelayMs ?? 8;
  const lanes = Math.max(1, opts.lanes ?? 2);
  const perWriter = Math.max(1, opts.filesPerWriter ?? 1);
  const writer = await bundleEntry('test/support/crash-writer-entry.ts');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-crash-'));
  const textsFile = path.join(work, 'texts.json');
  fs.writeFileSync(textsFile, JSON.stringify([CRASH_OLD, CRASH_NEW]));
  const report: CrashTrialReport = { trials: 0, sawOld: 0, sawNew: 0, writerFailures: 0, failures: [], maxLeftoverTemps: 0, tempsAfterCleanWrite: 0, elapsedMs: 0 };
  let next = 0;

  const trial = async (lane: string, targets: string[]): Promise<void> => {
    // One small V8 thread pool: node starts ~30% faster, and start-up is most of a trial's cost.
    const args = ['--v8-pool-size=0', '--single-threaded-gc', '--disable-wasm-trap-handler', ...writer.argv.slice(1), textsFile, lane, ...targets];
    const child = spawn(writer.argv[0]!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    const ready = await new Promise<boolean>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve(true));
      child.on('close', () => resolve(false));
    });
    if (!ready) {
      report.writerFailures++;
      report.failures.push(`trial ${report.trials + 1}: the writer exited on its own: ${stderr.trim()}`);
    } else await sleep(Math.floor(random() * (maxDelay + 1)));
    child.kill('SIGKILL');
    await exited;
    report.trials++;
    for (const target of targets) {
      const text = fs.readFileSync(target, 'utf8');
      if (text === CRASH_OLD) report.sawOld++;
      else if (text === CRASH_NEW) report.sawNew++;
      else report.failures.push(`trial ${report.trials}, ${path.basename(path.dirname(target))}: ${text.length} bytes, parses: ${parses(text)}`);
      report.maxLeftoverTemps = Math.max(report.maxLeftoverTemps, temps(path.dirname(target)));
    }
  };

  const lane = async (i: number): Promise<void> => {
    const dir = path.join(work, `lane-${i}`);
    const targets = Array.from({ length: perWriter }, (_, k) => path.join(dir, `p${k}`, 'settings.json'));
    for (const target of targets) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, CRASH_OLD);
    }
    while (next < opts.trials) {
      next++;
      await trial(dir, targets);
    }
    const results = await writeFilesSafely(
      targets.map((target) => {
        const st = fs.lstatSync(target);
        return { hostPath: target, text: CRASH_OLD, owner: null, createMode: 0o644, trustedAncestor: dir, expected: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } };
      }),
      { helper: null },
    );
    for (const r of results) if (!r.ok) report.failures.push(`clean write failed: ${r.message}`);
    for (const target of targets) report.tempsAfterCleanWrite += temps(path.dirname(target));
  };

  try {
    await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
  } finally {
    writer.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  }
  report.elapsedMs = Date.now() - started;
  return report;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
