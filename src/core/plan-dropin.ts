/**
 * The managed drop-in ccfleet owns (`managed-settings.d/50-ccfleet.json`): it holds exactly the policy's
 * env block and extra managed keys, nothing else. Compared by parsed content, rewritten whole when wrong.
 * In user mode the drop-in must not exist (a stale one would keep enforcing an old env).
 */
import { deepEqual } from './deep-equal.js';
import { classify, isObject, stringifyAs, DEFAULT_FORMAT } from './json-text.js';
import type { Plan } from './plan-settings.js';
import type { Policy } from './policy-schema.js';
import type { Finding, JsonObject } from './types.js';

export const DROPIN_NAME = '50-ccfleet.json';

export function dropinContent(policy: Policy): JsonObject {
  return { env: { ...policy.env }, ...policy.managedSettings };
}

export const dropinText = (policy: Policy): string => stringifyAs(dropinContent(policy), DEFAULT_FORMAT);

export function planDropin(policy: Policy, currentText: string | null): Plan {
  const c = classify(currentText);
  if (policy.enforceIn === 'user') {
    if (c.kind === 'absent') return { edits: [], nextText: null, findings: [], state: 'compliant' };
    return { edits: [{ op: 'delete' }], nextText: null, findings: [{ code: 'dropin-stale', blocking: true }], state: 'drifted' };
  }
  const want = dropinContent(policy);
  const text = dropinText(policy);
  if (c.kind === 'absent') {
    return { edits: [{ op: 'create' }], nextText: text, findings: [{ code: 'dropin-missing', blocking: true }], state: 'missing' };
  }
  if (c.kind === 'strict' && deepEqual(c.value, want)) {
    return { edits: [], nextText: currentText, findings: [], state: 'compliant' };
  }
  const findings: Finding[] = [];
  if (c.kind !== 'strict') findings.push({ code: 'managed-invalid', blocking: true });
  else findings.push(...diffFindings(c.value, want));
  return { edits: [{ op: 'rewrite' }], nextText: text, findings, state: 'drifted' };
}

function diffFindings(have: unknown, want: JsonObject): Finding[] {
  const out: Finding[] = [];
  const h = isObject(have) ? have : {};
  if (h.env !== undefined && !isObject(h.env)) out.push({ code: 'env-not-object', key: 'env', blocking: true });
  const hEnv = isObject(h.env) ? h.env : {};
  const wEnv = want.env as Record<string, string>;
  for (const [k, v] of Object.entries(wEnv)) {
    if (hEnv[k] === undefined) out.push({ code: 'env-missing', key: `env.${k}`, blocking: true });
    else if (hEnv[k] !== v) out.push({ code: 'env-mismatch', key: `env.${k}`, blocking: true });
  }
  for (const k of Object.keys(hEnv)) if (!(k in wEnv)) out.push({ code: 'env-extra', key: `env.${k}`, blocking: true });
  for (const [k, v] of Object.entries(want)) {
    if (k === 'env') continue;
    if (h[k] === undefined) out.push({ code: 'setting-missing', key: k, blocking: true });
    else if (!deepEqual(h[k], v)) out.push({ code: 'setting-mismatch', key: k, blocking: true });
  }
  for (const k of Object.keys(h)) if (!(k in want)) out.push({ code: 'setting-extra', key: k, blocking: true });
  if (out.length === 0) out.push({ code: 'dropin-drifted', blocking: true });
  return out;
}
