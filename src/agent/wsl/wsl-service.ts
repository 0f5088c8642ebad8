/**
 * The Windows daemon's WSL pass, started beside it (`ccfleet daemon` on Windows, agent config `wsl`):
 *
 *   every probeMs (default 1 min, jittered; and once at start-up)
 *     no policy enforced yet → nothing
 *     list the distributions (running ones by default: listing boots nothing)
 *     run ccfleet in each one that is due: never looked at by this daemon, looked at more than everyMs
 *       ago (default 15 min), or looked at under another policy
 *     report each one as its own device (distro-reporting.ts), retry what the spools still hold
 *     write `<state dir>/wsl/status.json` (what `ccfleet wsl list` shows)
 * One pass at a time (the scheduler never overlaps a job's runs); a failing distribution is one error in
 * the log and that distribution's report, and is looked at again after everyMs like the others. Off when
 * the daemon runs on a re-rooted tree (--root: that tree's WSL is not this machine's).
 * All timing comes from the scheduler module (../scheduler.ts).
 */
import path from 'node:path';
import type { Logger } from '../log.js';
import { writePrivateFileAtomic, ensurePrivateDir } from '../private-file.js';
import { Scheduler, type Clock } from '../scheduler.js';
import type { WslSettings } from './config.js';
import type { WslReporting } from './distro-reporting.js';
import type { EnforcedPolicy } from './enforced-policy.js';
import type { DistroOutcome } from './run-distro.js';
import type { WslRunner } from './runner.js';
import { wslPass, type WslPassResult } from './wsl-pass.js';

export interface WslServiceOptions {
  settings: WslSettings;
  runner: WslRunner;
  /** The policy the daemon enforces now (null before it has one). */
  policy: () => EnforcedPolicy | null;
  reporting: WslReporting | null;
  stateDir: string;
  log: Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;
  clock?: Clock;
  /** After each pass (tests). */
  onPass?: (r: WslPassResult) => void;
}

export interface WslDistroStatus {
  at: string;
  kind: 'ok' | 'error';
  compliant: boolean;
  code?: string;
  message?: string;
  exitCode: number | null;
  ms: number;
  policy: string;
}

export const wslStatusPath = (stateDir: string): string => path.join(stateDir, 'wsl', 'status.json');

export class WslService {
  private readonly scheduler: Scheduler;
  private readonly last = new Map<string, { at: number; digest: string }>();
  private readonly status: Record<string, WslDistroStatus> = {};
  private lastProblem: string | null = null;
  private stopping = false;
  private readonly abort = new AbortController();

  constructor(private readonly o: WslServiceOptions) {
    this.scheduler = new Scheduler({ ...(o.clock ? { clock: o.clock } : {}), onError: (err) => o.log.error('WSL pass failed', { error: err instanceof Error ? err.message : String(err) }) });
  }

  start(): void {
    const s = this.o.settings;
    this.scheduler.every('wsl-pass', s.probeMs, { jitterFraction: 0.1, immediate: true, run: () => this.tick() });
    this.o.log.info('WSL pass scheduled', { distributions: s.selection, everyMinutes: s.everyMs / 60_000, probeMinutes: s.probeMs / 60_000, mode: s.mode, linuxExecutable: s.linuxExe });
  }

  /** Runs a pass now (tests; a pass in flight is awaited instead). */
  async runNow(): Promise<void> {
    const job = this.scheduler.job('wsl-pass');
    if (job === undefined) return this.tick();
    if (!(await job.runNow())) await job.idle();
  }

  /** Shutdown: the distribution run in flight is killed (its report is not sent), the timers stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await this.scheduler.stop();
    await this.o.reporting?.stop();
  }

  private async tick(): Promise<void> {
    if (this.stopping) return;
    const policy = this.o.policy();
    if (policy === null) return;
    const s = this.o.settings;
    const now = this.scheduler.clock.now();
    const r = await wslPass({
      runner: this.o.runner,
      selection: s.selection,
      exclude: s.exclude,
      mode: s.mode,
      linuxExe: s.linuxExe,
      policy: policy.bytes,
      timeoutMs: s.timeoutMs,
      due: (name) => {
        const l = this.last.get(name.toLowerCase());
        return l === undefined || l.digest !== policy.digest || now - l.at >= s.everyMs;
      },
      onOutcome: (o) => this.note(o, policy),
      signal: this.abort.signal,
    });
    if (r.list.problem !== this.lastProblem) {
      this.lastProblem = r.list.problem;
      if (r.list.problem !== null) this.o.log.warn(`WSL: cannot list distributions: ${r.list.problem} (a service account such as LocalSystem sees no WSL distributions: docs/wsl.md)`);
    }
    if (this.o.reporting && !this.stopping) {
      if (r.outcomes.length > 0) await this.o.reporting.report(r.outcomes, { policy: { id: policy.id, version: policy.version }, digest: policy.digest, homePaths: policy.homePaths, mode: s.mode });
      else await this.o.reporting.retry();
    }
    if (r.outcomes.length > 0) this.saveStatus();
    this.o.onPass?.(r);
  }

  private note(o: DistroOutcome, policy: EnforcedPolicy): void {
    this.last.set(o.distro.toLowerCase(), { at: this.scheduler.clock.now(), digest: policy.digest });
    const base = { at: new Date().toISOString(), exitCode: o.exitCode, ms: o.ms, policy: `${policy.id} v${policy.version}` };
    if (o.kind === 'error') {
      this.status[o.distro] = { ...base, kind: 'error', compliant: false, code: o.code, message: o.message };
      this.o.log.error(`WSL ${o.distro}: ${o.code}: ${o.message}`);
      return;
    }
    this.status[o.distro] = { ...base, kind: 'ok', compliant: o.report.compliant };
    const repaired = o.report.files.filter((f) => f.state === 'repaired').map((f) => f.path);
    if (repaired.length > 0) this.o.log.info(`WSL ${o.distro}: repaired`, { files: repaired });
    this.o.log.debug(`WSL ${o.distro}: pass done`, { compliant: o.report.compliant, ms: o.ms });
  }

  private saveStatus(): void {
    try {
      ensurePrivateDir(path.dirname(wslStatusPath(this.o.stateDir)));
      writePrivateFileAtomic(wslStatusPath(this.o.stateDir), `${JSON.stringify({ distributions: this.status }, null, 2)}\n`);
    } catch (e) {
      this.o.log.warn('could not write the WSL status file', { error: (e as Error).message });
    }
  }
}
