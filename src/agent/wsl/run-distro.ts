/**
 * One distribution, one run: `wsl.exe -d <distro> -u root --exec sh -s <exe> <timeout> <check|repair>
 * --json --platform wsl` with the script of distro-script.ts (and the policy inside it) on stdin, as root
 * in the distribution. The answer is a verdict (`ok`: ccfleet ran and printed its document, exit 0 or 1)
 * or an error with a stable code — never an exception, so one broken distribution leaves the others alone:
 *
 *   wsl-timeout       no answer within the deadline (wsl.exe killed; `timeout` inside stops the Linux side)
 *   wsl-exe-missing   the Linux executable is not where the Windows path points, seen from the distribution
 *   wsl-start-failed  wsl.exe could not be started, or the distribution could not (no sh, no wslpath, gone)
 *   wsl-agent-failed  ccfleet ran and failed (exit 2: policy, config, or I/O error) — its error line kept
 *   wsl-bad-output    exit 0/1 but stdout is not a ccfleet report (garbage, truncated, too big)
 */
import { SCRIPT_EXIT, distroScript } from './distro-script.js';
import { parseMachineReport } from './parse-report.js';
import type { WslRunner } from './runner.js';
import { decodeWslOutput, looksUtf16le, tail } from './wsl-text.js';
import type { MachineReport } from '../report-types.js';

export type DistroErrorCode = 'wsl-timeout' | 'wsl-exe-missing' | 'wsl-start-failed' | 'wsl-agent-failed' | 'wsl-bad-output';

export type DistroOutcome =
  | { distro: string; kind: 'ok'; report: MachineReport; exitCode: number; kernel: string | null; ms: number }
  | { distro: string; kind: 'error'; code: DistroErrorCode; message: string; exitCode: number | null; kernel: string | null; ms: number };

export interface RunDistroOptions {
  mode: 'check' | 'repair';
  /** The Windows path of ccfleet's Linux executable (converted inside with wslpath). */
  linuxExe: string;
  /** The exact policy bytes to enforce. */
  policy: Uint8Array;
  /** Whole run, wsl.exe start-up included. The Linux side gets this minus 10 s (at least 5 s). */
  timeoutMs: number;
  /** Shutdown: the run is killed at once (an error outcome `wsl-timeout`, "stopped"). */
  signal?: AbortSignal;
  now?: () => number;
}

export async function runInDistro(runner: WslRunner, distro: string, o: RunDistroOptions): Promise<DistroOutcome> {
  const now = o.now ?? Date.now;
  const t0 = now();
  const inner = Math.max(5, Math.floor(o.timeoutMs / 1000) - 10);
  const args = ['-d', distro, '-u', 'root', '--exec', 'sh', '-s', o.linuxExe, String(inner), o.mode, '--json', '--platform', 'wsl'];
  const r = await runner.run(args, { input: distroScript(o.policy), timeoutMs: o.timeoutMs, maxBytes: 64 * 1024 * 1024, ...(o.signal ? { signal: o.signal } : {}) });
  // stderr is the Linux side's (UTF-8), or wsl.exe's own complaint (UTF-16LE): decoded either way.
  const stderr = decodeWslOutput(r.stderr);
  const kernel = /^ccfleet-wsl: kernel (\S+)/m.exec(stderr)?.[1] ?? null;
  const said = tail(stderr.replace(/^ccfleet-wsl: kernel.*$/m, ''));
  const ms = now() - t0;
  const fail = (code: DistroErrorCode, message: string) => ({ distro, kind: 'error' as const, code, message, exitCode: r.code, kernel, ms });
  if (r.aborted) return fail('wsl-timeout', 'stopped (the agent is shutting down)');
  if (r.startError !== undefined) return fail('wsl-start-failed', `wsl.exe could not be started (${r.startError})`);
  if (r.timedOut || r.code === SCRIPT_EXIT.timeout) return fail('wsl-timeout', `no answer within ${Math.round(o.timeoutMs / 1000)} s`);
  if (r.overflow) return fail('wsl-bad-output', 'the output exceeded 64 MiB');
  if (r.code === SCRIPT_EXIT.missing || r.code === SCRIPT_EXIT.wslpath) return fail('wsl-exe-missing', said || `the Linux executable ${o.linuxExe} cannot be reached from the distribution`);
  if (r.code === 0 || r.code === 1) {
    const parsed = parseMachineReport(r.stdout.toString('utf8'));
    if (!parsed.ok) {
      // UTF-16LE on stdout is wsl.exe speaking (the distribution did not start), not the Linux side.
      return looksUtf16le(r.stdout) ? fail('wsl-start-failed', `exit ${r.code}: ${tail(decodeWslOutput(r.stdout))}`) : fail('wsl-bad-output', parsed.reason);
    }
    return { distro, kind: 'ok', report: parsed.report, exitCode: r.code, kernel, ms };
  }
  if (r.code === 2 && /^ccfleet: [A-Z_]+: /m.test(stderr)) return fail('wsl-agent-failed', said);
  // wsl.exe's own failures (no such distribution, the VM would not start) are UTF-16LE on stdout.
  const why = tail(`${decodeWslOutput(r.stdout)} ${said}`);
  return fail('wsl-start-failed', `exit ${r.code}${why ? `: ${why}` : ''}`);
}
