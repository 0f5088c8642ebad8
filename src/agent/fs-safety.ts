/**
 * Read-side safety of a file ccfleet may write, often as root inside a user's home.
 *
 * `inspectFile(hostPath, { trustedAncestor, owner })` never throws on I/O and reports:
 * - `exists` / `stat`: the lstat of the file itself (`mode` is the raw st_mode); absent (ENOENT/ENOTDIR
 *   anywhere on the way) is `exists: false`, not an error.
 * - `unsafe`: blocking findings on the file and on every folder strictly below `trustedAncestor`:
 *   `symlink` (never written through), `hardlink` (nlink > 1: writing would change another name too),
 *   `not-regular` (a FIFO, device, folder... where a file should be) and `foreign-owner`.
 *   Ownership is strict: with an `owner`, anything whose uid is not `owner.uid` is foreign — root-owned
 *   included, because a root-owned `~/.claude` or settings file in a user's home is not something Claude
 *   Code made, and it is exactly what a symlink/ownership attack plants. The gid is not compared
 *   (shared groups are normal). `owner: null` (not root, unknown owner) and Windows skip ownership.
 * - `text`: what Claude Code would read, following symlinks like it does; null when absent, not a
 *   regular file (FIFOs and devices are opened non-blocking and never read), or not readable by the
 *   owner. "Readable by the owner" is approximated from the mode bits (owner uid, owner's primary gid +
 *   group bit, or the world bit; ACLs and supplementary groups are ignored) so a root daemon never reads
 *   another user's private file on a user's behalf through a planted symlink.
 * - `error`: an I/O failure other than "absent" (EACCES, EIO, ELOOP from a race...), or a file over
 *   `maxBytes` (default 16 MiB): the caller reports state `error`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CcfleetError } from '../core/errors.js';
import type { Finding } from '../core/types.js';
import type { TextCache } from './inspect-cache.js';

export type Owner = { uid: number; gid: number };

export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  ino: number;
  size: number;
  nlink: number;
}

export interface Inspection {
  exists: boolean;
  text: string | null;
  unsafe: Finding[];
  stat: FileStat | null;
  error?: string;
}

export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

const C = fs.constants;
export const O_NOFOLLOW: number = C.O_NOFOLLOW ?? 0;
const O_NONBLOCK: number = C.O_NONBLOCK ?? 0;

/** Ownership is meaningless on Windows (st_uid is always 0): the owner is ignored there. */
export const effectiveOwner = (owner: Owner | null): Owner | null => (process.platform === 'win32' ? null : owner);

/**
 * The folders strictly below `trustedAncestor` down to the file's own folder, outermost first; null when
 * the file is not below the ancestor (a caller bug).
 */
export function foldersBetween(trustedAncestor: string, hostPath: string): string[] | null {
  const anc = path.resolve(trustedAncestor);
  const file = path.resolve(hostPath);
  const rel = path.relative(anc, path.dirname(file));
  if (file === anc || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null;
  const out: string[] = [];
  let cur = anc;
  for (const part of rel === '' ? [] : rel.split(path.sep)) {
    cur = path.join(cur, part);
    out.push(cur);
  }
  return out;
}

const finding = (code: string, message: string): Finding => ({ code, message, blocking: true });

/** Findings for one folder on the way to the file. */
export function checkFolder(st: fs.Stats, where: string, owner: Owner | null): Finding[] {
  if (st.isSymbolicLink()) return [finding('symlink', `folder ${where} is a symbolic link`)];
  if (!st.isDirectory()) return [finding('not-regular', `${where} is not a folder`)];
  if (owner && st.uid !== owner.uid) return [finding('foreign-owner', `folder ${where} is owned by uid ${st.uid}, not ${owner.uid}`)];
  return [];
}

/** Findings for the file itself (given its lstat). */
export function checkFile(st: fs.Stats, where: string, owner: Owner | null): Finding[] {
  if (st.isSymbolicLink()) return [finding('symlink', `${where} is a symbolic link`)];
  if (!st.isFile()) return [finding('not-regular', `${where} is not a regular file`)];
  const out: Finding[] = [];
  if (st.nlink > 1) out.push(finding('hardlink', `${where} has ${st.nlink} hard links`));
  if (owner && st.uid !== owner.uid) out.push(finding('foreign-owner', `${where} is owned by uid ${st.uid}, not ${owner.uid}`));
  return out;
}

export const toFileStat = (st: fs.Stats): FileStat => ({
  mode: st.mode,
  uid: st.uid,
  gid: st.gid,
  mtimeMs: st.mtimeMs,
  ino: st.ino,
  size: st.size,
  nlink: st.nlink,
});

export const isAbsent = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

export const describeError = (op: string, where: string, e: unknown): string => {
  const err = e as NodeJS.ErrnoException | null;
  return `${op} ${where}: ${err?.code ?? err?.message ?? String(e)}`;
};

export function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if (isAbsent(e)) return null;
    throw e;
  }
}

function readableBy(st: fs.Stats, owner: Owner | null): boolean {
  if (!owner || st.uid === owner.uid) return true;
  if (st.gid === owner.gid && (st.mode & 0o040) !== 0) return true;
  return (st.mode & 0o004) !== 0;
}

type ReadOutcome = { text: string | null } | { error: string };

