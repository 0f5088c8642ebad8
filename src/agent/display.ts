/** What may be shown or reported of env values: secret-looking ones only as fingerprints. */
import { displayValue } from '../core/fingerprint.js';

export function displayEnv(env: Record<string, { value: string; source: string } | null>): Record<string, { value: string; source: string } | null> {
  const out: Record<string, { value: string; source: string } | null> = {};
  for (const [k, v] of Object.entries(env)) out[k] = v ? { value: displayValue(k, v.value), source: v.source } : null;
  return out;
}
