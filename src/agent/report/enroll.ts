/**
 * Enrollment: the agent config's `enrollSecret` is exchanged once for a per-device token —
 * `POST <server>/v1/enroll { enrollSecret, deviceId, hostname }` → 201 `{ deviceId, token }` — kept in
 * `<state dir>/device-token` (JSON, 0600 in the 0700 state dir, written atomically; read without following a
 * symlink). The token belongs to one server: a file made for another server URL, or one that is not ours
 * (garbage, half-written by something else), counts as absent and is replaced at the next enrollment.
 * A 401 on a report forgets the token and enrolls again (`renew`).
 *
 * The secret and the token are never logged and never part of an outcome or error message.
 *
 * Outcomes: `enrolled`; `refused` — the server said no for good (a wrong or revoked enrollment secret:
 * 401/403; a body it cannot take: 400/413/422; or no `enrollSecret` configured) and only a configuration
 * change helps; `failed` — network, timeout, 429, 5xx: try again later.
 */
import fs from 'node:fs';
import path from 'node:path';
import { O_NOFOLLOW } from '../fs-safety.js';
import { ensurePrivateDir, privateDirExists, writePrivateFileAtomic } from '../private-file.js';
import { retryAfterMs, serverError, type PostClient } from './http-post.js';

export interface DeviceToken {
  /** The server URL it was issued by (as configured, without a trailing slash). */
  server: string;
  deviceId: string;
  token: string;
  enrolledAt: string;
}

export type EnrollOutcome =
  | { kind: 'enrolled'; token: DeviceToken }
  | { kind: 'refused'; status: number | null; code: string | null; message: string }
  | { kind: 'failed'; message: string; retryAfterMs: number | null };

export interface EnrollmentOptions {
  stateDir: string;
  /** The server's base URL (agent config `server`). */
  server: string;
  enrollSecret: string | undefined;
  /** Sent along (device-id.ts): the server keeps the device's identity across re-enrollments. */
  deviceId: string;
  hostname: string;
  now?: () => Date;
  /** Told after each new enrollment (the daemon then fetches the policy with the new token). */
  onEnrolled?: (t: DeviceToken) => void;
}

export const tokenPath = (stateDir: string): string => path.join(stateDir, 'device-token');

const TOKEN = /^[\x21-\x7e]{8,4096}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const serverBase = (server: string): string => server.replace(/\/+$/, '');

/** The stored token for `server`, or null (absent, not ours, or another server's). */
export function readToken(stateDir: string, server: string): DeviceToken | null {
  try {
    if (!privateDirExists(stateDir)) return null;
    const fd = fs.openSync(tokenPath(stateDir), fs.constants.O_RDONLY | O_NOFOLLOW);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.size > 16_384) return null;
      const v = JSON.parse(fs.readFileSync(fd, 'utf8')) as Partial<DeviceToken>;
      if (typeof v.token !== 'string' || !TOKEN.test(v.token) || typeof v.deviceId !== 'string' || !ID.test(v.deviceId)) return null;
      if (v.server !== serverBase(server)) return null;
      return { server: v.server, deviceId: v.deviceId, token: v.token, enrolledAt: typeof v.enrolledAt === 'string' ? v.enrolledAt : '' };
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

export function saveToken(stateDir: string, t: DeviceToken): void {
  ensurePrivateDir(stateDir);
  writePrivateFileAtomic(tokenPath(stateDir), `${JSON.stringify(t)}\n`);
}

export function forgetToken(stateDir: string): void {
  try {
    fs.unlinkSync(tokenPath(stateDir));
  } catch {
    // absent already
  }
}

/** One enrollment exchange; the token is saved before `enrolled` is returned. */
export async function enroll(o: EnrollmentOptions, http: PostClient): Promise<EnrollOutcome> {
  if (o.enrollSecret === undefined || o.enrollSecret === '') {
    return { kind: 'refused', status: null, code: 'no-enroll-secret', message: 'not enrolled and the agent config has no "enrollSecret"' };
  }
  const url = `${serverBase(o.server)}/v1/enroll`;
  const res = await http.post(url, JSON.stringify({ enrollSecret: o.enrollSecret, deviceId: o.deviceId, hostname: o.hostname.slice(0, 255) }));
  if (res.kind === 'failure') return { kind: 'failed', message: `enroll: ${res.message}`, retryAfterMs: null };
  if (res.status === 200 || res.status === 201) {
    let v: { deviceId?: unknown; token?: unknown };
    try {
      v = JSON.parse(res.body) as typeof v;
    } catch {
      return { kind: 'failed', message: `enroll: HTTP ${res.status} without a JSON answer`, retryAfterMs: null };
    }
    if (typeof v.token !== 'string' || !TOKEN.test(v.token)) return { kind: 'failed', message: `enroll: HTTP ${res.status} without a usable token`, retryAfterMs: null };
    const deviceId = typeof v.deviceId === 'string' && ID.test(v.deviceId) ? v.deviceId : o.deviceId;
    const token: DeviceToken = { server: serverBase(o.server), deviceId, token: v.token, enrolledAt: (o.now?.() ?? new Date()).toISOString() };
    saveToken(o.stateDir, token);
    return { kind: 'enrolled', token };
  }
  const err = serverError(res.body);
  const what = `enroll: HTTP ${res.status}${err.code ? ` ${err.code}` : ''}${err.message ? `: ${err.message}` : ''}`;
  if (res.status === 429 || res.status >= 500 || res.status === 408) return { kind: 'failed', message: what, retryAfterMs: retryAfterMs(res.headers, Date.now()) };
  return { kind: 'refused', status: res.status, code: err.code, message: what };
}

/** The device's token: the stored one, or a new enrollment; `renew` after a 401. */
export class Enrollment {
  private current: DeviceToken | null;

  constructor(private readonly o: EnrollmentOptions) {
    this.current = readToken(o.stateDir, o.server);
  }

  /** The token in hand (null before the first enrollment). */
  token(): DeviceToken | null {
    return this.current;
  }

  /** The token, enrolling first when there is none. */
  async ensure(http: PostClient): Promise<EnrollOutcome> {
    this.current ??= readToken(this.o.stateDir, this.o.server); // another process may have enrolled meanwhile
    if (this.current !== null) return { kind: 'enrolled', token: this.current };
    return this.enrollNow(http);
  }

  /** Forget the token the server refused (401) and enroll again. */
  async renew(http: PostClient, refused: DeviceToken): Promise<EnrollOutcome> {
    const onDisk = readToken(this.o.stateDir, this.o.server);
    if (onDisk !== null && onDisk.token !== refused.token) {
      this.current = onDisk; // another process re-enrolled already
      return { kind: 'enrolled', token: onDisk };
    }
    this.current = null;
    forgetToken(this.o.stateDir);
    return this.enrollNow(http);
  }

  private async enrollNow(http: PostClient): Promise<EnrollOutcome> {
    const r = await enroll(this.o, http);
    if (r.kind === 'enrolled') {
      this.current = r.token;
      this.o.onEnrolled?.(r.token);
    }
    return r;
  }
}
