/**
 * Finds a raw credential in a report (core/report-schema.ts RAW_SECRET: `sk-…` keys, `Bearer …` tokens).
 * Agents send fingerprints only, so a match is a bug on the sending side and the report is refused.
 *
 * A match counts only where a key can start: `sk-` preceded by a letter or digit is part of a word
 * (`/home/ana/desk-organizer-app` is a path, not a key). The raw text is scanned first (one regex pass,
 * unknown fields included); when it holds JSON escapes that could spell a key in disguise (`\u0073k-…`,
 * `Bearer\t…`), the decoded strings of the parsed value are scanned as well.
 */
import { RAW_SECRET } from '../core/report-schema.js';

const GLOBAL = new RegExp(RAW_SECRET.source, `${RAW_SECRET.flags.replace('g', '')}g`);
/**
 * The regex as written today needs "sk-" or "Bearer" in the text: two substring searches rule most reports
 * out far faster than the regex (a 3 KB report: ~0.3 µs instead of ~5 µs). Used only while RAW_SECRET is
 * exactly that regex; a changed RAW_SECRET is always run in full.
 */
const KNOWN_SOURCE = '((?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}|Bearer\\s+[A-Za-z0-9._~+/-]{16,})';
const mayHold: (text: string) => boolean =
  RAW_SECRET.source === KNOWN_SOURCE && RAW_SECRET.flags === '' ? (t) => t.includes('sk-') || t.includes('Bearer') : () => true;
const ESCAPE = /\\[ubfnrt/]/;
const WORD = /[A-Za-z0-9]/;

/** True when `text` holds a raw secret at a word start. */
export const rawSecretPrefilterActive = (): boolean => RAW_SECRET.source === KNOWN_SOURCE && RAW_SECRET.flags === '';

export function hasRawSecret(text: string): boolean {
  if (!mayHold(text) || !RAW_SECRET.test(text)) return false;
  GLOBAL.lastIndex = 0;
  for (let m = GLOBAL.exec(text); m !== null; m = GLOBAL.exec(text)) {
    if (m.index === 0 || !WORD.test(text[m.index - 1]!)) {
      GLOBAL.lastIndex = 0;
      return true;
    }
    GLOBAL.lastIndex = m.index + 1;
  }
  return false;
}

/** The body's text and its parsed value. */
export function reportHasRawSecret(text: string, value: unknown): boolean {
  if (hasRawSecret(text)) return true;
  return text.includes('\\') && ESCAPE.test(text) && valueHasRawSecret(value, 0);
}

function valueHasRawSecret(v: unknown, depth: number): boolean {
  if (typeof v === 'string') return hasRawSecret(v);
  if (depth > 64 || typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some((x) => valueHasRawSecret(x, depth + 1));
  for (const [k, x] of Object.entries(v)) if (hasRawSecret(k) || valueHasRawSecret(x, depth + 1)) return true;
  return false;
}
