/** Small shared pieces of the policy lint rules (pure). */
import type { Policy } from '../policy-schema.js';

export interface LintWarning {
  /** Stable kebab-case code; scripts and tests match on it, never on the prose. */
  code: string;
  /** 'error': the policy cannot work as written (or contradicts itself). 'warning': it works, with a known trap. */
  severity: 'warning' | 'error';
  /** Where in the policy, e.g. "env.ANTHROPIC_API_KEY", "managedSettings.apiKeyHelper", "removeKeys". */
  field?: string;
  /** What goes wrong and how to fix it, for a gateway admin. */
  message: string;
}

export type LintRule = (policy: Policy) => LintWarning[];

/** A policy env value, trimmed; undefined when unset or blank (Claude Code treats blank as unset). */
export function envValue(policy: Policy, name: string): string | undefined {
  const v = policy.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export const has = (o: Readonly<Record<string, unknown>>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** A managedSettings value when the policy sets it. */
export const setting = (policy: Policy, key: string): unknown => (has(policy.managedSettings, key) ? policy.managedSettings[key] : undefined);

/** Whether removeKeys removes this dotted key from user, project and local files. */
export const removes = (policy: Policy, key: string): boolean => policy.removeKeys.includes(key);

/** The gateway credentials the policy supplies, as field names. */
export function credentialFields(policy: Policy): string[] {
  const out: string[] = [];
  if (envValue(policy, 'ANTHROPIC_AUTH_TOKEN') !== undefined) out.push('env.ANTHROPIC_AUTH_TOKEN');
  if (envValue(policy, 'ANTHROPIC_API_KEY') !== undefined) out.push('env.ANTHROPIC_API_KEY');
  const helper = setting(policy, 'apiKeyHelper');
  if (typeof helper === 'string' && helper.trim() !== '') out.push('managedSettings.apiKeyHelper');
  return out;
}

/** Compares dotted numeric versions ("2.1.83" < "2.1.175"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
