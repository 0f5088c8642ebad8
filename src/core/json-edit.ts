/**
 * Minimal, text-preserving edits of a strict-JSON settings text. Only the bytes of the property being
 * removed, replaced or inserted change: every other byte (indentation, line endings, a minified line, the
 * order of keys) stays as it was. New text follows the file's own indentation and line endings.
 * Paths follow JSON.parse semantics: when a key is duplicated, the last occurrence is the one that counts
 * (an earlier, shadowed duplicate of a parent object is left as it is). Removing a key removes every
 * duplicate of it in its object; a key that is set ends up exactly once in its object.
 */
import { parseTree, type Node } from 'jsonc-parser';
import type { TextFormat } from './json-text.js';

interface Splice {
  offset: number;
  length: number;
  content: string;
}

const splice = (text: string, s: Splice): string => text.slice(0, s.offset) + s.content + text.slice(s.offset + s.length);
const end = (n: Node): number => n.offset + n.length;

/** The property nodes of `key` in an object node, in text order. */
function propsOf(obj: Node, key: string): Node[] {
  return (obj.children ?? []).filter((p) => p.type === 'property' && p.children?.[0]?.value === key);
}

/** The node JSON.parse would read at `path` (the last duplicate at every level), if any. */
function effectiveNode(root: Node, path: readonly string[]): Node | undefined {
  let cur: Node = root;
  for (const seg of path) {
    if (cur.type !== 'object') return undefined;
    const value = propsOf(cur, seg).at(-1)?.children?.[1];
    if (!value) return undefined;
    cur = value;
  }
  return cur;
}

/** Removing one property: its text and exactly one separating comma, nothing else. */
function removalOf(parent: Node, prop: Node): Splice {
  const siblings = parent.children ?? [];
  const i = siblings.indexOf(prop);
  if (siblings.length === 1) return { offset: parent.offset + 1, length: parent.length - 2, content: '' };
  if (i > 0) {
    const prev = siblings[i - 1]!;
    return { offset: end(prev), length: end(prop) - end(prev), content: '' };
  }
  const next = siblings[1]!;
  return { offset: prop.offset, length: next.offset - prop.offset, content: '' };
}

/** Removes every occurrence of a property path, duplicates included; unchanged text when it is absent. */
export function removePath(text: string, path: readonly string[], _fmt?: TextFormat): string {
  if (path.length === 0) return text;
  let cur = text;
  for (let guard = 0; guard < 100_000; guard++) {
    const root = parseTree(cur);
    const parent = root && effectiveNode(root, path.slice(0, -1));
    if (!parent || parent.type !== 'object') return cur;
    const prop = propsOf(parent, path[path.length - 1]!)[0];
    if (!prop) return cur;
    cur = splice(cur, removalOf(parent, prop));
  }
  return cur;
}

/** The leading whitespace of the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const start = Math.max(text.lastIndexOf('\n', offset - 1) + 1, 0);
  return /^[ \t]*/.exec(text.slice(start, offset))![0];
}

/** A value as JSON text in the file's style, continuation lines indented from `indent`. */
function render(value: unknown, fmt: TextFormat, indent: string, multiline: boolean): string {
  if (!multiline) return JSON.stringify(value);
  const unit = fmt.insertSpaces ? ' '.repeat(fmt.tabSize) : '\t';
  return JSON.stringify(value, null, unit).replace(/\n/g, fmt.eol + indent);
}

const isMultiline = (text: string, from: number, to: number): boolean => text.slice(from, to).includes('\n');

/** Whether an object's properties put a space between `:` and the value (`"a": 1` rather than `"a":1`). */
function spacedColon(text: string, obj: Node): boolean {
  const first = obj.children?.[0];
  const k = first?.children?.[0];
  const v = first?.children?.[1];
  return k && v ? /\s/.test(text.slice(end(k), v.offset)) : true;
}

