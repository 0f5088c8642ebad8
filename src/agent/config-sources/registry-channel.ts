/**
 * The Windows policy channel: `HKLM\SOFTWARE\Policies\ccfleet` (what Intune's ADMX ingestion, a GPO or a
 * `.reg` file writes), read with `reg.exe query … /s /reg:64` through an injectable runner so tests use a
 * fake. The key absent (reg.exe exit 1, nothing printed) is an absent channel; any other failure is
 * CONFIG_INVALID — a policy the admin set but the agent could not read must not silently not apply.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CcfleetError } from '../../core/errors.js';
import { parseRegQuery, RegQueryError, type RegValue } from './reg-query.js';

export const POLICY_REG_KEY = 'HKLM\\SOFTWARE\\Policies\\ccfleet';
/** The arguments the agent passes (the 64-bit view: where ADMX policies and GPOs write on 64-bit Windows). */
export const REG_QUERY_ARGS = ['query', POLICY_REG_KEY, '/s', '/reg:64'] as const;

export interface RegRunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}
/** Runs reg.exe with these arguments; null when there is no reg.exe to run. */
export type RegistryRunner = (args: readonly string[]) => RegRunResult | null;

export const registryLabel = `registry ${POLICY_REG_KEY}`;

/** The values under the key, or null when the key does not exist (or no reg.exe is available). */
export function readRegistryChannel(run: RegistryRunner): { [name: string]: RegValue } | null {
  const r = run(REG_QUERY_ARGS);
  if (r === null) return null;
  // Absent: Windows says so on stderr ("ERROR: The system was unable to find…"), wine's reg.exe on stdout.
  const absentNote = r.stdout.trim() === '' || /unable to find/i.test(r.stdout);
  if (r.status === 1 && absentNote && !/denied/i.test(r.stderr + r.stdout)) return null;
  if (r.status !== 0) {
    const why = r.stderr.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
    throw new CcfleetError('CONFIG_INVALID', `${registryLabel}: reg.exe exited ${r.status ?? 'on a signal'}${why ? `: ${why}` : ''}`);
  }
  try {
    return parseRegQuery(r.stdout, POLICY_REG_KEY);
  } catch (e) {
    if (e instanceof RegQueryError) throw new CcfleetError('CONFIG_INVALID', `${registryLabel}: ${e.field ? `${e.field}: ` : ''}${e.code}: ${e.message}`);
    throw e;
  }
}

/**
 * The reg.exe the agent runs. On Windows, System32's own (never one found on PATH); with --root on
 * Windows there is none — an offline image's registry is not this machine's. On any other host, a
 * `reg.exe` on PATH (how tests fake the registry of a `--platform windows` tree); none there → the
 * channel is absent.
 */
export function defaultRegExe(root: string | null, host: { platform: string; env: NodeJS.ProcessEnv } = { platform: process.platform, env: process.env }): string | null {
  if (host.platform !== 'win32') return 'reg.exe';
  if (root !== null) return null;
  return path.win32.join(host.env.SystemRoot ?? 'C:\\Windows', 'System32', 'reg.exe');
}

export function nodeRegistryRunner(exe: string | null): RegistryRunner {
  return (args) => {
    if (exe === null) return null;
    const r = spawnSync(exe, args, { encoding: 'utf8', timeout: 15_000, maxBuffer: 1 << 20, windowsHide: true });
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      throw new CcfleetError('CONFIG_INVALID', `${registryLabel}: cannot run reg.exe (${code ?? r.error.message})`, { retryable: true });
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}
