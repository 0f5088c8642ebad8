/**
 * How the dashboard answers: pages (never cached, strict CSP), redirects, and its static assets (cached
 * for a year under their content-hash names).
 *
 * Referrer-Policy is `same-origin`, not `no-referrer`: under `no-referrer` Chromium sends `Origin: null` on
 * a form POST, and the login/logout CSRF check needs the real Origin. Nothing the dashboard links to or
 * loads is cross-origin, and a cross-origin request still gets no referrer at all.
 */
import type { ServerResponse } from 'node:http';
import type { Asset } from './assets/index.js';
import type { Html } from './html.js';

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

export function sendPage(res: ServerResponse, status: number, page: Html, extra: Record<string, string | string[]> = {}): void {
  const body = Buffer.from(`<!doctype html>\n${page.text}`, 'utf8');
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'cache-control': 'no-store',
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
    ...extra,
  });
  res.end(body);
}

/** 303 See Other to a same-origin path. */
export function redirect(res: ServerResponse, location: string, extra: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, 'cache-control': 'no-store', location, 'content-length': '0', ...extra });
  res.end();
}

export function sendAsset(res: ServerResponse, a: Asset): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'cache-control': 'public, max-age=31536000, immutable',
    'content-type': a.type,
    'content-length': String(a.body.length),
  });
  res.end(a.body);
}
