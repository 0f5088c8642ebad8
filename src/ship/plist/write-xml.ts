/**
 * XML property list writer (Apple's PropertyList-1.0 DTD), pure: value in, text out.
 *
 * Types: string → <string>, integer number or bigint → <integer>, other finite number or PlistReal →
 * <real>, boolean → <true/>/<false/>, Date → <date> (UTC, whole seconds), Uint8Array → <data> (base64),
 * array → <array>, plain object → <dict> (keys in insertion order; a key whose value is undefined is
 * left out). Anything else — NaN, a string with a character XML 1.0 cannot carry, a cycle — throws
 * PlistWriteError rather than writing a file a Mac would refuse.
 */
export class PlistReal {
  constructor(readonly value: number) {}
}

export type PlistValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | PlistReal
  | PlistValue[]
  | { [key: string]: PlistValue | undefined };

export class PlistWriteError extends Error {
  readonly code = 'PLIST_WRITE';
  constructor(message: string) {
    super(message);
    this.name = 'PlistWriteError';
  }
}

const HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';

// XML 1.0 Char: tab, LF, CR, U+0020..U+D7FF, U+E000..U+FFFD, supplementary planes (no lone surrogates).
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function escapeXml(s: string): string {
  if (NOT_XML_CHAR.test(s)) throw new PlistWriteError(`string ${JSON.stringify(s.slice(0, 40))} has a character XML cannot carry`);
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function base64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

function isoDate(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new PlistWriteError('invalid date');
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function real(n: number): string {
  if (!Number.isFinite(n)) throw new PlistWriteError(`real ${n} is not finite`);
  return String(n);
}

function write(v: PlistValue, indent: string, out: string[], stack: object[]): void {
  if (typeof v === 'string') out.push(`${indent}<string>${escapeXml(v)}</string>`);
  else if (typeof v === 'bigint') out.push(`${indent}<integer>${v}</integer>`);
  else if (typeof v === 'number') out.push(Number.isInteger(v) ? `${indent}<integer>${v}</integer>` : `${indent}<real>${real(v)}</real>`);
  else if (typeof v === 'boolean') out.push(`${indent}<${v}/>`);
  else if (v instanceof PlistReal) out.push(`${indent}<real>${real(v.value)}</real>`);
  else if (v instanceof Date) out.push(`${indent}<date>${isoDate(v)}</date>`);
  else if (v instanceof Uint8Array) out.push(`${indent}<data>${base64(v)}</data>`);
  else if (typeof v === 'object' && v !== null) {
    if (stack.includes(v)) throw new PlistWriteError('a value contains itself');
    stack.push(v);
    if (Array.isArray(v)) {
      if (v.length === 0) out.push(`${indent}<array/>`);
      else {
        out.push(`${indent}<array>`);
        for (const item of v) write(item, `${indent}\t`, out, stack);
        out.push(`${indent}</array>`);
      }
    } else {
      if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) {
        throw new PlistWriteError(`cannot write a ${Object.getPrototypeOf(v)?.constructor?.name ?? 'non-plain'} object`);
      }
      const keys = Object.keys(v).filter((k) => v[k] !== undefined);
      if (keys.length === 0) out.push(`${indent}<dict/>`);
      else {
        out.push(`${indent}<dict>`);
        for (const k of keys) {
          out.push(`${indent}\t<key>${escapeXml(k)}</key>`);
          write(v[k]!, `${indent}\t`, out, stack);
        }
        out.push(`${indent}</dict>`);
      }
    }
    stack.pop();
  } else {
    throw new PlistWriteError(`cannot write a value of type ${typeof v}`);
  }
}

/** The whole document: XML declaration, doctype, <plist version="1.0">, the value, a final newline. */
export function plistXml(value: PlistValue): string {
  const out: string[] = [];
  write(value, '', out, []);
  return `${HEAD}${out.join('\n')}\n</plist>\n`;
}
