/**
 * A throwaway wine prefix for installer tests: created in a temp folder (Windows 10, no Mono/Gecko
 * prompts), with a persistent wineserver for the test's lifetime so services keep running between
 * commands, and dispose() killing that prefix's wineserver (and so every process in it) and removing it.
 * Wine's console output only reaches a file, so every command writes stdout+stderr to one.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface WineResult {
  /** Exit status (wine passes on only the low 8 bits: 1603 arrives as 67). */
  code: number | null;
  out: string;
}

export interface WinePrefix {
  dir: string;
  /** The prefix's C: drive on the host. */
  driveC: string;
  run(args: string[], timeoutMs?: number): WineResult;
  /** `sc query <service>` state name (RUNNING, STOPPED, PAUSED, START_PENDING…) or null when not installed. */
  serviceState(name: string): string | null;
  /** Polls `sc query` until `accept(state)` or the timeout; returns the last state seen. */
  waitForState(name: string, accept: (s: string | null) => boolean, timeoutMs: number): string | null;
  /** `reg query <key>` values as name → [type, data]; null when the key does not exist. */
  regValues(key: string): Record<string, [string, string]> | null;
  /**
   * The stored definition of a scheduled task (C:\Windows\System32\Tasks\<path>), or null. Wine re-writes
   * what it parsed and keeps only part of it (settings and registration info; not triggers, principal, action).
   */
  taskFile(name: string): string | null;
  dispose(): void;
}

const has = (cmd: string): boolean => spawnSync('sh', ['-c', 'command -v "$1" >/dev/null 2>&1', 'sh', cmd]).status === 0;

export function wineMissing(): string | null {
  if (!has('wine')) return 'wine is not installed (apt-get install wine64)';
  if (!has('wineserver')) return 'wineserver is not installed (apt-get install wine64)';
  return null;
}

export function createWinePrefix(): WinePrefix {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wine-msi-'));
  // A UTF-8 locale: wine converts command-line arguments (non-ASCII property values) with it.
  const env = { ...process.env, LC_ALL: 'C.UTF-8', WINEPREFIX: path.join(dir, 'prefix'), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  let seq = 0;
  const exec = (cmd: string, args: string[], timeoutMs = 120_000): WineResult => {
    const file = path.join(dir, `out-${seq++}.txt`);
    const fd = fs.openSync(file, 'w');
    try {
      const r = spawnSync(cmd, args, { env, stdio: ['ignore', fd, fd], timeout: timeoutMs });
      return { code: r.status, out: fs.readFileSync(file, 'utf8').replace(/\r/g, '') };
    } finally {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
    }
  };
  const run = (args: string[], timeoutMs?: number) => exec('wine', args, timeoutMs);
  const serviceState = (name: string): string | null => {
    const m = /STATE\s*:\s*\d+\s+(\w+)/.exec(run(['sc', 'query', name]).out);
    return m ? m[1]! : null;
  };
  const prefix: WinePrefix = {
    dir,
    driveC: path.join(env.WINEPREFIX, 'drive_c'),
    run,
    serviceState,
    waitForState(name, accept, timeoutMs) {
      const until = Date.now() + timeoutMs;
      let s = serviceState(name);
      while (!accept(s) && Date.now() < until) {
        spawnSync('sleep', ['0.5']);
        s = serviceState(name);
      }
      return s;
    },
    regValues(key) {
      const r = run(['reg', 'query', key]);
      if (r.code !== 0) return null;
      const values: Record<string, [string, string]> = {};
      for (const line of r.out.split('\n')) {
        const m = /^\s{4}(.*?)\s{4}(REG_\w+)\s{4}(.*)$/.exec(line);
        if (m) values[m[1]!] = [m[2]!, m[3]!];
      }
      return values;
    },
    taskFile(name: string): string | null {
      const file = path.join(env.WINEPREFIX, 'drive_c', 'windows', 'system32', 'tasks', ...name.split('\\').filter(Boolean));
      if (!fs.existsSync(file)) return null;
      const b = fs.readFileSync(file);
      return (b[0] === 0xff && b[1] === 0xfe ? b.subarray(2).toString('utf16le') : b.toString('utf8')).replace(/^\ufeff/, '');
    },
    dispose() {
      exec('wineserver', ['-k'], 30_000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const boot = exec('wineboot', ['-i'], 300_000);
    if (boot.code !== 0) throw new Error(`wineboot -i failed (${boot.code}): ${boot.out.slice(-2000)}`);
    run(['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f']);
    // Let the prefix's first wineserver finish shutting down before anything else runs: an msiexec
    // started while it exits sees services vanish (StartServices: 1060, the install rolls back).
    exec('wineserver', ['-w'], 120_000);
    exec('wineserver', ['-p']);
    // Windows always runs the Task Scheduler; wine starts it on demand only (schtasks alone fails with
    // SCHED_E_SERVICE_NOT_RUNNING), and the MSI registers a scheduled task (the WSL task).
    const sched = run(['net', 'start', 'schedule']);
    if (sched.code !== 0) throw new Error(`net start schedule failed (${sched.code}): ${sched.out.slice(-2000)}`);
  } catch (e) {
    prefix.dispose();
    throw e;
  }
  return prefix;
}
