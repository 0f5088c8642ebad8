/**
 * Last line of defence before a report leaves the process as JSON: the `value` of every planned edit is
 * passed through the same rule as the displayed env (secret-looking keys and `sk-…`/`Bearer …` values
 * become a fingerprint), so a policy's ANTHROPIC_AUTH_TOKEN never reaches stdout, logs or a pipe.
 * Everything else is returned as is; the input is not modified.
 */
import type { FileReport, MachineReport } from '../agent/report-types.js';
import { displayValue, isSecretKey } from '../core/fingerprint.js';

export function redactReport(r: MachineReport): MachineReport {
  return { ...r, files: r.files.map(redactFile) };
}

function redactFile(f: FileReport): FileReport {
  if (!f.edits?.some((e) => e.value !== undefined)) return f;
  return { ...f, edits: f.edits.map((e) => (e.value === undefined ? e : { ...e, value: redactValue(lastSegment(e.key ?? ''), e.value) })) };
}

const lastSegment = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

/** A value under `name`: strings by the display rule, containers member by member (a secret name covers all of it). */
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
