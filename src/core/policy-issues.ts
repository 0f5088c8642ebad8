/**
 * Wording for policy errors, written for the admin who edits the file: a zod error map that says what a
 * field must be, the JSONC syntax errors in plain words, field paths as written in the file
 * (`removeKeys[2]`, `env.ANTHROPIC_BASE_URL`), and a "did you mean" for unknown keys.
 */
import { printParseErrorCode, type ParseErrorCode } from 'jsonc-parser';
import { z } from 'zod';
import { policySchema } from './policy-schema.js';

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  record: 'an object ({ … })',
  object: 'an object ({ … })',
  array: 'a list ([ … ])',
};

const unit = (origin: string, n: number | bigint) =>
  origin === 'string' ? `${n} character${n === 1 ? '' : 's'}` : origin === 'array' ? `${n} entr${n === 1 ? 'y' : 'ies'}` : `${n}`;

/** A zod error map: used where the schema itself gives no message. */
export const issueMessage: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required, but missing';
      return `must be ${TYPE_NAMES[iss.expected] ?? iss.expected}, not ${describeValue(iss.input)}`;
    case 'too_small':
      if (iss.origin === 'string' && Number(iss.minimum) === 1) return 'must not be empty';
      return `must be at least ${unit(iss.origin, iss.minimum)}`;
    case 'too_big':
      return `must be at most ${unit(iss.origin, iss.maximum)}`;
    case 'invalid_value':
      return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      if (iss.format === 'datetime') return 'must be an ISO 8601 date and time with a time zone, e.g. "2027-01-31T00:00:00Z"';
      if (iss.format === 'regex' && 'pattern' in iss) return `must match ${String(iss.pattern)}`;
      return `must be a valid ${iss.format}`;
    case 'invalid_key': {
      const inner = iss.issues[0]?.message;
      return `key ${describeValue(iss.input)} is not valid${inner ? `: ${inner}` : ''}`;
    }
    case 'invalid_union':
      return 'is not of an accepted type';
    default:
      return undefined;
  }
};

/** A short description of a JSON value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'an object';
}

/** `["removeKeys", 2]` → `removeKeys[2]`; `["env", "A"]` → `env.A`; odd keys are quoted. */
export function formatField(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(policy)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? (i === 0 ? p : `.${p}`) : `[${JSON.stringify(p)}]`))
    .join('');
}

/** By jsonc-parser's error name (its ParseErrorCode is a const enum, which isolatedModules cannot read). */
const PARSE_ERRORS: Record<string, string> = {
  InvalidSymbol: 'unexpected character (names and strings need double quotes)',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'a property name in double quotes is expected',
  ValueExpected: 'a value is expected',
  ColonExpected: '":" is expected after the property name',
  CommaExpected: 'a comma is expected between entries',
  CloseBraceExpected: '"}" is expected',
  CloseBracketExpected: '"]" is expected',
  EndOfFileExpected: 'unexpected text after the end of the policy',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'a /* comment is not closed',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut off',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'a control character (tab or line break) inside a string',
};

export const parseErrorText = (code: ParseErrorCode): string => PARSE_ERRORS[printParseErrorCode(code)] ?? 'syntax error';

/** The keys a policy object accepts at this path (top level, `model`, `users`...). */
function knownKeys(path: readonly (string | number)[]): string[] {
  let s: unknown = policySchema;
  for (const seg of [...path, null]) {
    while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap();
    if (!(s instanceof z.ZodObject)) return [];
    if (seg === null) return Object.keys(s.shape);
    s = (s.shape as Record<string, unknown>)[String(seg)];
  }
  return [];
}

/** " — did you mean …?" (or where the key belongs), or "". */
export function suggestKey(path: readonly (string | number)[], key: string): string {
  const known = knownKeys(path);
  const limit = key.length <= 4 ? 1 : 2;
  const close = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => distance(k.toLowerCase(), key.toLowerCase()) <= limit);
  if (close) return ` — did you mean "${close}"?`;
  if (path.length === 0 && /^[A-Z][A-Z0-9_]*$/.test(key)) return ' — environment variables go inside "env"';
  if (path.length === 0) return ' — not a policy key; Claude Code settings go inside "managedSettings"';
  return known.length ? ` — allowed here: ${known.map((k) => `"${k}"`).join(', ')}` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
