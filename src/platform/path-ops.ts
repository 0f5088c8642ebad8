/**
 * PathOps for POSIX and Windows machines, usable on any host (node:path's posix/win32 are pure), and
 * the canonical form of a project key from `.claude.json` on each.
 */
import path from 'node:path';
import type { PathOps } from './types.js';

export const posixPath: PathOps = {
  sep: '/',
  join: (...p) => path.posix.join(...p),
  dirname: (p) => path.posix.dirname(p),
  basename: (p) => path.posix.basename(p),
  isAbsolute: (p) => path.posix.isAbsolute(p),
  normalize: (p) => path.posix.normalize(p),
};

export const winPath: PathOps = {
  sep: '\\',
  join: (...p) => path.win32.join(...p),
  dirname: (p) => path.win32.dirname(p),
  basename: (p) => path.win32.basename(p),
  isAbsolute: (p) => /^[A-Za-z]:[\\/]/.test(p),
  normalize: (p) => path.win32.normalize(p),
};

/** An absolute POSIX path, normalised (`.`/`..`/`//` folded), without a trailing slash; else null. */
export function canonicalPosixPath(key: string): string | null {
  if (!key.startsWith('/') || key.includes('\0')) return null;
  return path.posix.normalize(key).replace(/(.)\/+$/, '$1');
}

/**
 * An absolute Windows path in one form: upper-case drive letter, backslashes, `.`/`..` folded, no
 * trailing backslash (except the drive root `C:\`). `c:/Users/a/p/` and `C:\Users\a\p` are the same.
 * The rest of the path keeps its case (the disk decides whether case matters).
 * The extended-length prefix of a local path (`\\?\C:\x`, `\\.\C:\x`) is dropped.
 * Rejected (null): relative (`p`), drive-relative (`C:p`), rooted without a drive (`\p`), and UNC
 * (`\\server\share\p`, `\\?\UNC\...`): a share is another machine's disk, managed there, not
 * reachable by an agent running as SYSTEM (its network identity is the computer account), and it
 * has no place under `--root`.
 */
export function canonicalWinPath(key: string): string | null {
  if (key.includes('\0')) return null;
  const extended = /^[\\/]{2}[?.][\\/]([A-Za-z]:[\\/].*)$/.exec(key);
  const p = extended ? extended[1]! : key;
  if (!/^[A-Za-z]:[\\/]/.test(p)) return null;
  const n = path.win32.normalize(p.replace(/\//g, '\\')).replace(/\\+$/, '');
  const out = n.charAt(0).toUpperCase() + n.slice(1);
  return out.length === 2 ? `${out}\\` : out;
}
