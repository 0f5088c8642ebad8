/**
 * A cron cadence as the agent config or a policy spells it, normalised to one cron string (node-schedule
 * hands every string to cron-parser, whose search for the next date is bounded). Accepted:
 *
 *   "*\/5 * * * *"          5 fields: minute hour day-of-month month day-of-week (local time)
 *   "0 *\/5 * * * *"        6 fields: a leading seconds field
 *   "@hourly" …             @yearly @annually @monthly @weekly @daily @midnight @hourly
 *   { hour: 3, minute: [0, 30], tz?: "Europe/Paris" }
 *                           node-schedule's object literal: second, minute, hour, date, month (0-11, as in
 *                           node-schedule), dayOfWeek (0-6, Sunday 0); integers or lists of integers; an
 *                           absent second means 0, any other absent field means "every".
 *
 * Refused, with the reason: anything else — including what node-schedule itself would quietly take for a
 * one-time date ("2030-01-01", "5") or pad with defaults (a 4-field string), an object literal's `year`
 * (a recurring fleet job has none; node-schedule can search forever for a past year range) and an object
 * with both `date` and `dayOfWeek` (node-schedule ANDs them, cron ORs them: spell it as a cron string).
 * Whether the fields' values are valid is left to cron-parser (src/agent/schedule/cron-job.ts).
 */

export type CronSpecParse = { ok: true; cron: string; tz: string | null } | { ok: false; reason: string };

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

const FIELD = /^[0-9A-Za-z*/,?#-]+$/;

/** Object-literal fields in cron order, with their ranges and the offset to cron's numbering. */
const OBJECT_FIELDS = [
  { key: 'second', min: 0, max: 59, shift: 0 },
  { key: 'minute', min: 0, max: 59, shift: 0 },
  { key: 'hour', min: 0, max: 23, shift: 0 },
  { key: 'date', min: 1, max: 31, shift: 0 },
  { key: 'month', min: 0, max: 11, shift: 1 },
  { key: 'dayOfWeek', min: 0, max: 6, shift: 0 },
] as const;
const OBJECT_KEYS = new Set<string>([...OBJECT_FIELDS.map((f) => f.key), 'tz']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseCronSpec(spec: unknown): CronSpecParse {
  if (typeof spec === 'string') return parseCronString(spec);
  if (isRecord(spec)) return parseCronObject(spec);
  return { ok: false, reason: 'expected a cron string or a node-schedule object literal' };
}

function parseCronString(raw: string): CronSpecParse {
  const text = raw.trim().replace(/\s+/g, ' ');
  if (text.startsWith('@')) {
    const cron = MACROS[text.toLowerCase()];
    return cron ? { ok: true, cron, tz: null } : { ok: false, reason: `unknown macro (known: ${Object.keys(MACROS).join(' ')})` };
  }
  const fields = text === '' ? [] : text.split(' ');
  if (fields.length !== 5 && fields.length !== 6) {
    return { ok: false, reason: `${fields.length} fields; expected 5 (minute hour day month weekday) or 6 (with seconds first)` };
  }
  const bad = fields.find((f) => !FIELD.test(f));
  if (bad !== undefined) return { ok: false, reason: `field "${bad}" has characters cron does not use` };
  const ranges = fields.length === 6 ? STRING_RANGES : STRING_RANGES.slice(1);
  for (let i = 0; i < fields.length; i++) {
    const why = checkField(fields[i]!, ranges[i]!);
    if (why) return { ok: false, reason: `${ranges[i]!.name} field "${fields[i]}": ${why}` };
  }
  return { ok: true, cron: text, tz: null };
}

/** Cron string fields in order (seconds first when there are six), with their numeric ranges. */
const STRING_RANGES = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 7 },
] as const;

/**
 * Numbers in a field must be in its range and steps positive: `*`, `?`, `n`, `a-b`, `x/step`, lists of
 * those. Names (JAN, MON) and the L W # forms are left to cron-parser.
 */
function checkField(field: string, r: { min: number; max: number }): string | null {
  for (const item of field.split(',')) {
    if (item === '') return 'an empty list item';
    const [base = '', step, extra] = item.split('/');
    if (extra !== undefined) return 'more than one "/"';
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) return `step "${step}" must be a positive integer`;
    if (base === '*' || base === '?' || /[A-Za-z#]/.test(base)) continue;
    const bounds = base.split('-');
    if (bounds.length > 2 || bounds.some((b) => !/^\d+$/.test(b))) return `"${base}" is not a number or a range`;
    const nums = bounds.map(Number);
    if (nums.some((n) => n < r.min || n > r.max)) return `${base} is outside ${r.min}-${r.max}`;
    if (nums.length === 2 && nums[0]! > nums[1]!) return `range ${base} runs backwards`;
  }
  return null;
}

function parseCronObject(o: Record<string, unknown>): CronSpecParse {
  const unknown = Object.keys(o).filter((k) => !OBJECT_KEYS.has(k));
  if (unknown.length > 0) return { ok: false, reason: `unknown field(s) ${unknown.join(', ')} (known: ${[...OBJECT_KEYS].join(', ')})` };
  if (o.date !== undefined && o.dayOfWeek !== undefined) {
    return { ok: false, reason: 'both date and dayOfWeek: node-schedule ANDs them, cron ORs them; use a cron string' };
  }
  if (o.tz !== undefined && (typeof o.tz !== 'string' || o.tz.trim() === '')) return { ok: false, reason: 'tz must be an IANA time zone name' };
  const parts: string[] = [];
  for (const f of OBJECT_FIELDS) {
    const v = o[f.key];
    if (v === undefined || v === null) {
      parts.push(f.key === 'second' ? '0' : '*');
      continue;
    }
    const list = Array.isArray(v) ? v : [v];
    const ok = list.length > 0 && list.every((n) => Number.isInteger(n) && (n as number) >= f.min && (n as number) <= f.max);
    if (!ok) return { ok: false, reason: `${f.key} must be an integer ${f.min}-${f.max} or a non-empty list of them` };
    parts.push([...new Set(list as number[])].sort((a, b) => a - b).map((n) => n + f.shift).join(','));
  }
  return { ok: true, cron: parts.join(' '), tz: typeof o.tz === 'string' ? o.tz.trim() : null };
}

/** How a spec is named in an error message. */
export const describeCronSpec = (spec: unknown): string => (typeof spec === 'string' ? JSON.stringify(spec) : safeJson(spec));

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
