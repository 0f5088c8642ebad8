/**
 * One generation file of the backup store (layout: see backups.ts): its name `gen-<seq>.json`, its text
 * (`serialize`: one entry per line) and reading it back (`readGeneration`): only a regular file owned by
 * this process's uid, opened without following a symlink or blocking on a FIFO, whose JSON has the format
 * tag, a boolean `full` and well-formed entries (each a BackupEntry plus its `text`) is a generation;
 * anything else reads as null. `signature` is the lstat identity a reader caches a parsed file by.
 */
import fs from 'node:fs';
import type { BackupEntry } from './backups.js';
import type { Stored } from './backup-index.js';
import { O_NOFOLLOW } from './fs-safety.js';

export interface Generation {
  full: boolean;
  entries: Stored[];
}

const FORMAT = 'ccfleet-backups/1';
export const GEN = /^gen-(\d{1,15})\.json$/;
/** Highest generation number GEN can name. */
export const MAX_SEQ = 999_999_999_999_999;
export const ID = /^(\d{6,})-[0-9a-f]{12}$/;

export const genName = (seq: number): string => `gen-${String(seq).padStart(9, '0')}.json`;
const nullableInt = (v: unknown): v is number | null => v === null || Number.isInteger(v);

export function serialize(full: boolean, entries: readonly Stored[]): string {
  const lines = entries.map(({ entry: e, text }) =>
    JSON.stringify({ id: e.id, path: e.path, createdAt: e.createdAt, sha256: e.sha256, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, text }),
  );
  return `{"format":"${FORMAT}","full":${full},"entries":[\n${lines.join(',\n')}\n]}\n`;
}

const sigOf = (st: fs.Stats): string => `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}:${st.uid}`;

/** lstat signature of a generation file (null when it vanished): a changed file is read again. */
export function signature(file: string): string | null {
  try {
    return sigOf(fs.lstatSync(file));
  } catch {
    return null;
  }
}

/** Reads and validates one generation; `gen` is null for anything that is not a valid one of ours. */
export function readGeneration(file: string, seq: number): { sig: string; gen: Generation | null } {
  let fd: number;
  try {
    // Non-blocking: a FIFO planted under a generation's name must not hang the reader (it is then skipped).
    fd = fs.openSync(file, fs.constants.O_RDONLY | O_NOFOLLOW | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return { sig: signature(file) ?? '', gen: null };
  }
  try {
    const st = fs.fstatSync(fd);
    const uid = process.platform === 'win32' ? undefined : process.getuid?.();
    if (!st.isFile() || (uid !== undefined && st.uid !== uid)) return { sig: sigOf(st), gen: null };
    return { sig: sigOf(st), gen: parseGeneration(fs.readFileSync(fd, 'utf8'), seq) };
  } catch {
    return { sig: '', gen: null };
  } finally {
    fs.closeSync(fd);
  }
}

function parseGeneration(raw: string, seq: number): Generation | null {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  const d = doc as Record<string, unknown>;
  if (d.format !== FORMAT || typeof d.full !== 'boolean' || !Array.isArray(d.entries)) return null;
  const entries: Stored[] = [];
  for (const v of d.entries) {
    const s = asStored(v, seq, entries.length);
    if (!s) return null;
    entries.push(s);
  }
  return { full: d.full, entries };
}

function asStored(v: unknown, gen: number, index: number): Stored | null {
  if (typeof v !== 'object' || v === null) return null;
  const e = v as Record<string, unknown>;
  const ok =
    typeof e.id === 'string' && ID.test(e.id) && typeof e.path === 'string' && typeof e.createdAt === 'string' &&
    typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256) && Number.isInteger(e.mode) &&
    nullableInt(e.uid) && nullableInt(e.gid) && Number.isInteger(e.size) && typeof e.text === 'string';
  if (!ok) return null;
  const entry: BackupEntry = {
    id: e.id as string, path: e.path as string, createdAt: e.createdAt as string, sha256: e.sha256 as string,
    mode: e.mode as number, uid: e.uid as number | null, gid: e.gid as number | null, size: e.size as number,
  };
  return { entry, text: e.text as string, seq: Number(ID.exec(entry.id)![1]), gen, index };
}
