/**
 * XML property lists: `<?xml?>`, an optional `<!DOCTYPE plist …>` (an internal subset — entity
 * definitions — is refused), comments, then `<plist>` holding one value. Only the plist vocabulary is
 * read (dict/key, array, string, integer, real, true, false, date, data); text is the five predefined
 * entities, numeric character references and CDATA. Anything else is a PlistError, never a guess.
 */
import { PLIST_LIMITS, PlistError, setKey, type PlistValue } from './plist-types.js';

interface Tag {
  name: string;
  /** `</name>` */
  close: boolean;
  /** `<name/>` */
  empty: boolean;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXmlPlist(text: string): PlistValue {
  let i = 0;
  let nodes = 0;
  const fail = (msg: string): never => {
    throw new PlistError('plist-xml-syntax', `${msg} at offset ${i}`);
  };

  /** Skips whitespace, comments, processing instructions and the doctype (outside values only). */
  const skipMisc = (): void => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i + 2);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (text.startsWith('<!DOCTYPE', i)) {
        const end = text.indexOf('>', i);
        if (end < 0) fail('unterminated doctype');
        if (text.slice(i, end).includes('[')) throw new PlistError('plist-xml-doctype', 'a doctype with an internal subset (entity definitions) is refused');
        i = end + 1;
      } else {
        return;
      }
    }
  };

  const tag = (): Tag => {
    skipMisc();
    if (text[i] !== '<') fail('expected a tag');
    const end = text.indexOf('>', i);
    if (end < 0) fail('unterminated tag');
    if (end - i > 1024) fail('tag longer than 1024 characters');
    const m = /^<(\/?)([A-Za-z][A-Za-z0-9]*)((?:\s+[A-Za-z:_-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)$/.exec(text.slice(i, end));
    if (!m) fail('malformed tag');
    i = end + 1;
    const t = { name: m![2]!, close: m![1] === '/', empty: m![4] === '/' };
    if (t.close && (t.empty || m![3])) fail('malformed closing tag');
    return t;
  };

  const expectClose = (name: string): void => {
    const t = tag();
    if (!t.close || t.name !== name) fail(`expected </${name}>`);
  };

  /** Character data up to `</name>`: entities and CDATA decoded, no child elements. */
  const textUntilClose = (name: string): string => {
    let out = '';
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt < 0) fail(`unterminated <${name}>`);
      out += decodeEntities(text.slice(i, lt));
      i = lt;
      if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        if (end < 0) fail('unterminated CDATA');
        out += text.slice(i + 9, end);
        i = end + 3;
        continue;
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
        continue;
      }
      expectClose(name);
      return out;
    }
  };

  const value = (t: Tag, depth: number): PlistValue => {
    if (++nodes > PLIST_LIMITS.maxNodes) throw new PlistError('plist-too-many-objects', `more than ${PLIST_LIMITS.maxNodes} values`);
    if (depth > PLIST_LIMITS.maxDepth) throw new PlistError('plist-too-deep', `nested deeper than ${PLIST_LIMITS.maxDepth}`);
    if (t.close) fail(`unexpected </${t.name}>`);
    const body = (): string => (t.empty ? '' : textUntilClose(t.name));
    switch (t.name) {
      case 'true':
      case 'false':
        if (!t.empty) expectClose(t.name);
        return t.name === 'true';
      case 'string':
        return body();
      case 'integer': {
        const s = body().trim();
        if (!/^[+-]?(\d+|0x[0-9a-fA-F]+)$/.test(s)) throw new PlistError('plist-bad-value', `<integer>${s.slice(0, 40)}</integer>`);
        const neg = s.startsWith('-');
        const digits = s.replace(/^[+-]/, '');
        const n = Number(digits);
        if (!Number.isSafeInteger(n)) throw new PlistError('plist-int-range', `integer ${s.slice(0, 40)} is outside ±2^53`);
        return neg ? -n : n;
      }
      case 'real': {
        const s = body().trim();
        const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : /^[+-]?(inf|infinity)$/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(s) ? NaN : null;
        if (n === null) throw new PlistError('plist-bad-value', `<real>${s.slice(0, 40)}</real>`);
        return n;
      }
      case 'date': {
        const s = body().trim();
        const d = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(s) ? new Date(s) : null;
        if (d === null || Number.isNaN(d.getTime())) throw new PlistError('plist-bad-value', `<date>${s.slice(0, 40)}</date>`);
        return d;
      }
      case 'data': {
        const s = body().replace(/\s+/g, '');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1) throw new PlistError('plist-bad-value', '<data> is not base64');
        return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      }
      case 'array': {
        const arr: PlistValue[] = [];
        if (t.empty) return arr;
        for (;;) {
          const c = tag();
          if (c.close && c.name === 'array') return arr;
          arr.push(value(c, depth + 1));
        }
      }
      case 'dict': {
        const obj: { [key: string]: PlistValue } = {};
        if (t.empty) return obj;
        for (;;) {
          const k = tag();
          if (k.close && k.name === 'dict') return obj;
          if (k.name !== 'key' || k.close) fail(`expected <key> in <dict>, got <${k.close ? '/' : ''}${k.name}>`);
          const key = k.empty ? '' : textUntilClose('key');
          setKey(obj, key, value(tag(), depth + 1));
        }
      }
      default:
        return fail(`unknown element <${t.name}>`);
    }
  };

  const root = tag();
  let result: PlistValue;
  if (root.name === 'plist' && !root.close && !root.empty) {
    result = value(tag(), 0);
    expectClose('plist');
  } else {
    // A bare value without the <plist> wrapper is not what macOS writes.
    return fail('expected <plist>');
  }
  skipMisc();
  if (i < text.length) fail('content after </plist>');
  return result;
}

function decodeEntities(s: string): string {
  return s.replace(/&([^;&\s]{0,10});?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new PlistError('plist-xml-entity', `"&" not followed by an entity: ${whole.slice(0, 12)}`);
    if (ENTITIES[name] !== undefined) return ENTITIES[name]!;
    const m = /^#(x[0-9a-fA-F]{1,6}|[0-9]{1,7})$/.exec(name);
    if (m) {
      const cp = m[1]!.startsWith('x') ? parseInt(m[1]!.slice(1), 16) : parseInt(m[1]!, 10);
      if (cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return String.fromCodePoint(cp);
    }
    throw new PlistError('plist-xml-entity', `unknown entity &${name};`);
  });
}
