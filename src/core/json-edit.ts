/**
 * Minimal, text-preserving edits of a strict-JSON settings text. Only the bytes of the property being
 * removed, replaced or inserted change: every other byte (indentation, line endings, a minified line, the
 * order of keys) stays as it was. New text follows the file's own indentation and line endings.
 * Paths follow JSON.parse semantics: when a key is duplicated, the last occurrence is the one that counts
 * (an earlier, shadowed duplicate of a parent object is left as it is). Removing a key removes every
 * duplicate of it in its object; a key that is set ends up exactly once in its object.
 * A text that is not a strict-JSON object along the path comes back unchanged.
 */
import { readObject, skipWs, type ObjSpan, type PropSpan } from './json-scan.js';
import type { TextFormat } from './json-text.js';

interface Splice {
  offset: number;
  length: number;
  content: string;
}

const splice = (text: string, s: Splice): string => text.slice(0, s.offset) + s.content + text.slice(s.offset + s.length);
const isMultiline = (text: string, from: number, to: number): boolean => text.slice(from, to).includes('\n');
const unitOf = (fmt: TextFormat): string => (fmt.insertSpaces ? ' '.repeat(fmt.tabSize) : '\t');

/** The object JSON.parse reads at `path` (the last duplicate at every level) and the object holding it. */
function objectAt(text: string, path: readonly string[]): { obj: ObjSpan; container?: ObjSpan } | undefined {
  let obj = readObject(text, skipWs(text, 0));
  let container: ObjSpan | undefined;
  for (const seg of path) {
    if (!obj) return undefined;
    const prop = obj.props.filter((p) => p.key === seg).at(-1);
    if (!prop) return undefined;
    container = obj;
    obj = readObject(text, prop.valueOffset);
  }
  return obj ? { obj, container } : undefined;
}

/**
 * Removing some properties of an object: their text and exactly one separating comma each, nothing else.
 * A leading run of removed properties goes up to the first kept one; any other removed property takes the
 * comma before it. All of them removed: the object becomes `{}`.
 */
function removalsOf(obj: ObjSpan, remove: ReadonlySet<PropSpan>): Splice[] {
  const props = obj.props;
  const firstKept = props.findIndex((p) => !remove.has(p));
  if (firstKept < 0) return [{ offset: obj.offset + 1, length: obj.end - obj.offset - 2, content: '' }];
  const out: Splice[] = [];
  if (firstKept > 0) out.push({ offset: props[0]!.offset, length: props[firstKept]!.offset - props[0]!.offset, content: '' });
  for (let i = firstKept + 1; i < props.length; i++) {
    if (remove.has(props[i]!)) out.push({ offset: props[i - 1]!.end, length: props[i]!.end - props[i - 1]!.end, content: '' });
  }
  return out;
}

/** Removes the occurrences of the last key of `path` from its object, keeping the `keep` last ones. */
function removeOccurrences(text: string, path: readonly string[], keep: number): string {
  const at = objectAt(text, path.slice(0, -1));
  if (!at) return text;
  const props = at.obj.props.filter((p) => p.key === path[path.length - 1]);
  if (props.length <= keep) return text;
  const splices = removalsOf(at.obj, new Set(props.slice(0, props.length - keep)));
  let cur = text;
  for (const s of splices.sort((x, y) => y.offset - x.offset)) cur = splice(cur, s);
  return cur;
}

/** Removes every occurrence of a property path, duplicates included; unchanged text when it is absent. */
export function removePath(text: string, path: readonly string[], _fmt?: TextFormat): string {
  return path.length === 0 ? text : removeOccurrences(text, path, 0);
}

/** The leading whitespace of the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start, offset))![0];
}

/** A value as JSON text in the file's style, continuation lines indented from `indent`. */
function render(value: unknown, fmt: TextFormat, indent: string, multiline: boolean): string {
  if (!multiline) return JSON.stringify(value);
  return JSON.stringify(value, null, unitOf(fmt)).replace(/\n/g, fmt.eol + indent);
}

/** Whether an object's properties put a space between `:` and the value (`"a": 1` rather than `"a":1`). */
function spacedColon(text: string, obj: ObjSpan): boolean {
  const first = obj.props[0];
  return first ? /\s/.test(text.slice(first.keyEnd, first.valueOffset)) : true;
}

/** Inserting `"key": value` as the last property of an object. */
function insertionOf(text: string, obj: ObjSpan, container: ObjSpan | undefined, key: string, value: unknown, fmt: TextFormat): Splice {
  const last = obj.props.at(-1);
  const oneLine = (o: ObjSpan) => !isMultiline(text, o.offset, o.end);
  if (!last) {
    // An empty object inside a one-line object stays on that line…
    if (container && oneLine(container)) {
      const sep = spacedColon(text, container) ? ' ' : '';
      return { offset: obj.offset + 1, length: obj.end - obj.offset - 2, content: `${JSON.stringify(key)}:${sep}${JSON.stringify(value)}` };
    }
    // …otherwise it opens up on its own lines (a root `{}` becomes a normal settings file).
    const outer = lineIndent(text, obj.offset);
    const inner = outer + unitOf(fmt);
    const prop = `${JSON.stringify(key)}: ${render(value, fmt, inner, true)}`;
    return { offset: obj.offset + 1, length: obj.end - obj.offset - 2, content: `${fmt.eol}${inner}${prop}${fmt.eol}${outer}` };
  }
  if (isMultiline(text, obj.offset, obj.props[0]!.offset)) {
    const indent = lineIndent(text, last.offset);
    const prop = `${JSON.stringify(key)}: ${render(value, fmt, indent, true)}`;
    return { offset: last.end, length: 0, content: `,${fmt.eol}${indent}${prop}` };
  }
  // Properties on one line (a minified file): stay on that line, in the same spacing.
  const sep = spacedColon(text, obj) ? ' ' : '';
  return { offset: last.end, length: 0, content: `,${sep}${JSON.stringify(key)}:${sep}${JSON.stringify(value)}` };
}

/**
 * Sets a property path to a value. Missing objects on the way are created; a non-object on the way is
 * replaced by an object. Earlier duplicates of the key are removed so the result is unambiguous.
 */
export function setPath(text: string, path: readonly string[], value: unknown, fmt: TextFormat): string {
  if (path.length === 0) return text;
  // The deepest object on the path that exists; what is missing below it is built as a nested value.
  let depth = path.length - 1;
  let at = objectAt(text, path.slice(0, depth));
  while (!at && depth > 0) at = objectAt(text, path.slice(0, --depth));
  if (!at) return text;
  let nested: unknown = value;
  for (let i = path.length - 1; i > depth; i--) nested = { [path[i]!]: nested };
  const name = path[depth]!;
  const existing = at.obj.props.filter((p) => p.key === name);
  const target = existing.at(-1);
  if (!target) return splice(text, insertionOf(text, at.obj, at.container, name, nested, fmt));
  const multiline = isMultiline(text, at.obj.offset, at.obj.end);
  const content = render(nested, fmt, lineIndent(text, target.offset), multiline);
  const next = splice(text, { offset: target.valueOffset, length: target.end - target.valueOffset, content });
  return existing.length > 1 ? removeOccurrences(next, path.slice(0, depth + 1), 1) : next;
}
