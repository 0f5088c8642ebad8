/**
 * The credential Claude Code would send to the policy's gateway, as request headers — in Claude Code's
 * order: ANTHROPIC_AUTH_TOKEN (`Authorization: Bearer`) > ANTHROPIC_API_KEY (`x-api-key`) > the managed
 * `apiKeyHelper` (its output as both headers; run only under the rules of ./api-key-helper.ts). The
 * policy's ANTHROPIC_CUSTOM_HEADERS ("Name: Value" lines, e.g. Bifrost's `x-bf-vk`) go along, as Claude
 * Code sends them. The values stay in memory: what may be shown is `label` (kind + fingerprint), and
 * `secrets` lists every value to scrub from text a gateway sends back.
 */
import { fingerprint } from '../../core/fingerprint.js';
import type { Policy } from '../../core/policy-schema.js';
import { runApiKeyHelper, type HelperContext } from './api-key-helper.js';

export type GatewayCredential =
  | {
      state: 'ready';
      headers: Record<string, string>;
      secrets: string[];
      /** fp:… of the key, null when the policy gives none. */
      fingerprint: string | null;
      /** "ANTHROPIC_AUTH_TOKEN fp:…", "apiKeyHelper fp:…", "no credential". */
      label: string;
    }
  /** The key could not be learnt: `skipped` (doctor would not run the helper) or `problem` (the helper failed). */
  | { state: 'skipped' | 'problem'; reason: string };

const envValue = (policy: Policy, name: string): string | undefined => {
  const v = policy.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};

export async function gatewayCredential(policy: Policy, helper: HelperContext): Promise<GatewayCredential> {
  const custom = customHeaders(envValue(policy, 'ANTHROPIC_CUSTOM_HEADERS'));
  const extra = { headers: custom.headers, secrets: custom.secrets };
  const token = envValue(policy, 'ANTHROPIC_AUTH_TOKEN');
  if (token !== undefined) return ready({ authorization: `Bearer ${token}` }, token, `ANTHROPIC_AUTH_TOKEN ${fingerprint(token)}`, extra);
  const key = envValue(policy, 'ANTHROPIC_API_KEY');
  if (key !== undefined) return ready({ 'x-api-key': key }, key, `ANTHROPIC_API_KEY ${fingerprint(key)}`, extra);
  const command = policy.managedSettings.apiKeyHelper;
  if (typeof command === 'string' && command.trim() !== '') {
    const out = await runApiKeyHelper(command.trim(), helper);
    if (!out.ok) return { state: out.status, reason: out.reason };
    return ready({ authorization: `Bearer ${out.value}`, 'x-api-key': out.value }, out.value, `apiKeyHelper ${fingerprint(out.value)}`, extra);
  }
  return { state: 'ready', headers: { ...custom.headers }, secrets: custom.secrets, fingerprint: null, label: custom.secrets.length ? 'ANTHROPIC_CUSTOM_HEADERS only' : 'no credential' };
}

function ready(headers: Record<string, string>, value: string, label: string, extra: { headers: Record<string, string>; secrets: string[] }): GatewayCredential {
  return { state: 'ready', headers: { ...extra.headers, ...headers }, secrets: [value, ...extra.secrets], fingerprint: fingerprint(value), label };
}

/** ANTHROPIC_CUSTOM_HEADERS: one "Name: Value" per line; lines that are not a valid header are ignored. */
export function customHeaders(text: string | undefined): { headers: Record<string, string>; secrets: string[] } {
  const headers: Record<string, string> = {};
  const secrets: string[] = [];
  for (const line of (text ?? '').split(/\r?\n/)) {
    const m = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m || m[2] === '' || /[\r\n\0]/.test(m[2]!)) continue;
    headers[m[1]!.toLowerCase()] = m[2]!;
    secrets.push(m[2]!);
  }
  return { headers, secrets };
}

/** `text` with every secret (and anything shaped like `sk-…`) replaced by its fingerprint. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s.length >= 4) out = out.split(s).join(fingerprint(s));
  return out.replace(/\bsk-[A-Za-z0-9_-]{6,}/g, (m) => fingerprint(m));
}
