/** What may be shown or reported of env values: secret-looking ones only as fingerprints. */
import { displayValue, isSecretKey } from '../core/fingerprint.js';
import type { Edit } from '../core/plan-settings.js';

export function displayEnv(env: Record<string, { value: string; source: string } | null>): Record<string, { value: string; source: string } | null> {
  const out: Record<string, { value: string; source: string } | null> = {};
  for (const [k, v] of Object.entries(env)) out[k] = v ? { value: displayValue(k, v.value), source: v.source } : null;
  return out;
}

/** Edits as they may be reported: a value set under a secret-looking key (or looking like a key) as a fingerprint. */
export function redactEdits(edits: readonly Edit[]): Edit[] {
  return edits.map((e) => {
    if (e.op !== 'set' || e.value === undefined) return e;
    const key = e.key ?? '';
    if (typeof e.value === 'string') return { ...e, value: displayValue(key.split('.').pop() ?? key, e.value) };
    if (isSecretKey(key)) return { ...e, value: '(redacted)' };
    return e;
  });
}
