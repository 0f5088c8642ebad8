/**
 * Lint rules for env.ANTHROPIC_BASE_URL: present, a plain http(s) URL, TLS unless the gateway is on this
 * machine, and ending in Bifrost's Anthropic-compatible route (`/anthropic`; Claude Code appends
 * `/v1/messages` itself).
 */
import { envValue, type LintRule, type LintWarning } from './util.js';

const FIELD = 'env.ANTHROPIC_BASE_URL';

export const lintBaseUrl: LintRule = (policy) => {
  const raw = envValue(policy, 'ANTHROPIC_BASE_URL');
  if (raw === undefined) {
    return [
      {
        code: 'no-base-url',
        severity: 'error',
        field: FIELD,
        message:
          'ANTHROPIC_BASE_URL is not set, so Claude Code talks to api.anthropic.com directly and the gateway never sees a request. ' +
          'Fix: set env.ANTHROPIC_BASE_URL to your Bifrost Anthropic route, e.g. "https://bifrost.example.com/anthropic".',
      },
    ];
  }
  const invalid = (why: string): LintWarning[] => [
    {
      code: 'base-url-invalid',
      severity: 'error',
      field: FIELD,
      message: `ANTHROPIC_BASE_URL "${raw}" ${why}. Fix: use a plain URL such as "https://bifrost.example.com/anthropic".`,
    },
  ];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return invalid('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return invalid(`uses "${url.protocol}" — only https:// (or http:// to this machine) works`);
  if (url.username || url.password) return invalid('carries a user name or password — the credential belongs in ANTHROPIC_AUTH_TOKEN or apiKeyHelper');
  if (url.search || url.hash || raw.endsWith('?') || raw.endsWith('#')) {
    return invalid('has a query or fragment — Claude Code appends "/v1/messages" to the path, so the request URL would be wrong');
  }

  const out: LintWarning[] = [];
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    out.push({
      code: 'insecure-base-url',
      severity: 'error',
      field: FIELD,
      message:
        `ANTHROPIC_BASE_URL uses plain http:// to ${url.hostname}: every developer's gateway key and source code would cross the network unencrypted. ` +
        'Fix: serve Bifrost over https:// (http:// is only fine for localhost / 127.0.0.1 / ::1).',
    });
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (!/\/anthropic$/i.test(path)) {
    const extra = /\/v1(\/messages)?$/i.test(path) ? ' Claude Code appends "/v1/messages" itself, so leave that part out.' : '';
    out.push({
      code: 'base-url-no-anthropic',
      severity: 'warning',
      field: FIELD,
      message:
        `ANTHROPIC_BASE_URL path "${url.pathname}" does not end in "/anthropic", Bifrost's Anthropic-compatible route; requests to ` +
        `"${path}/v1/messages" will not reach it.${extra} Fix: use "${url.origin}/anthropic" (ignore this if your gateway is not Bifrost and serves the Messages API at this path).`,
    });
  }
  return out;
};

/** localhost, *.localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '[::1]' || h === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
