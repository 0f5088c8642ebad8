/**
 * Agent config values from an MDM channel that is not JSON (a managed-preferences plist, the registry),
 * checked with the same zod schema as agent.json. The shape is the schema's; only two liberties, because
 * MDM consoles make them easy to get wrong and they cannot be misread: a number typed as a string
 * (`<string>60</string>`, REG_SZ "0.5") where the schema wants a number, and one string where it wants
 * a list (a single REG_SZ public key). With `caseInsensitive` (the registry, whose names are), a name
 * matching a schema key in another case is taken as that key. Errors are CONFIG_INVALID naming the
 * channel and the field.
 */
import { z } from 'zod';
import { CcfleetError } from '../../core/errors.js';
import { agentConfigSchema, type AgentConfig } from '../agent-config.js';

type Raw = { [k: string]: unknown };

const unwrap = (s: z.ZodType): z.ZodType => (s instanceof z.ZodOptional ? (s.unwrap() as z.ZodType) : s);

/** Brings the raw values to the schema's shape (keys' case, numbers, lists); unknown keys are left for the schema to refuse. */
function conform(raw: unknown, shape: Record<string, z.ZodType>, caseInsensitive: boolean): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const out: Raw = {};
  for (const [name, value] of Object.entries(raw as Raw)) {
    const key = caseInsensitive ? (Object.keys(shape).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name) : name;
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new Error(`${key} is given twice (names differ only in case)`);
    const field = shape[key] ? unwrap(shape[key]) : undefined;
    let v: unknown = value;
    if (field instanceof z.ZodNumber && typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/.test(v)) v = Number(v);
    else if (field instanceof z.ZodArray && typeof v === 'string') v = [v];
    else if (field instanceof z.ZodObject) v = conform(v, field.shape as Record<string, z.ZodType>, caseInsensitive);
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Validates one channel's values. `channel` names it in errors: "managed preferences <path>", "registry HKLM\\…". */
export function validateChannel(raw: unknown, channel: string, opts: { caseInsensitive?: boolean } = {}): AgentConfig {
  let shaped: unknown;
  try {
    shaped = conform(raw, agentConfigSchema.shape as unknown as Record<string, z.ZodType>, opts.caseInsensitive ?? false);
  } catch (e) {
    throw new CcfleetError('CONFIG_INVALID', `${channel}: ${(e as Error).message}`);
  }
  const r = agentConfigSchema.safeParse(shaped);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const p = [...issue.path.map((x) => String(x)), ...(unknown.length > 0 ? [unknown[0]!] : [])].join('.') || '(top level)';
  const message = unknown.length > 0 ? `unknown key${unknown.length > 1 ? ` (also: ${unknown.slice(1).join(', ')})` : ''}` : issue.message;
  throw new CcfleetError('CONFIG_INVALID', `${channel}: ${p}: ${message}`);
}
