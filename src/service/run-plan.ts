/**
 * Runs a service plan (manager-types.ts) — the only code of `ccfleet service` that acts. Files are
 * written atomically (temp file beside the target with O_EXCL|O_NOFOLLOW, fsync, rename, fsync the
 * folder) with their mode, under --root when given; a target or folder that is a symlink is refused (these
 * are root-owned system paths: a link there is not ours to follow). Steps run in order and stop at the
 * first failure; `allowFailure` tolerates a non-zero exit (never a missing program); `attempts` retries
 * with a pause (launchctl bootstrap). Dry run: every step is reported as planned and nothing happens.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { O_NOFOLLOW } from '../agent/fs-safety.js';
import { fsyncDir } from '../agent/fsync.js';
import type { Runner, Step } from './manager-types.js';

export type StepOutcome = 'ok' | 'failed' | 'skipped' | 'planned' | 'not-run';

export interface StepResult {
  step: Step;
  outcome: StepOutcome;
  /** The command's exit status and first output line, or the error. */
  note?: string;
}

export interface RunPlanDeps {
  /** Machine path → host path (--root). */
  host(machinePath: string): string;
  run: Runner;
  /** Pause between attempts (milliseconds). */
  sleep(ms: number): void;
  dryRun: boolean;
}

export const RETRY_PAUSE_MS = 1000;

export function runPlan(steps: readonly Step[], deps: RunPlanDeps): { ok: boolean; results: StepResult[] } {
  const results: StepResult[] = [];
  let failed = false;
  for (const step of steps) {
    if (step.kind === 'skip') results.push({ step, outcome: 'skipped' });
    else if (deps.dryRun) results.push({ step, outcome: 'planned' });
    else if (failed) results.push({ step, outcome: 'not-run' });
    else {
      const r = runStep(step, deps);
      results.push(r);
      if (r.outcome === 'failed') failed = true;
    }
  }
  return { ok: !failed, results };
}

function runStep(step: Exclude<Step, { kind: 'skip' }>, deps: RunPlanDeps): StepResult {
  try {
    switch (step.kind) {
      case 'mkdir':
        makeDir(deps.host(step.path), step.mode);
        return { step, outcome: 'ok' };
      case 'write':
        writeAtomic(deps.host(step.path), step.content, step.mode);
        return { step, outcome: 'ok' };
      case 'remove':
        refuseSymlinkDir(path.dirname(deps.host(step.path)));
        fs.rmSync(deps.host(step.path), { force: true });
        return { step, outcome: 'ok' };
      case 'run': {
        const attempts = Math.max(1, step.attempts ?? 1);
        let note = '';
        for (let i = 1; i <= attempts; i++) {
          const r = deps.run(step.argv);
          if (r === null) return { step, outcome: 'failed', note: `${step.argv[0]}: not found` };
          const out = (r.stderr.trim() || r.stdout.trim()).split(/\r?\n/)[0] ?? '';
          note = `exit ${r.status ?? 'signal'}${out ? `: ${out}` : ''}${attempts > 1 ? ` (attempt ${i} of ${attempts})` : ''}`;
          if (r.status === 0) return { step, outcome: 'ok', ...(attempts > 1 && i > 1 ? { note } : {}) };
          if (i < attempts) deps.sleep(RETRY_PAUSE_MS);
        }
        return { step, outcome: step.allowFailure ? 'ok' : 'failed', note: step.allowFailure ? `${note} (tolerated)` : note };
      }
    }
  } catch (e) {
    return { step, outcome: 'failed', note: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

/** `mkdir -p` whose every created folder gets `mode`; an existing final folder is left as it is. */
function makeDir(dir: string, mode: number): void {
  fs.mkdirSync(dir, { recursive: true, mode });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
}

function refuseSymlinkDir(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return; // absent: nothing to remove there
  }
  if (st.isSymbolicLink()) throw Object.assign(new Error(`${dir} is a symlink`), { code: 'ELOOP' });
}

function writeAtomic(file: string, content: string, mode: number): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  refuseSymlinkDir(dir);
  try {
    if (fs.lstatSync(file).isSymbolicLink()) throw Object.assign(new Error(`${file} is a symlink`), { code: 'ELOOP' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const C = fs.constants;
  const fd = fs.openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, mode);
  try {
    fs.writeFileSync(fd, content);
    fs.fchmodSync(fd, mode); // the umask narrowed the open's mode
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}
