/**
 * Who may read the fleet API and the dashboard: an admin token (`Authorization: Bearer <token>`), or the
 * dashboard's session cookie, or the app's `authenticateAdmin(req)` hook.
 *
 * Tokens are held only as sha256 digests (`hashSecret`); a presented token is hashed and compared with
 * every digest using timingSafeEqual (no early exit).
 *
 * Session cookie `ccfleet_admin` (set by the dashboard's login form after `checkToken` said yes):
 *   value   `v1.<expires: unix seconds>.<mac>`, mac = base64url(HMAC-SHA256(sessionKey, "v1.<expires>"))
 *   key     the app's `sessionKey` when given, else derived from the admin token digests — so replicas with
 *           the same admin tokens accept each other's sessions, and changing the tokens ends every session
 *   cookie  `ccfleet_admin=<value>; Path=/; HttpOnly; SameSite=Strict; Max-Age=<ttl>[; Secure]`
 * A session carries no identity: every admin is the same admin. Logging out clears the cookie; a copied
 * cookie stays valid until it expires (default 12 h) or the admin tokens change.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const ADMIN_COOKIE = 'ccfleet_admin';
export const DEFAULT_SESSION_TTL_SECONDS = 12 * 3600;

/** sha256 of a token or secret (32 bytes): what the server keeps instead of the secret. */
export const hashSecret = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface AdminAuth {
  /** True when `token` is one of the admin tokens (constant time over all of them). */
  checkToken(token: string): boolean;
  /** A fresh session cookie value, valid for the session TTL from now. */
  newSession(): string;
  /** True for an unexpired session value minted with this server's key. */
  verifySession(value: string): boolean;
  /** A complete Set-Cookie value that starts a session (`secure`: add the Secure attribute — use it behind HTTPS). */
  sessionCookie(opts?: { secure?: boolean }): string;
  /** A Set-Cookie value that ends the session. */
  clearCookie(opts?: { secure?: boolean }): string;
  /** Bearer admin token, valid session cookie, or the extra hook. */
  authenticate(req: IncomingMessage): boolean;
  /** Which credential the request presented ('none' when nothing admin-like was there). */
  presented(req: IncomingMessage): 'bearer' | 'cookie' | 'none';
}

export interface AdminAuthOptions {
  tokenHashes: readonly Buffer[];
  sessionKey?: Buffer;
  ttlSeconds?: number;
  nowMs: () => number;
  extra?: (req: IncomingMessage) => boolean;
}

export function createAdminAuth(o: AdminAuthOptions): AdminAuth {
  for (const h of o.tokenHashes) if (h.length !== 32) throw new TypeError('admin token hashes must be sha256 digests (32 bytes): use hashSecret');
  const hashes = o.tokenHashes.map((h) => Buffer.from(h));
  const key = o.sessionKey ?? deriveKey(hashes);
  const ttl = o.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();

  const checkToken = (token: string): boolean => matchesAny(hashSecret(token), hashes);
  const newSession = (): string => {
    const payload = `v1.${Math.floor(o.nowMs() / 1000) + ttl}`;
    return `${payload}.${mac(payload).toString('base64url')}`;
  };
  const verifySession = (value: string): boolean => {
    const m = /^v1\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m || hashes.length === 0) return false;
    const given = Buffer.from(m[2]!, 'base64url');
    const ok = given.length === 32 && timingSafeEqual(given, mac(`v1.${m[1]}`));
    return ok && Number(m[1]) * 1000 > o.nowMs();
  };
  const attrs = (secure: boolean | undefined, maxAge: number) => `; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;

  return {
    checkToken,
    newSession,
    verifySession,
    sessionCookie: (opts) => `${ADMIN_COOKIE}=${newSession()}${attrs(opts?.secure, ttl)}`,
    clearCookie: (opts) => `${ADMIN_COOKIE}=${attrs(opts?.secure, 0)}`,
    authenticate(req) {
      const token = bearerToken(req);
      if (token !== null) return checkToken(token);
      const session = cookieValue(req, ADMIN_COOKIE);
      if (session !== null && verifySession(session)) return true;
      return o.extra ? o.extra(req) : false;
    },
    presented(req) {
      if (bearerToken(req) !== null) return 'bearer';
      return cookieValue(req, ADMIN_COOKIE) !== null ? 'cookie' : 'none';
    },
  };
}

function deriveKey(hashes: readonly Buffer[]): Buffer {
  const sortedHashes = [...hashes].sort(Buffer.compare);
  return createHmac('sha256', 'ccfleet admin session v1').update(Buffer.concat(sortedHashes)).digest();
}

/** `candidate` equals one of `hashes`; every comparison is made (constant time in which one matched). */
export function matchesAny(candidate: Buffer, hashes: readonly Buffer[]): boolean {
  let ok = false;
  for (const h of hashes) ok = (h.length === candidate.length && timingSafeEqual(h, candidate)) || ok;
  return ok;
}

/** The token of `Authorization: Bearer <token>` (scheme in any case), or null. */
export function bearerToken(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (h === undefined || h.length < 8) return null;
  if (h.charCodeAt(6) !== 32 || h.slice(0, 6).toLowerCase() !== 'bearer') return null;
  const t = h.slice(7).trim();
  return t === '' ? null : t;
}

/** One cookie's value from the Cookie header, or null. */
export function cookieValue(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return v === '' ? null : v;
    }
  }
  return null;
}
