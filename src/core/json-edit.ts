/**
 * Text-preserving edits of a strict-JSON settings text with jsonc-parser: untouched bytes stay as they
 * were, new text follows the file's own indentation and line endings.
 */
import { applyEdits, modify, parseTree, findNodeAtLocation } from 'jsonc-parser';
import type { TextFormat } from './json-text.js';

const opts = (fmt: TextFormat) => ({
  formattingOptions: { insertSpaces: fmt.insertSpaces, tabSize: fmt.tabSize, eol: fmt.eol },
});

/** Removes every occurrence of a property path, duplicates included (JSON.parse keeps the last one). */
export function removePath(text: string, path: readonly string[], fmt: TextFormat): string {
  let cur = text;
  for (let guard = 0; guard < 10_000; guard++) {
    const tree = parseTree(cur);
    if (!tree || !findNodeAtLocation(tree, [...path])) return cur;
    const next = applyEdits(cur, modify(cur, [...path], undefined, opts(fmt)));
    if (next === cur) return cur;
    cur = next;
  }
  return cur;
}

/** Sets a property path to a value (replacing every duplicate of it first, so the result is unambiguous). */
export function setPath(text: string, path: readonly string[], value: unknown, fmt: TextFormat): string {
  const tree = parseTree(text);
  let cur = text;
  if (tree && countOccurrences(text, path) > 1) cur = removePath(cur, path, fmt);
  return applyEdits(cur, modify(cur, [...path], value, opts(fmt)));
}

function countOccurrences(text: string, path: readonly string[]): number {
  const tree = parseTree(text);
  if (!tree) return 0;
  const parent = path.length > 1 ? findNodeAtLocation(tree, [...path.slice(0, -1)]) : tree;
  if (!parent || parent.type !== 'object' || !parent.children) return 0;
  const key = path[path.length - 1];
  return parent.children.filter((p) => p.children?.[0]?.value === key).length;
}
