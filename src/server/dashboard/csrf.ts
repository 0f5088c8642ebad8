/**
 * Cross-site request checks for the dashboard's two POST forms (login, logout), on top of the SameSite=Strict
 * cookie: the request's Origin (or, without one, its Referer) must name this server — the Host header, or
 * X-Forwarded-Host when a reverse proxy rewrote Host. A cross-site form cannot set either header, so
 * trusting both is safe; `Origin: null` (sandboxed frames, opaque origins) and a POST with neither header
 * are refused.
 */
import type { IncomingMessage } from 'node:http';

function hostOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.host.toLowerCase() : null;
  } catch {
    return null;
  }
}

function ownHosts(req: IncomingMessage): string[] {
  const hosts: string[] = [];
  const host = req.headers.host;
  if (host) hosts.push(host.toLowerCase());
  const fwd = req.headers['x-forwarded-host'];
  const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim();
  if (first) hosts.push(first.toLowerCase());
  return hosts;
}

/** Why a POST is refused as cross-site, or null when it came from one of this server's pages. */
export function crossSiteReason(req: IncomingMessage): string | null {
  const origin = req.headers.origin;
  const referer = req.headers.referer;
  const source = origin !== undefined ? origin : referer;
  if (source === undefined) return 'the request has neither an Origin nor a Referer header';
  const host = hostOf(source);
  if (host === null) return `the request's ${origin !== undefined ? 'Origin' : 'Referer'} is not a web origin`;
  if (!ownHosts(req).includes(host)) return `the request comes from another site (${host})`;
  return null;
}
