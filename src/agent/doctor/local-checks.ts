/**
 * The checks that need no network, from the policy and a `check`-mode report (pure):
 *   policy-lint   the policy lints clean (errors → problem, warnings → warning)
 *   files-strict  settings files Claude Code would ignore (not strict JSON) or that ccfleet will not write
 *                 (unsafe) → warning; a broken managed file → problem (Claude Code refuses to start)
 *   user-env      per user: the effective ANTHROPIC_BASE_URL and credential are the policy's, in the home
 *                 session and each project (the report holds secrets as fingerprints; the policy's values
 *                 are compared through the same display rule)
 */
import { displayValue } from '../../core/fingerprint.js';
import { lintPolicy } from '../../core/lint.js';
import type { Policy } from '../../core/policy-schema.js';
import type { EnvView, MachineReport } from '../report-types.js';
import { shownUrl } from './gateways.js';
import type { CheckResult } from './types.js';

export const GATEWAY_KEYS = ['ANTHROPIC_BASE_URL', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY'] as const;

export function lintCheck(policy: Policy): CheckResult {
  const findings = lintPolicy(policy);
  const errors = findings.filter((f) => f.severity === 'error');
  const warnings = findings.filter((f) => f.severity !== 'error');
  const codes = (l: typeof findings) => l.map((f) => f.code).join(', ');
  if (errors.length > 0) {
    return { code: 'policy-lint', status: 'problem', message: `${errors.length} error(s): ${codes(errors)}${warnings.length ? `; ${warnings.length} warning(s): ${codes(warnings)}` : ''} — see ccfleet policy lint` };
  }
  if (warnings.length > 0) return { code: 'policy-lint', status: 'warning', message: `${warnings.length} warning(s): ${codes(warnings)} — see ccfleet policy lint` };
  return { code: 'policy-lint', status: 'ok', message: 'the policy lints clean' };
}

export function filesStrictCheck(report: MachineReport): CheckResult {
  const brokenManaged = report.files.filter((f) => f.scope === 'managed' && f.state === 'unparseable');
  const ignored = report.files.filter((f) => f.scope !== 'managed' && f.state === 'unparseable');
  const unsafe = report.files.filter((f) => f.state === 'unsafe');
  const unreadable = report.files.filter((f) => f.state === 'error');
  const users = [...new Set([...ignored, ...unsafe, ...unreadable].map((f) => f.user).filter((u): u is string => u !== null))].sort();
  const parts: string[] = [];
  if (brokenManaged.length) parts.push(`managed file not valid JSON, Claude Code will not start: ${brokenManaged.map((f) => f.path).join(', ')}`);
  if (ignored.length) parts.push(`ignored by Claude Code (not strict JSON): ${ignored.map((f) => f.path).join(', ')}`);
  if (unsafe.length) parts.push(`unsafe (symlink or bad owner; never written): ${unsafe.map((f) => f.path).join(', ')}`);
  if (unreadable.length) parts.push(`could not be read: ${unreadable.map((f) => f.path).join(', ')}`);
  const base = { code: 'files-strict' as const, ...(users.length ? { users } : {}) };
  const present = report.files.filter((f) => f.state !== 'missing').length;
  if (parts.length === 0) return { ...base, status: 'ok', message: `${present} settings file(s) present, all strict JSON Claude Code reads` };
  return { ...base, status: brokenManaged.length ? 'problem' : 'warning', message: parts.join('; ') };
}

export function userEnvChecks(policy: Policy, report: MachineReport): CheckResult[] {
  const keys = GATEWAY_KEYS.filter((k) => policy.env[k] !== undefined);
  if (keys.length === 0) return [{ code: 'user-env', status: 'skipped', message: 'the policy sets neither ANTHROPIC_BASE_URL nor an env credential' }];
  if (report.users.length === 0) return [{ code: 'user-env', status: 'skipped', message: 'no users on this machine' }];
  return report.users.map((u) => {
    const wrong = [
      ...differences(policy, keys, u.env, null),
      ...u.projects.flatMap((p) => (p.env ? differences(policy, keys, p.env, p.path) : [])),
    ];
    const base = { code: 'user-env' as const, target: u.name, users: [u.name] };
    if (wrong.length === 0) return { ...base, status: 'ok' as const, message: `${keys.join(', ')} as the policy says` };
    return { ...base, status: 'problem' as const, message: `${wrong.join('; ')} — run ccfleet repair` };
  });
}

function differences(policy: Policy, keys: readonly string[], env: EnvView, project: string | null): string[] {
  const where = project === null ? '' : ` in ${project}`;
  const out: string[] = [];
  for (const k of keys) {
    const want = displayValue(k, policy.env[k]!);
    const got = env[k];
    // A URL is shown without user info or query (either could carry a key).
    const show = (v: string) => (k === 'ANTHROPIC_BASE_URL' ? shownUrl(v) : v);
    if (got === undefined) continue; // not reported: nothing to compare
    if (got === null) out.push(`${k} is unset${where} (policy: ${show(want)})`);
    else if (got.value !== want) out.push(`${k} is ${show(got.value)} from ${got.source}${where} (policy: ${show(want)})`);
  }
  return out;
}
