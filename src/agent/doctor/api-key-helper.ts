/**
 * Running the policy's `apiKeyHelper` to learn the key Claude Code would send — only when that cannot
 * hand root to someone else. Doctor runs it only when ALL of these hold:
 *   - not under --root (a file inside an offline image or a test tree is never executed) and not on Windows;
 *   - the command is one absolute path, no arguments and no shell syntax (doctor does not use a shell;
 *     Claude Code does, so a helper with arguments is simply not probed in this version);
 *   - the file and every folder above it (and, through symlinks, above their targets) are owned by root
 *     and not writable by group or others; the file is a regular, executable file.
 * As root it runs with the target user's uid/gid (supplementary groups dropped) and a minimal
 * environment; otherwise as the caller. A deadline kills it; stdout is kept in memory (64 KiB at most)
 * and never printed or logged; stderr is discarded. Anything else: the gateway checks that need the key
 * are skipped, with the reason.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const MAX_OUTPUT = 64 << 10;

export interface HelperUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export type HelperOutcome =
  | { ok: true; value: string }
  /** skipped: doctor would not run it (reason). problem: it ran and failed (reason). */
  | { ok: false; status: 'skipped' | 'problem'; reason: string };

export interface HelperContext {
  /** --root given: never execute. */
  underRoot: boolean;
  platform: NodeJS.Platform;
  /** Our own uid (undefined on Windows). */
  uid: number | undefined;
  /** Who to run as when we are root (null: nobody to run as). */
  asUser: HelperUser | null;
  timeoutMs: number;
}

export async function runApiKeyHelper(command: string, ctx: HelperContext): Promise<HelperOutcome> {
  if (ctx.underRoot) return { ok: false, status: 'skipped', reason: 'apiKeyHelper is never run under --root' };
  if (ctx.platform === 'win32') return { ok: false, status: 'skipped', reason: 'apiKeyHelper is not run on Windows in this version' };
  const refusal = helperRefusal(command);
  if (refusal) return { ok: false, status: 'skipped', reason: `apiKeyHelper not run: ${refusal}` };
  const asRoot = ctx.uid === 0;
  if (asRoot && ctx.asUser === null) return { ok: false, status: 'skipped', reason: 'apiKeyHelper not run: no user to run it as' };
  const user = asRoot ? ctx.asUser : null;
  return spawnHelper(command, { timeoutMs: ctx.timeoutMs, user });
}

/** Why `command` may not be executed, or null when it may (see the header). */
export function helperRefusal(command: string): string | null {
  if (!path.isAbsolute(command) || /[\s;&|$`'"<>(){}*?[\]\\~#!]/.test(command)) {
    return 'it is not a single absolute path without arguments or shell syntax';
  }
  let real: string;
  try {
    real = fs.realpathSync(command);
  } catch (e) {
    return `${command}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`;
  }
  const chainProblem = unsafeChain(command) ?? (real === command ? null : unsafeChain(real));
  if (chainProblem) return chainProblem;
  const st = fs.statSync(real);
  if (!st.isFile()) return `${command} is not a regular file`;
  if ((st.mode & 0o111) === 0) return `${command} is not executable`;
  return null;
}

/** The first element of the path (from "/" down to the file) that root does not solely control. */
function unsafeChain(p: string): string | null {
  const parts = path.resolve(p).split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const at = path.sep + parts.slice(0, i).join(path.sep);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(at);
    } catch (e) {
      return `${at}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`;
    }
    if (st.uid !== 0) return `${at} is not owned by root`;
    // A symlink's own mode means nothing; who may replace it is decided by its folder, checked before.
    if (!st.isSymbolicLink() && (st.mode & 0o022) !== 0) return `${at} is writable by group or others`;
  }
  return null;
}

/** Runs the helper (no checks: callers use runApiKeyHelper). Exported for tests. */
export function spawnHelper(file: string, opts: { timeoutMs: number; user: HelperUser | null }): Promise<HelperOutcome> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C' };
    if (opts.user) Object.assign(env, { HOME: opts.user.home, USER: opts.user.name, LOGNAME: opts.user.name });
    else if (process.env.HOME) env.HOME = process.env.HOME;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, [], {
        stdio: ['ignore', 'pipe', 'ignore'],
        env,
        cwd: '/',
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
      });
    } catch (e) {
      resolve({ ok: false, status: 'problem', reason: `apiKeyHelper could not start (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    child.stdout!.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_OUTPUT) overflow = true;
      else chunks.push(c);
    });
    let startError: NodeJS.ErrnoException | null = null;
    child.on('error', (e: NodeJS.ErrnoException) => (startError = e));
    child.on('close', (code, signal) => {
      if (startError) return resolve({ ok: false, status: 'problem', reason: `apiKeyHelper could not start (${startError.code ?? 'error'})` });
      if (signal) return resolve({ ok: false, status: 'problem', reason: signal === 'SIGKILL' ? `apiKeyHelper timed out after ${opts.timeoutMs} ms` : `apiKeyHelper was killed (${signal})` });
      if (code !== 0) return resolve({ ok: false, status: 'problem', reason: `apiKeyHelper exited with status ${code}` });
      if (overflow) return resolve({ ok: false, status: 'problem', reason: 'apiKeyHelper printed more than 64 KiB' });
      const value = Buffer.concat(chunks).toString('utf8').trim();
      if (value === '') return resolve({ ok: false, status: 'problem', reason: 'apiKeyHelper printed nothing' });
      resolve({ ok: true, value });
    });
  });
}
