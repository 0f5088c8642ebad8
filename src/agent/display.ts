/** What may be shown or reported of env values: secret-looking ones only as fingerprints. */
import { displayValue, isSecretKey } from '../core/fingerprint.js';
import type { Edit } from '../core/plan-settings.js';

export function displayEnv(env: Record<string, { value: string; source: string } | null>): Record<string, { value: string; source: string } | null> {
  const out: Record<string, { value: string; source: string } | null> = {};
  for (const [k, v] of Object.entries(env)) out[k] = v ? { value: displayValue(k, v.value), source: v.source } : null;
  return out;
}

/**
 * Edits as they may be reported (the report leaves the process: stdout, logs, the server): the value of a
 * planned edit follows the display rule — secret-looking keys and `sk-…`/`Bearer …` values become a
 * fingerprint; containers member by member (a secret name covers everything under it).
 */
export function redactEdits(edits: readonly Edit[]): Edit[] {
  return edits.map((e) => (e.value === undefined ? e : { ...e, value: redactValue(lastSegment(e.key ?? ''), e.value) }));
}

const lastSegment = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

function redactValue(name: string, v: unknown): unknown {
  if (typeof v === 'string') return displayValue(name, v);
  if (Array.isArray(v)) return v.map((x) => redactValue(name, x));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactValue(isSecretKey(name) ? name : k, x);
    return out;
  }
  return v;
}
