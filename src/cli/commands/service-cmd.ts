/**
 * `ccfleet service install | uninstall | status [--dry-run] [--binary <path>] [--json]` — what the
 * installers' scripts do, usable by hand: systemd on Linux and WSL, launchd on macOS, NSSM on Windows
 * (src/service/manager-*.ts). install/uninstall exit 0 when every step succeeded, 1 when one failed (the
 * steps after it are not run; the output says which and why), 2 for usage errors or when not run as root.
 * `--dry-run` prints the plan (with --json, the files' full text) and changes nothing. `status` exits 0
 * when the service is installed, enabled and running (or the manager cannot say, under --root), 1
 * otherwise. `--root` writes under the folder and never touches the live service manager.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CcfleetError } from '../../core/errors.js';
import { choosePlatform } from '../../platform/index.js';
import { toHostPath } from '../../platform/root-path.js';
import type { PlatformName } from '../../platform/types.js';
import { launchdManager } from '../../service/manager-launchd.js';
import { systemdManager } from '../../service/manager-systemd.js';
import type { ManagerEnv, Runner, ServiceManager, ServiceStatus, Step } from '../../service/manager-types.js';
import { windowsManager } from '../../service/manager-windows.js';
import { runPlan, type StepResult } from '../../service/run-plan.js';
import type { CommonOptions } from '../args.js';
import type { CommandResult } from './result.js';

export const SERVICE_ACTIONS = ['install', 'uninstall', 'status'] as const;

export interface ServiceDeps {
  run: Runner;
  sleep(ms: number): void;
  /** The running executable when it is a single executable (the default --binary), else null. */
  selfBinary: string | null;
  isAdmin: boolean;
}

