/**
 * Claude Code's merge of settings levels: scalars go to the highest level that sets them, arrays
 * concatenate, objects (such as `env`) merge per key.
 */
import { isObject } from './json-text.js';
import type { JsonObject } from './types.js';

export function mergeSettings(lower: JsonObject, higher: JsonObject): JsonObject {
  const out: JsonObject = { ...lower };
  for (const [key, value] of Object.entries(higher)) {
    const prev = out[key];
    if (Array.isArray(prev) && Array.isArray(value)) out[key] = [...prev, ...value];
    else if (isObject(prev) && isObject(value)) out[key] = mergeSettings(prev, value);
    else out[key] = value;
  }
  return out;
}

/** Reads a dotted path ("env.ANTHROPIC_MODEL") from a settings object. */
export function getPath(obj: unknown, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const part of path) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export const hasPath = (obj: unknown, path: readonly string[]): boolean => {
  if (path.length === 0) return false;
  const parent = getPath(obj, path.slice(0, -1));
  return isObject(parent) && Object.prototype.hasOwnProperty.call(parent, path[path.length - 1]!);
};

export const splitKey = (key: string): string[] => key.split('.');
