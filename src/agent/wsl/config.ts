/**
 * The agent config's `wsl` block (Windows only; agent-config.ts includes it), and its defaults:
 *
 *   "wsl": {
 *     "enabled": true,              // the daemon's WSL pass (default true on Windows)
 *     "distributions": "running",   // "running": only distributions already running (booting one costs the
 *                                   // laptop RAM); "all": every registered one, booted for the pass
 *     "exclude": ["Ubuntu-Build"],  // names left alone (docker-desktop and docker-desktop-data always are)
 *     "everyMinutes": 15,           // a distribution is enforced again after this long (and on a new policy)
 *     "probeMinutes": 1,            // how often running distributions are listed: one just started is
 *                                   // enforced within this (listing boots nothing)
 *     "timeoutSeconds": 120,        // per distribution, wsl.exe start-up included
 *     "mode": "repair",             // or "check": report only, change nothing in the distributions
 *     "linuxExecutable": "C:\\Program Files\\ccfleet\\ccfleet-linux-x64"   // default: beside ccfleet.exe
 *   }
 */
import path from 'node:path';
import { z } from 'zod';
import type { DistroSelection } from './distros.js';

export const wslConfigSchema = z
  .object({
    enabled: z.boolean().optional(),
    distributions: z.enum(['running', 'all']).optional(),
    exclude: z.array(z.string().min(1).max(256)).max(1000).optional(),
    everyMinutes: z.number().min(1).max(24 * 60).optional(),
    probeMinutes: z.number().min(0.5).max(24 * 60).optional(),
    timeoutSeconds: z.number().int().min(15).max(3600).optional(),
    mode: z.enum(['repair', 'check']).optional(),
    linuxExecutable: z.string().min(1).optional(),
  })
  .strict()
  .describe('Windows: enforcing inside WSL distributions with the Linux executable shipped beside ccfleet.exe (docs/wsl.md)');

export type WslConfig = z.output<typeof wslConfigSchema>;

export interface WslSettings {
  enabled: boolean;
  selection: DistroSelection;
  exclude: string[];
  everyMs: number;
  probeMs: number;
  timeoutMs: number;
  mode: 'repair' | 'check';
  linuxExe: string;
}

/** Defaults filled in. `execPath`: this program (ccfleet.exe); `arch`: this machine's (process.arch). */
export function wslSettings(c: WslConfig | undefined, execPath: string, arch: string): WslSettings {
  const everyMs = (c?.everyMinutes ?? 15) * 60_000;
  return {
    enabled: c?.enabled ?? true,
    selection: c?.distributions ?? 'running',
    exclude: c?.exclude ?? [],
    everyMs,
    probeMs: Math.min(everyMs, (c?.probeMinutes ?? 1) * 60_000),
    timeoutMs: (c?.timeoutSeconds ?? 120) * 1000,
    mode: c?.mode ?? 'repair',
    linuxExe: c?.linuxExecutable ?? defaultLinuxExe(execPath, arch),
  };
}

/** `ccfleet-linux-<arch>` in the folder of ccfleet.exe (the Windows package ships it there). */
export function defaultLinuxExe(execPath: string, arch: string): string {
  return path.win32.join(path.win32.dirname(execPath), `ccfleet-linux-${arch === 'arm64' ? 'arm64' : 'x64'}`);
}

/** `%SystemRoot%\\System32\\wsl.exe`. */
export function defaultWslExe(env: NodeJS.ProcessEnv): string {
  return path.win32.join(env.SystemRoot ?? env.windir ?? 'C:\\Windows', 'System32', 'wsl.exe');
}