export async function serviceCommand(rest: readonly string[], opts: CommonOptions, extra: Record<string, unknown>, deps: ServiceDeps = nodeServiceDeps()): Promise<CommandResult> {
  const [action, ...more] = rest;
  if (action === undefined || !(SERVICE_ACTIONS as readonly string[]).includes(action) || more.length > 0) {
    throw new CcfleetError('USAGE', `expected "service install", "service uninstall" or "service status"${rest.length ? `, got "service ${rest.join(' ')}"` : ''} (see ccfleet service --help)`);
  }
  if (opts.dryRun && action === 'status') throw new CcfleetError('USAGE', '--dry-run applies to service install and uninstall');
  const root = opts.root ? path.resolve(opts.root) : null;
  if (root !== null && !fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new CcfleetError('ROOT_UNREADABLE', `--root ${opts.root}: not a directory`);
  const platform = choosePlatform(opts.platform, { platform: process.platform, osRelease: os.release(), env: process.env }).name;
  const host = (p: string) => toHostPath(root, platform, p, path.sep);
  const env: ManagerEnv = { root, run: deps.run, exists: (p) => fs.lstatSync(host(p), { throwIfNoEntry: false }) !== undefined };
  const manager = managerFor(platform, env, extra.binary as string | undefined, deps.selfBinary);

  if (action === 'status') {
    const s = manager.status();
    const good = s.installed && s.enabled !== false && s.running !== false;
    return { exitCode: good ? 0 : 1, stdout: opts.json ? JSON.stringify(s, null, 2) + '\n' : renderStatus(s) };
  }
  if (root === null && !opts.dryRun && !deps.isAdmin) {
    throw new CcfleetError('WRITE_REFUSED', `service ${action} changes the system service manager: run it as root (sudo) or an administrator, or see the plan with --dry-run`);
  }
  const steps = action === 'install' ? manager.planInstall() : manager.planUninstall();
  const r = runPlan(steps, { host, run: deps.run, sleep: deps.sleep, dryRun: opts.dryRun });
  const stdout = opts.json
    ? JSON.stringify({ action, manager: manager.name, dryRun: opts.dryRun, ok: r.ok, steps: r.results.map(jsonStep) }, null, 2) + '\n'
    : renderPlan(action, manager.name, opts.dryRun, r.ok, r.results);
  return { exitCode: r.ok ? 0 : 1, stdout };
}

function managerFor(platform: PlatformName, env: ManagerEnv, binary: string | undefined, self: string | null): ServiceManager {
  const bin = binary ?? self ?? undefined;
  if (binary !== undefined && !(platform === 'windows' ? path.win32.isAbsolute(binary) : binary.startsWith('/'))) throw new CcfleetError('USAGE', `--binary must be an absolute path, got "${binary}"`);
  switch (platform) {
    case 'linux':
    case 'wsl':
      return systemdManager(env, bin ? { binary: bin } : {});
    case 'darwin':
      return launchdManager(env, bin ? { binary: bin } : {});
    case 'windows': {
      if (bin !== undefined && path.win32.basename(bin).toLowerCase() !== 'ccfleet.exe') throw new CcfleetError('USAGE', `--binary on Windows must name ccfleet.exe (nssm.exe is expected beside it), got "${bin}"`);
      return windowsManager(env, { ...(bin ? { installDir: path.win32.dirname(bin) } : {}), systemRoot: process.env.SystemRoot });
    }
  }
}

const describeStep = (s: Step): string => {
  switch (s.kind) {
    case 'write':
      return `write ${s.path} (mode ${s.mode.toString(8).padStart(4, '0')}, ${Buffer.byteLength(s.content)} bytes) — ${s.why}`;
    case 'mkdir':
      return `create folder ${s.path} (mode ${s.mode.toString(8).padStart(4, '0')}) — ${s.why}`;
    case 'remove':
      return `remove ${s.path} — ${s.why}`;
    case 'run':
      return `run ${s.argv.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')} — ${s.why}`;
    case 'skip':
      return s.why;
  }
};

const WORD: Record<StepResult['outcome'], string> = { ok: 'ok', failed: 'FAILED', skipped: 'skipped', planned: 'would', 'not-run': 'not run' };

function renderPlan(action: string, manager: string, dryRun: boolean, ok: boolean, results: StepResult[]): string {
  const head = dryRun ? `service ${action} (${manager}): the plan, nothing done` : `service ${action} (${manager}): ${ok ? 'done' : 'FAILED'}`;
  const lines = results.map((r) => `  ${WORD[r.outcome].padEnd(8)} ${describeStep(r.step)}${r.note ? `  [${r.note}]` : ''}`);
  return [head, ...lines].join('\n') + '\n';
}

function jsonStep(r: StepResult): Record<string, unknown> {
  const { kind, why } = r.step;
  const s = r.step;
  return {
    kind,
    ...(s.kind === 'write' || s.kind === 'mkdir' || s.kind === 'remove' ? { path: s.path } : {}),
    ...(s.kind === 'write' || s.kind === 'mkdir' ? { mode: s.mode.toString(8).padStart(4, '0') } : {}),
    ...(s.kind === 'write' ? { content: s.content } : {}),
    ...(s.kind === 'run' ? { argv: s.argv } : {}),
    why,
    outcome: r.outcome,
    ...(r.note ? { note: r.note } : {}),
  };
}

function renderStatus(s: ServiceStatus): string {
  const word = (v: boolean | null, yes: string, no: string) => (v === null ? 'unknown' : v ? yes : no);
  return [
    `${s.name} (${s.manager}): ${s.installed ? 'installed' : 'NOT installed'}, ${word(s.enabled, 'enabled', 'NOT enabled')}, ${word(s.running, 'running', 'NOT running')}`,
    ...s.detail.map((d) => `  ${d}`),
  ].join('\n') + '\n';
}

function nodeServiceDeps(): ServiceDeps {
  let self: string | null = null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if ((require('node:sea') as { isSea(): boolean }).isSea()) self = process.execPath;
  } catch {
    // not a single executable
  }
  const uid = process.getuid?.();
  return {
    run: (argv) => {
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 120_000, windowsHide: true });
      if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
      return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? r.error.message : '') };
    },
    sleep: (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
    selfBinary: self,
    // Windows: the installer (or an elevated prompt) decides; nssm itself refuses without rights.
    isAdmin: uid === undefined || uid === 0,
  };
}
