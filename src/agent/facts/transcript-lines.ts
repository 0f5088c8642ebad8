/**
 * Model uses in the tail of one Claude Code transcript (`<session>.jsonl`), one JSON value per line.
 *
 * The format is internal and changes between releases, so every line is judged on its own and anything
 * unexpected is skipped: a partial or garbage line, a non-assistant line, a `<synthetic>` model, an id that
 * is not a short string. Only four fields are kept — `message.model`, `requestedModel` (without `[1m]`),
 * `timestamp` and `cwd`. A line is parsed whole (it is one JSON value), but message content is never kept,
 * returned or logged: the parsed object is dropped as soon as those fields are read.
 */
import { isObject } from '../../core/json-text.js';
import { stripOneM } from '../../core/model.js';

export interface LineUse {
  served: string;
  requested: string | null;
  /** Epoch ms of the line's `timestamp` (the file's mtime when the line has none that parses). */
  atMs: number;
  cwd: string | null;
}

/** Longest model id kept; a longer value is not a model id. */
const MAX_ID = 256;
/** Longest `cwd` kept (a longer one becomes null). */
const MAX_CWD = 4096;
const SYNTHETIC = '<synthetic>';

const modelId = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  const id = stripOneM(v.trim());
  return id !== '' && id.length <= MAX_ID && id !== SYNTHETIC ? id : null;
};

/** One line → a use, or null when the line is not an assistant turn with a real model. */
export function useOfLine(line: string, fallbackMs: number): LineUse | null {
  // Cheap filter before parsing: most lines of a transcript (tool results, snapshots) are not assistant turns.
  if (!line.includes('"assistant"')) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObject(v) || v.type !== 'assistant' || !isObject(v.message)) return null;
  const served = modelId(v.message.model);
  if (served === null) return null;
  const ts = typeof v.timestamp === 'string' ? Date.parse(v.timestamp) : Number.NaN;
  const cwd = typeof v.cwd === 'string' && v.cwd !== '' && v.cwd.length <= MAX_CWD ? v.cwd : null;
  return { served, requested: modelId(v.requestedModel), atMs: Number.isFinite(ts) ? ts : fallbackMs, cwd };
}

/**
 * The uses in a tail, one per (served, requested) pair keeping the newest line. `partialFirst` says the text
 * starts mid-file: its first line is cut and dropped. A cut last line (a session still writing) fails to
 * parse and is skipped like any other bad line.
 */
export function usesInTail(text: string, partialFirst: boolean, fallbackMs: number): LineUse[] {
  const lines = text.split('\n');
  if (partialFirst) lines.shift();
  const byPair = new Map<string, LineUse>();
  for (const line of lines) {
    const use = useOfLine(line, fallbackMs);
    if (!use) continue;
    const key = `${use.served}\u0000${use.requested ?? ''}`;
    const seen = byPair.get(key);
    if (!seen || use.atMs >= seen.atMs) byPair.set(key, use);
  }
  return [...byPair.values()];
}
