/**
 * How Claude Code will see a settings text: strict JSON (read), JSONC with comments or trailing commas
 * (ignored whole, silently), or not JSON at all. A UTF-8 BOM is tolerated by Claude Code and kept by us.
 * Also detects the text's formatting so edits keep indentation and line endings.
 */
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import type { JsonObject } from './types.js';

export type Classified =
  | { kind: 'absent' }
  | { kind: 'empty'; bom: boolean }
  | { kind: 'strict'; bom: boolean; body: string; value: unknown }
  | { kind: 'jsonc'; bom: boolean; body: string; value: unknown }
  | { kind: 'invalid'; bom: boolean; body: string };

export function classify(text: string | null): Classified {
  if (text === null) return { kind: 'absent' };
  const bom = text.charCodeAt(0) === 0xfeff;
  const body = bom ? text.slice(1) : text;
  if (body.trim() === '') return { kind: 'empty', bom };
  try {
    return { kind: 'strict', bom, body, value: JSON.parse(body) as unknown };
  } catch {
    // not strict JSON; maybe JSONC
  }
  const errors: ParseError[] = [];
  const value = parseJsonc(body, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  if (errors.length === 0) return { kind: 'jsonc', bom, body, value };
  return { kind: 'invalid', bom, body };
}

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface TextFormat {
  eol: '\n' | '\r\n';
  insertSpaces: boolean;
  tabSize: number;
  finalNewline: boolean;
}

/** The formatting a text already uses (defaults: Claude Code's own 2-space, LF). */
export function detectFormat(body: string): TextFormat {
  const crlf = (body.match(/\r\n/g) ?? []).length;
  const lf = (body.match(/\n/g) ?? []).length - crlf;
  const eol: '\n' | '\r\n' = crlf > 0 && crlf >= lf ? '\r\n' : '\n';
  let insertSpaces = true;
  let tabSize = 2;
  const indent = /\n([ \t]+)\S/.exec(body);
  if (indent) {
    const ws = indent[1]!;
    if (ws.startsWith('\t')) {
      insertSpaces = false;
      tabSize = 1;
    } else {
      tabSize = Math.min(ws.length, 8);
    }
  }
  return { eol, insertSpaces, tabSize, finalNewline: /\n$/.test(body) };
}

/** Strict JSON in a given format (used when we write a file from scratch or normalise one). */
export function stringifyAs(value: unknown, fmt: TextFormat): string {
  const indent = fmt.insertSpaces ? ' '.repeat(fmt.tabSize) : '\t';
  const text = JSON.stringify(value, null, indent);
  const withEol = fmt.eol === '\r\n' ? text.replace(/\n/g, '\r\n') : text;
  return withEol + (fmt.finalNewline ? fmt.eol : '');
}

export const DEFAULT_FORMAT: TextFormat = { eol: '\n', insertSpaces: true, tabSize: 2, finalNewline: true };
