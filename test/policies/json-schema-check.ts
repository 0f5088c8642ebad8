/**
 * A tiny JSON Schema (draft 2020-12) checker for the keywords policies/policy.schema.json uses — enough to
 * show that the published schema accepts the example policies and rejects bad ones, without adding ajv.
 * `SUPPORTED` lists the keywords it understands; the schema test fails if the schema uses any other, so a
 * constraint can never be skipped silently.
 */
export const SUPPORTED = new Set([
  // annotations
  '$id', '$schema', 'title', 'description', 'default',
  // assertions and applicators
  'type', 'properties', 'required', 'additionalProperties', 'propertyNames', 'items', 'enum', 'const',
  'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'anyOf', 'not', 'format',
]);

type Schema = boolean | Record<string, unknown>;

/** Every keyword used anywhere in the schema (property names under `properties` are not keywords). */
export function keywordsUsed(schema: Schema, out = new Set<string>()): Set<string> {
  if (typeof schema !== 'object') return out;
  for (const [k, v] of Object.entries(schema)) {
    out.add(k);
    if (k === 'properties') for (const sub of Object.values(v as Record<string, Schema>)) keywordsUsed(sub, out);
    else if (k === 'anyOf') for (const sub of v as Schema[]) keywordsUsed(sub, out);
    else if (['items', 'additionalProperties', 'propertyNames', 'not'].includes(k)) keywordsUsed(v as Schema, out);
  }
  return out;
}

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;

/** The problems with `value` against `schema`, as "path: what" strings; [] when it validates. */
export function check(schema: Schema, value: unknown, at = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at}: not allowed`];
  const s = schema;
  const errs: string[] = [];
  const t = typeOf(value);
  if (typeof s.type === 'string') {
    const ok = s.type === t || (s.type === 'number' && t === 'integer');
    if (!ok) return [`${at}: expected ${s.type}, got ${t}`];
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) errs.push(`${at}: not one of ${JSON.stringify(s.enum)}`);
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value)) errs.push(`${at}: not ${JSON.stringify(s.const)}`);
  if (typeof value === 'string') {
    const len = [...value].length;
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) errs.push(`${at}: does not match ${s.pattern}`);
    if (typeof s.minLength === 'number' && len < s.minLength) errs.push(`${at}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && len > s.maxLength) errs.push(`${at}: longer than ${s.maxLength}`);
    if (s.format === 'date-time' && Number.isNaN(Date.parse(value))) errs.push(`${at}: not a date-time`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errs.push(`${at}: below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errs.push(`${at}: above ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) errs.push(`${at}: not above ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) errs.push(`${at}: not below ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(value) && s.items !== undefined) value.forEach((v, i) => errs.push(...check(s.items as Schema, v, `${at}[${i}]`)));
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const r of (s.required ?? []) as string[]) if (!(r in obj)) errs.push(`${at}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      if (s.propertyNames !== undefined) errs.push(...check(s.propertyNames as Schema, k, `${at}.${k} (name)`));
      if (k in props) errs.push(...check(props[k]!, v, `${at}.${k}`));
      else if (s.additionalProperties !== undefined) errs.push(...check(s.additionalProperties as Schema, v, `${at}.${k}`));
    }
  }
  if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => check(sub as Schema, value, at).length === 0)) errs.push(`${at}: matches none of anyOf`);
  if (s.not !== undefined && check(s.not as Schema, value, at).length === 0) errs.push(`${at}: matches "not"`);
  return errs;
}
