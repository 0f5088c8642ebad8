/**
 * Runs a batch of writes in ONE child process with the user's uid/gid (`<helper...> __write-as-user`), so
 * the kernel, not our checks, decides what the writes may touch: a symlink swapped in after our checks
 * can only lead to files the user could write anyway (root daemons that followed user symlinks: cinnamon
 * CVE-2018-13054, systemd-tmpfiles CVE-2018-6954). libuv drops supplementary groups when it sets the
 * uid, so the child has at most the user's own rights. The child gets an empty environment (nothing of
 * root's, no NODE_OPTIONS) and `/` as its folder; the helper must be readable and executable by every
 * user. Protocol: a JSON array of WriteRequests on stdin; one line holding a JSON array of as many
 * WriteResults on stdout, written once the whole batch is durable (see write-child.ts). A child that
 * dies, times out or answers anything else gives `io` for every request: never an unreported `ok`.
 */
import { spawn } from 'node:child_process';
import type { Owner } from './fs-safety.js';
import type { WriteRequest, WriteResult } from './write-types.js';

export const WRITE_CHILD_COMMAND = '__write-as-user';
/** A write is a few syscalls; a child silent this long is stuck (e.g. a hung network home). */
const CHILD_TIMEOUT_MS = 60_000;
/** Added per request of the batch. */
const CHILD_TIMEOUT_PER_REQUEST_MS = 100;
const MAX_STDERR = 4096;

const io = (message: string): WriteResult => ({ ok: false, code: 'io', message });

/** One WriteResult as JSON data, or null when it is not a well-formed one. */
export function asWriteResult(v: unknown): WriteResult | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  if (r.ok === true) return { ok: true };
  if (r.ok !== false || typeof r.message !== 'string') return null;
  if (r.code !== 'unsafe' && r.code !== 'changed' && r.code !== 'io') return null;
  const out: WriteResult = { ok: false, code: r.code, message: r.message };
  if (Array.isArray(r.findings)) {
    out.findings = r.findings
      .filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null && typeof (f as { code?: unknown }).code === 'string')
      .map((f) => ({ code: f.code as string, ...(typeof f.message === 'string' ? { message: f.message } : {}), blocking: true }));
  }
  return out;
}

function lastJsonLine(stdout: string): unknown {
  const line = stdout.split('\n').map((l) => l.trim()).filter(Boolean).pop();
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** The single-request answer (one JSON object on the last non-empty line), or null. */
export const parseWriteResult = (stdout: string): WriteResult | null => asWriteResult(lastJsonLine(stdout));

/** The batch answer: an array of exactly `count` well-formed results on the last non-empty line, or null. */
export function parseWriteResults(stdout: string, count: number): WriteResult[] | null {
  const v = lastJsonLine(stdout);
  if (!Array.isArray(v) || v.length !== count) return null;
  const out = v.map(asWriteResult);
  return out.every((r): r is WriteResult => r !== null) ? out : null;
}

export function writeManyAsUser(reqs: readonly WriteRequest[], owner: Owner, helper: readonly string[]): Promise<WriteResult[]> {
  const allIo = (why: string): WriteResult[] => reqs.map((r) => io(`write child for ${r.hostPath} (uid ${owner.uid}) ${why}`));
  const [cmd, ...args] = helper;
  if (reqs.length === 0) return Promise.resolve([]);
  if (cmd === undefined) return Promise.resolve(reqs.map(() => io('no helper command to run the write as the user')));
  const timeoutMs = CHILD_TIMEOUT_MS + CHILD_TIMEOUT_PER_REQUEST_MS * reqs.length;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const done = (r: WriteResult[]): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const child = spawn(cmd, [...args, WRITE_CHILD_COMMAND], {
      uid: owner.uid,
      gid: owner.gid,
      env: {},
      cwd: '/',
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(allIo(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_STDERR) stderr += d.slice(0, MAX_STDERR - stderr.length);
    });
    child.on('error', (e) => done(reqs.map(() => io(`cannot start the write child as uid ${owner.uid}: ${(e as NodeJS.ErrnoException).code ?? e.message}`))));
    child.on('close', (code, signal) => {
      const r = parseWriteResults(stdout, reqs.length);
      if (r) return done(r);
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      done(allIo(`gave no result (${why})${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    child.stdin.on('error', () => undefined); // the child died early: 'close' reports it
    child.stdin.end(JSON.stringify(reqs));
  });
}