/** Inserting `"key": value` as the last property of an object node. */
function insertionOf(text: string, parent: Node, key: string, value: unknown, fmt: TextFormat): Splice {
  const siblings = parent.children ?? [];
  const unit = fmt.insertSpaces ? ' '.repeat(fmt.tabSize) : '\t';
  const last = siblings.at(-1);
  // The object that holds this one (if any): a one-line container keeps its new content on that line.
  const container = parent.parent?.parent;
  const oneLine = (n: Node) => !isMultiline(text, n.offset, end(n));
  if (!last) {
    if (container && container.type === 'object' && oneLine(container)) {
      const sep = spacedColon(text, container) ? ' ' : '';
      return { offset: parent.offset + 1, length: parent.length - 2, content: `${JSON.stringify(key)}:${sep}${JSON.stringify(value)}` };
    }
    // An empty object: open it up on its own lines (a root `{}` becomes a normal settings file).
    const outer = lineIndent(text, parent.offset);
    const inner = outer + unit;
    const prop = `${JSON.stringify(key)}: ${render(value, fmt, inner, true)}`;
    return { offset: parent.offset + 1, length: parent.length - 2, content: `${fmt.eol}${inner}${prop}${fmt.eol}${outer}` };
  }
  if (isMultiline(text, parent.offset, siblings[0]!.offset)) {
    const indent = lineIndent(text, last.offset);
    const prop = `${JSON.stringify(key)}: ${render(value, fmt, indent, true)}`;
    return { offset: end(last), length: 0, content: `,${fmt.eol}${indent}${prop}` };
  }
  // Properties on one line (a minified file): stay on that line, in the same spacing.
  const sep = spacedColon(text, parent) ? ' ' : '';
  return { offset: end(last), length: 0, content: `,${sep}${JSON.stringify(key)}:${sep}${JSON.stringify(value)}` };
}

/**
 * Sets a property path to a value. Missing objects on the way are created; a non-object on the way is
 * replaced by an object. Earlier duplicates of the key are removed so the result is unambiguous.
 */
export function setPath(text: string, path: readonly string[], value: unknown, fmt: TextFormat): string {
  if (path.length === 0) return text;
  const key = path[path.length - 1]!;
  const root = parseTree(text);
  if (!root) return text;
  // The deepest object on the path that exists; what is missing below it is built as a nested value.
  let depth = path.length - 1;
  let parent = effectiveNode(root, path.slice(0, depth));
  while (depth > 0 && (!parent || parent.type !== 'object')) {
    depth--;
    parent = effectiveNode(root, path.slice(0, depth));
  }
  if (!parent || parent.type !== 'object') return text;
  let nested: unknown = value;
  for (let i = path.length - 1; i > depth; i--) nested = { [path[i]!]: nested };
  const name = path[depth]!;
  const existing = propsOf(parent, name);
  const target = existing.at(-1);
  if (!target) return splice(text, insertionOf(text, parent, name, nested, fmt));
  const old = target.children?.[1];
  if (!old) return text;
  const multiline = isMultiline(text, parent.offset, end(parent));
  let next = splice(text, { offset: old.offset, length: old.length, content: render(nested, fmt, lineIndent(text, target.offset), multiline) });
  if (existing.length > 1) next = removeEarlierDuplicates(next, path.slice(0, depth + 1));
  return next;
}

/** Removes every occurrence of the last key of `path` except the last one (the one JSON.parse keeps). */
function removeEarlierDuplicates(text: string, path: readonly string[]): string {
  let cur = text;
  for (let guard = 0; guard < 100_000; guard++) {
    const root = parseTree(cur);
    const parent = root && effectiveNode(root, path.slice(0, -1));
    if (!parent || parent.type !== 'object') return cur;
    const props = propsOf(parent, path[path.length - 1]!);
    if (props.length < 2) return cur;
    cur = splice(cur, removalOf(parent, props[0]!));
  }
  return cur;
}