function readText(hostPath: string, follow: boolean, owner: Owner | null, maxBytes: number): ReadOutcome {
  let fd: number;
  try {
    fd = fs.openSync(hostPath, C.O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  } catch (e) {
    // A dangling symlink reads as nothing, exactly as Claude Code sees it.
    if (isAbsent(e)) return { text: null };
    return { error: describeError('open', hostPath, e) };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || !readableBy(st, owner)) return { text: null };
    if (st.size > maxBytes) return { error: `${hostPath} is ${st.size} bytes, over the ${maxBytes}-byte limit` };
    const buf = fs.readFileSync(fd);
    if (buf.length > maxBytes) return { error: `${hostPath} grew over the ${maxBytes}-byte limit while being read` };
    return { text: buf.toString('utf8') };
  } catch (e) {
    return { error: describeError('read', hostPath, e) };
  } finally {
    fs.closeSync(fd);
  }
}

export function inspectFile(
  hostPath: string,
  opts: {
    trustedAncestor: string;
    owner: Owner | null;
    maxBytes?: number;
    /** lstat results of folders shared by the files of one pass (e.g. a project's `.claude`); advisory only, the writer re-checks. */
    folderCache?: Map<string, fs.Stats | null>;
    /** Texts remembered by identity (long-running agents): an unchanged plain file is not re-read. */
    textCache?: TextCache;
  },
): Inspection {
  const folders = foldersBetween(opts.trustedAncestor, hostPath);
  if (folders === null) {
    throw new CcfleetError('INTERNAL', `${hostPath} is not below its trusted folder ${opts.trustedAncestor}`);
  }
  const owner = effectiveOwner(opts.owner);
  const unsafe: Finding[] = [];
  const absent = (): Inspection => ({ exists: false, text: null, unsafe, stat: null });
  let throughSymlink = false;
  for (const dir of folders) {
    let st: fs.Stats | null;
    try {
      const cached = opts.folderCache?.get(dir);
      st = cached !== undefined ? cached : lstatOrNull(dir);
      opts.folderCache?.set(dir, st);
    } catch (e) {
      return { ...absent(), error: describeError('lstat', dir, e) };
    }
    if (st === null) return absent();
    unsafe.push(...checkFolder(st, dir, owner));
    if (st.isSymbolicLink()) throughSymlink = true;
    else if (!st.isDirectory()) return absent();
  }
  if (opts.textCache) {
    const st = fs.lstatSync(hostPath, { throwIfNoEntry: false });
    const text = st && st.isFile() ? opts.textCache.get(hostPath, st) : undefined;
    if (st && text !== undefined) return { exists: true, text, unsafe: [...unsafe, ...checkFile(st, hostPath, owner)], stat: toFileStat(st) };
  }
  const fast = O_NOFOLLOW !== 0 ? inspectOpenFirst(hostPath, owner, opts.maxBytes ?? DEFAULT_MAX_BYTES, unsafe, opts.textCache) : null;
  if (fast) return fast;
  let st: fs.Stats | null;
  try {
    st = lstatOrNull(hostPath);
  } catch (e) {
    return { ...absent(), error: describeError('lstat', hostPath, e) };
  }
  if (st === null) return absent();
  unsafe.push(...checkFile(st, hostPath, owner));
  const stat = toFileStat(st);
  if (!st.isSymbolicLink() && !st.isFile()) return { exists: true, text: null, unsafe, stat };
  const read = readText(hostPath, throughSymlink || st.isSymbolicLink(), owner, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  if ('error' in read) return { exists: true, text: null, unsafe, stat, error: read.error };
  return { exists: true, text: read.text, unsafe, stat };
}

/**
 * The common case in fewer system calls (a machine has tens of thousands of settings files): open the file
 * itself without following a final symlink, and take the lstat facts from fstat of that descriptor.
 * Returns null when the slow path must decide (the file is a symlink: ELOOP), with identical results
 * otherwise. Folders on the way were checked by the caller.
 */
function inspectOpenFirst(hostPath: string, owner: Owner | null, maxBytes: number, folderFindings: Finding[], textCache?: TextCache): Inspection | null {
  const unsafe = [...folderFindings];
  let fd: number;
  try {
    fd = fs.openSync(hostPath, C.O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
  } catch (e) {
    if (isAbsent(e)) return { exists: false, text: null, unsafe, stat: null };
    return null; // ELOOP (a symlink), EACCES...: the slow path reports it exactly
  }
  try {
    const st = fs.fstatSync(fd);
    unsafe.push(...checkFile(st, hostPath, owner));
    const stat = toFileStat(st);
    if (!st.isFile() || !readableBy(st, owner)) return { exists: true, text: null, unsafe, stat };
    // (a non-regular file is reported by checkFile as not-regular, as the slow path does)
    if (st.size > maxBytes) return { exists: true, text: null, unsafe, stat, error: `${hostPath} is ${st.size} bytes, over the ${maxBytes}-byte limit` };
    const buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) return null; // grew while we read: the slow path reads to the end
    }
    const text = buf.toString('utf8', 0, n);
    textCache?.put(hostPath, st, text);
    return { exists: true, text, unsafe, stat };
  } catch (e) {
    return { exists: true, text: null, unsafe, stat: null, error: describeError('read', hostPath, e) };
  } finally {
    fs.closeSync(fd);
  }
}
