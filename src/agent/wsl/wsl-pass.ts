/**
 * One WSL pass: list the distributions (distros.ts), then run ccfleet in each that is due, one at a
 * time (a pass never has two distributions busy at once on a laptop). Each distribution's outcome stands
 * alone: an error in one is that one's result and the next one still runs.
 */
import { listDistros, type DistroList, type DistroSelection } from './distros.js';
import { runInDistro, type DistroOutcome } from './run-distro.js';
import type { WslRunner } from './runner.js';

export interface WslPassOptions {
  runner: WslRunner;
  selection: DistroSelection;
  exclude?: readonly string[];
  /** Names to look at regardless of the listing (`ccfleet wsl check --distro X`); boots a stopped one. */
  only?: readonly string[];
  mode: 'check' | 'repair';
  linuxExe: string;
  policy: Uint8Array;
  timeoutMs: number;
  /** Which listed distributions to run now (default: all of them). */
  due?: (name: string) => boolean;
  /** Told as each distribution finishes (logging). */
  onOutcome?: (o: DistroOutcome) => void;
  /** Shutdown: the run in flight is killed and no other starts. */
  signal?: AbortSignal;
}

export interface WslPassResult {
  list: DistroList;
  outcomes: DistroOutcome[];
}

export async function wslPass(o: WslPassOptions): Promise<WslPassResult> {
  const list: DistroList = o.only && o.only.length > 0 ? { distros: [...o.only], skipped: [], problem: null } : await listDistros(o.runner, { selection: o.selection, exclude: o.exclude ?? [] });
  const outcomes: DistroOutcome[] = [];
  for (const name of list.distros) {
    if (o.signal?.aborted) break;
    if (o.due && !o.due(name)) continue;
    const r = await runInDistro(o.runner, name, { mode: o.mode, linuxExe: o.linuxExe, policy: o.policy, timeoutMs: o.timeoutMs, ...(o.signal ? { signal: o.signal } : {}) });
    if (o.signal?.aborted) break; // killed by the shutdown: not a verdict on the distribution
    outcomes.push(r);
    o.onOutcome?.(r);
  }
  return { list, outcomes };
}
