/**
 * Which gateways to probe: the policy's ANTHROPIC_BASE_URL, plus every other base URL a user's Claude
 * Code would really use (home session or a project), each with the users concerned. Only the policy's
 * gateway is sent the policy's credential; another is probed for reachability, /health and clock only.
 */
import type { Policy } from '../../core/policy-schema.js';
import type { MachineReport } from '../report-types.js';

export interface GatewayTarget {
  /** The base URL as configured. */
  url: string;
  /** Shown form: scheme, host, port and path — no user info, query or fragment. */
  shown: string;
  isPolicy: boolean;
  users: string[];
}

export function gatewayTargets(policy: Policy, report: MachineReport): GatewayTarget[] {
  const policyUrl = policy.env.ANTHROPIC_BASE_URL?.trim() || null;
  const byUrl = new Map<string, Set<string>>();
  if (policyUrl) byUrl.set(policyUrl, new Set());
  for (const u of report.users) {
    const seen = [u.env.ANTHROPIC_BASE_URL, ...u.projects.map((p) => p.env?.ANTHROPIC_BASE_URL)];
    for (const v of seen) {
      const url = v?.value.trim();
      if (!url) continue;
      if (!byUrl.has(url)) byUrl.set(url, new Set());
      byUrl.get(url)!.add(u.name);
    }
  }
  return [...byUrl].map(([url, users]) => ({ url, shown: shownUrl(url), isPolicy: url === policyUrl, users: [...users].sort() }));
}

export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return url.length > 80 ? `${url.slice(0, 79)}…` : url;
  }
}

/** `<base>/<rest>` keeping the base's query, or null when the base is not an http(s) URL. */
export function under(base: string, rest: string): string | null {
  const u = httpUrl(base);
  if (!u) return null;
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/${rest.replace(/^\/+/, '')}`;
  return u.toString();
}

/** `<origin>/<rest>` (Bifrost's own routes live at the root, whatever the base path), or null. */
export function atOrigin(base: string, rest: string): string | null {
  const u = httpUrl(base);
  return u ? `${u.origin}/${rest.replace(/^\/+/, '')}` : null;
}

function httpUrl(s: string): URL | null {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}
