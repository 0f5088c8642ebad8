/**
 * A small iterative scanner over strict JSON text: it finds where the properties of one object sit
 * without building a tree. Linear in the text it skips, no recursion (nesting depth cannot overflow the
 * stack), a few milliseconds for a 5 MB settings file. Text that is not well-formed where it looks gives
 * `undefined`; callers verify their result with JSON.parse anyway.
 */

/** One `"key": value` of an object: the decoded key, where the key starts and ends, where the value starts and ends. */
export interface PropSpan {
  key: string;
  offset: number;
  keyEnd: number;
  valueOffset: number;
  end: number;
}

/** An object: from its `{` to just after its `}`, and its properties in text order (duplicates included). */
export interface ObjSpan {
  offset: number;
  end: number;
  props: PropSpan[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

/** `i` at an opening quote → the index just after the closing one, or -1. */
function skipString(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    let slashes = 0;
    for (let b = q - 1; b > i && text.charCodeAt(b) === BACKSLASH; b--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** `i` at the first character of a value → the index just after it, or -1. */
export function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(text, j);
        if (j < 0) return -1;
        j--;
      } else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || isWs(d)) break;
    j++;
  }
  return j > i ? j : -1;
}

/** `i` at a `{` → the object's span and properties; undefined when there is no well-formed object there. */
export function readObject(text: string, i: number): ObjSpan | undefined {
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  const props: PropSpan[] = [];
  let j = skipWs(text, i + 1);
  if (text.charCodeAt(j) === 0x7d) return { offset: i, end: j + 1, props };
  for (;;) {
    if (text.charCodeAt(j) !== QUOTE) return undefined;
    const keyEnd = skipString(text, j);
    if (keyEnd < 0) return undefined;
    let key: string;
    try {
      key = JSON.parse(text.slice(j, keyEnd)) as string;
    } catch {
      return undefined;
    }
    let k = skipWs(text, keyEnd);
    if (text.charCodeAt(k) !== 0x3a) return undefined;
    const valueOffset = skipWs(text, k + 1);
    const valueEnd = skipValue(text, valueOffset);
    if (valueEnd < 0) return undefined;
    props.push({ key, offset: j, keyEnd, valueOffset, end: valueEnd });
    k = skipWs(text, valueEnd);
    const sep = text.charCodeAt(k);
    if (sep === 0x7d) return { offset: i, end: k + 1, props };
    if (sep !== 0x2c) return undefined;
    j = skipWs(text, k + 1);
  }
}
