/** Checks an entry list before it is written: one entry per path, every parent a folder in the list. */
import { BomError } from './errors.js';
import type { BomEntry } from './types.js';

const U32 = 0xffffffff;

function bad(message: string): never {
  throw new BomError('BOM_BAD_ENTRY', message);
}

export function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

export function baseName(path: string): string {
  return path === '.' ? '.' : path.slice(path.lastIndexOf('/') + 1);
}

function checkPath(path: string): void {
  if (path === '.') return;
  if (!path.startsWith('./')) bad(`path ${JSON.stringify(path)} must be "." or start with "./"`);
  for (const part of path.slice(2).split('/')) {
    if (part === '' || part === '.' || part === '..') bad(`path ${JSON.stringify(path)} has an empty, "." or ".." component`);
    if (part.includes('\0')) bad(`path ${JSON.stringify(path)} contains NUL`);
  }
}

function checkU32(value: number, what: string, path: string): void {
  if (!Number.isInteger(value) || value < 0 || value > U32) bad(`${path}: ${what} ${value} is not a 32-bit unsigned integer`);
}

/** Returns the entries keyed by path; throws BOM_BAD_ENTRY on the first problem. */
export function validateEntries(entries: readonly BomEntry[]): Map<string, BomEntry> {
  const byPath = new Map<string, BomEntry>();
  for (const e of entries) {
    checkPath(e.path);
    if (byPath.has(e.path)) bad(`path ${e.path} appears twice`);
    if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777) bad(`${e.path}: mode ${e.mode} is not a permission mode (0..07777)`);
    checkU32(e.uid, 'uid', e.path);
    checkU32(e.gid, 'gid', e.path);
    checkU32(e.mtime, 'mtime', e.path);
    checkU32(e.size, 'size', e.path);
    checkU32(e.checksum, 'checksum', e.path);
    if (e.type === 'symlink') {
      if (!e.target) bad(`${e.path}: a symlink needs a target`);
      if (e.target.includes('\0')) bad(`${e.path}: symlink target contains NUL`);
    } else if (e.target !== undefined) {
      bad(`${e.path}: only a symlink has a target`);
    }
    if (e.type === 'dir' && (e.size !== 0 || e.checksum !== 0)) bad(`${e.path}: a folder has size and checksum 0`);
    byPath.set(e.path, e);
  }
  const root = byPath.get('.');
  if (!root || root.type !== 'dir') bad('the entry list needs the root folder "."');
  for (const e of byPath.values()) {
    if (e.path === '.') continue;
    const parent = byPath.get(parentOf(e.path));
    if (!parent) bad(`${e.path}: parent folder ${parentOf(e.path)} is not in the list`);
    if (parent.type !== 'dir') bad(`${e.path}: parent ${parent.path} is not a folder`);
  }
  return byPath;
}
