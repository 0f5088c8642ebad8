/**
 * How ccfleet runs `wsl.exe`: one interface, so the WSL pass can be tested with a fake wsl.exe (any
 * program that answers like it) and never needs Windows. `spawnRunner` is the real one: no shell (the
 * arguments reach wsl.exe as given, quoted by libuv for CreateProcess), stdin from `input`, stdout and
 * stderr captured up to `maxBytes` each, and a deadline: on timeout the process (and, on POSIX, its
 * process group) is killed and the run answers at once — it does not wait for grandchildren that still
 * hold the pipes.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Written to stdin, which is then closed. Default: stdin closed at once. */
  input?: Uint8Array | string;
  timeoutMs: number;
  /** Per stream. Default 64 MiB; past it the process is killed and `overflow` set. */
  maxBytes?: number;
  /** Kills the process (daemon shutdown): answered like a timeout, with `aborted`. */
  signal?: AbortSignal;
}

export interface RunResult {
  /** Exit code; null when killed (timeout, overflow) or it could not start. */
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  overflow: boolean;
  aborted?: boolean;
  /** Could not be started at all (ENOENT, EACCES…). */
  startError?: string;
}

export interface WslRunner {
  run(args: readonly string[], o: RunOptions): Promise<RunResult>;
}

export interface SpawnRunnerOptions {
  /** The program and leading arguments: `[wsl.exe]`, or `[node, fake-wsl.js]` in tests. */
  command: readonly [string, ...string[]];
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_MAX = 64 * 1024 * 1024;

export function spawnRunner(o: SpawnRunnerOptions): WslRunner {
  return {
    run: (args, ro) =>
      new Promise<RunResult>((resolve) => {
        const [file, ...lead] = o.command;
        const group = process.platform !== 'win32';
        const max = ro.maxBytes ?? DEFAULT_MAX;
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let outBytes = 0;
        let errBytes = 0;
        let timedOut = false;
        let overflow = false;
        let done = false;
        const child = spawn(file, [...lead, ...args], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, detached: group, env: o.env ?? process.env });
        const finish = (code: number | null, startError?: string) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          ro.signal?.removeEventListener('abort', onAbort);
          const aborted = ro.signal?.aborted === true;
          resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut, overflow, ...(aborted ? { aborted } : {}), ...(startError !== undefined ? { startError } : {}) });
        };
        const kill = () => {
          try {
            if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
            else child.kill('SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish(null);
        };
        const timer = setTimeout(() => {
          timedOut = true;
          kill();
        }, ro.timeoutMs);
        const onAbort = () => kill();
        if (ro.signal?.aborted) kill();
        else ro.signal?.addEventListener('abort', onAbort, { once: true });
        child.stdout!.on('data', (c: Buffer) => {
          outBytes += c.length;
          if (outBytes > max) {
            overflow = true;
            kill();
          } else out.push(c);
        });
        child.stderr!.on('data', (c: Buffer) => {
          errBytes += c.length;
          if (errBytes <= max) err.push(c); // stderr past the cap is dropped, not fatal
        });
        child.on('error', (e: NodeJS.ErrnoException) => finish(null, e.code ?? e.message));
        child.on('close', (code) => finish(code));
        child.stdin!.on('error', () => undefined); // the program may exit without reading its input
        child.stdin!.end(ro.input ?? undefined);
      }),
  };
}
