/**
 * Running the built single executables (npm run build:exe) from tests: natively, under qemu-user (arm64)
 * and under wine (Windows; its console output only reaches a file). Each runner says why it cannot run
 * (`unavailable`) instead of failing, so the smoke test can skip — or fail under CCFLEET_SHIP=require.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const DIST = path.join(ROOT, 'dist');
export const REQUIRED = process.env.CCFLEET_SHIP === 'require';
export const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

const has = (cmd: string): boolean => spawnSync('sh', ['-c', 'command -v "$1" >/dev/null 2>&1', 'sh', cmd]).status === 0;

function finish(r: ReturnType<typeof spawnSync>, stdout: string): Run {
  let json: unknown = null;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = null;
  }
  return { code: r.status, stdout, stderr: String(r.stderr ?? ''), json };
}

export interface Runner {
  /** null when it can run; otherwise why not (a missing executable or tool). */
  unavailable: string | null;
  run(args: string[], o?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Run;
}

/** A long-running executable under wine (a daemon): its output as it comes, and a kill that waits for the end. */
export interface Started {
  child: ChildProcess;
  stderr(): string;
  kill(): Promise<void>;
}

/** The native executable dist/<file>. */
export function native(file: string): Runner {
  const exe = path.join(DIST, file);
  return {
    unavailable: fs.existsSync(exe) ? null : `${exe} is missing (npm run build:exe)`,
    run: (args, o = {}) => {
      const r = spawnSync(exe, args, { encoding: 'utf8', env: o.env ?? process.env, timeout: o.timeoutMs ?? 60_000, maxBuffer: 64 << 20 });
      return finish(r, r.stdout);
    },
  };
}

/** An aarch64 Linux executable under qemu-aarch64-static, with Debian's arm64 cross libc as its root. */
export function qemuArm64(file: string): Runner {
  const exe = path.join(DIST, file);
  const sysroot = '/usr/aarch64-linux-gnu';
  const unavailable =
    !fs.existsSync(exe) ? `${exe} is missing (npm run build:exe)`
    : !has('qemu-aarch64-static') ? 'qemu-aarch64-static is not installed (apt-get install qemu-user-static)'
    : !fs.existsSync(path.join(sysroot, 'lib', 'ld-linux-aarch64.so.1')) ? `no arm64 libc under ${sysroot} (apt-get install libc6-arm64-cross libstdc++6-arm64-cross)`
    : null;
  return {
    unavailable,
    run: (args, o = {}) => {
      const r = spawnSync('qemu-aarch64-static', ['-L', sysroot, exe, ...args], { encoding: 'utf8', env: o.env ?? process.env, timeout: o.timeoutMs ?? 180_000, maxBuffer: 64 << 20 });
      return finish(r, r.stdout);
    },
  };
}

/** A Windows executable under wine (a prefix of our own set to Windows 10: Node refuses Windows 7). */
export function wine(file: string): Runner & { start(args: string[]): Started } {
  const exe = path.join(DIST, file);
  const wineCmd = ['wine64', 'wine'].find(has);
  const unavailable = !fs.existsSync(exe) ? `${exe} is missing (npm run build:exe)` : !wineCmd ? 'wine is not installed (apt-get install wine64)' : null;
  const prefix = path.join(ROOT, '.cache', 'wine');
  const env = (base: NodeJS.ProcessEnv) => ({ ...base, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' });
  let ready = false;
  const prepare = () => {
    if (ready) return;
    fs.mkdirSync(prefix, { recursive: true });
    spawnSync(wineCmd!, ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], { env: env(process.env), stdio: 'ignore', timeout: 300_000 });
    ready = true;
  };
  return {
    unavailable,
    run: (args, o = {}) => {
      prepare();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wine-out-'));
      try {
        // Both streams to files: a Windows program under wine cannot open a pipe as its stdout or stderr (EBADF).
        const out = path.join(dir, 'stdout');
        const err = path.join(dir, 'stderr');
        const fd = fs.openSync(out, 'w');
        const efd = fs.openSync(err, 'w');
        const r = spawnSync(wineCmd!, [exe, ...args], { encoding: 'utf8', env: env(o.env ?? process.env), stdio: ['ignore', fd, efd], timeout: o.timeoutMs ?? 180_000 });
        fs.closeSync(fd);
        fs.closeSync(efd);
        return { ...finish(r, fs.readFileSync(out, 'utf8')), stderr: fs.readFileSync(err, 'utf8') };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    start: (args) => {
      prepare();
      // wine's console streams must be files: stdout and stderr both go to one, read as it grows.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wine-out-'));
      const out = path.join(dir, 'output');
      const fd = fs.openSync(out, 'w');
      const child = spawn(wineCmd!, [exe, ...args], { env: env(process.env), stdio: ['ignore', fd, fd] });
      fs.closeSync(fd);
      const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      return {
        child,
        stderr: () => fs.readFileSync(out, 'utf8'),
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await ended;
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** A Windows path for a host path under wine (its Z: drive is the host's /). */
export const wineHostPath = (p: string): string => `Z:${p.replaceAll('/', '\\')}`;

/** Every folder above `file` lets other users through (a uid-dropped child can exec it). */
export function othersCanReach(file: string): boolean {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return false;
    if (path.dirname(dir) === dir) return true;
  }
}
