/**
 * One safe write, in this process with this process's rights, split in two so a batch can fsync many
 * temp files at once (write-in-process.ts drives it). Contract, in order:
 * `prepareWrite`:
 * 1. every folder below `trustedAncestor` is a real folder owned by `owner` (missing ones are created:
 *    mode 0700 at first, then chown + chmod through a no-follow descriptor, so nobody slips in between);
 * 2. stale temp files of our naming beside the target are removed (a killed writer's leftovers);
 * 3. the target is absent or a regular file with one link owned by `owner`, and it is exactly the file
 *    the plan was made on (`expected`: ino, size, mtime), else `unsafe` / `changed` and nothing is written;
 * 4. write: temp file beside it (O_CREAT|O_EXCL|O_NOFOLLOW, 0600), write, chown (root: the old file's
 *    uid/gid, or `owner` for a new file; not root: keep the old group when allowed, see keepGroup), chmod
 *    to the preserved or creation mode → a PendingWrite, descriptor open;
 *    delete: same checks, unlink, lstat → final.
 * The driver then fsyncs the pending temp file (never skipped: it is what makes the rename crash-safe) and
 * `commitWrite` closes it, re-checks the target, renames over it, then re-reads through O_NOFOLLOW and
 * compares inode, mode and every byte (mismatch → `io`). `discardWrite` removes a pending temp file.
 * Folder fsyncs (after a mkdir, rename or unlink) are handed to `syncs` under the request's index; the
 * driver flushes them before it returns. On any failure the temp file is removed. Never throws.
 * Windows: no ownership, no folder fsync, O_NOFOLLOW absent (lstat checks remain).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../core/types.js';
import { checkFile, checkFolder, effectiveOwner, foldersBetween, lstatOrNull, O_NOFOLLOW, type Owner } from './fs-safety.js';
import { errorCode, type FolderSyncs } from './fsync.js';
import { removeStaleTemps, tempNameFor } from './temp-files.js';
import { DEFAULT_DIR_MODE, type WriteRequest, type WriteResult } from './write-types.js';

const C = fs.constants;
const O_DIRECTORY: number = C.O_DIRECTORY ?? 0;
const O_NONBLOCK: number = C.O_NONBLOCK ?? 0;
const isWindows = process.platform === 'win32';
const S_ISGID = 0o2000;

export interface PendingWrite {
  hostPath: string;
  target: string;
  tmp: string;
  /** Open until commitWrite / discardWrite. */
  fd: number | null;
  /** The target as checked before the temp file was made (null: absent). */
  cur: fs.Stats | null;
  data: Buffer;
  mode: number;
  tmpIno: number;
}

export type Prepared = { done: WriteResult } | { pending: PendingWrite };

const OK: WriteResult = { ok: true };
const unsafe = (findings: Finding[]): WriteResult => ({
  ok: false,
  code: 'unsafe',
  message: findings.map((f) => f.message ?? f.code).join('; '),
  findings,
});
const changed = (message: string): WriteResult => ({ ok: false, code: 'changed', message });
export const ioResult = (message: string): WriteResult => ({ ok: false, code: 'io', message });

type At = (step: string) => void;

export function prepareWrite(req: WriteRequest, syncs: FolderSyncs, index: number): Prepared {
  let step = 'prepare';
  try {
    return prepare(req, syncs, index, (s) => (step = s));
  } catch (e) {
    return { done: ioResult(`${req.hostPath}: ${step} failed: ${errorCode(e)}`) };
  }
}

export function commitWrite(p: PendingWrite, syncs: FolderSyncs, index: number): WriteResult {
  let step = 'close temp file';
  let renamed = false;
  try {
    fs.closeSync(p.fd!);
    p.fd = null;
    // Last look before the rename: still safe, still the file the plan was made on.
    step = 're-check';
    const now = lstatOrNull(p.target);
    if (now) {
      const bad = checkFile(now, p.target, null);
      if (bad.length > 0) return unsafe(bad);
    }
    const why = differs(now, p.cur ? { ino: p.cur.ino, size: p.cur.size, mtimeMs: p.cur.mtimeMs } : null);
    if (why) return changed(why);
    step = 'rename';
    fs.renameSync(p.tmp, p.target);
    renamed = true;
    syncs.add(path.dirname(p.target), index);
    step = 'verify';
    return verify(p.target, p.data, p.tmpIno, p.mode);
  } catch (e) {
    // The folder deleted under us (a user's rm -rf of the project: our temp file went with it) — a change
    // since the plan, not a failure; the re-plan finds nothing left to write.
    if (step === 'rename' && errorCode(e) === 'ENOENT') return changed(`${p.hostPath}: its folder was deleted while writing`);
    // Deleted (or a symlink put in its place: ELOOP) by someone else between our rename and the check.
    if (step === 'verify' && (errorCode(e) === 'ENOENT' || errorCode(e) === 'ELOOP')) return changed(`${p.hostPath}: replaced by another writer right after the rename (${errorCode(e)})`);
    return ioResult(`${p.hostPath}: ${step} failed: ${errorCode(e)}`);
  } finally {
    if (!renamed) discardWrite(p);
  }
}

/** Closes and removes a pending temp file (the write is abandoned). Never throws. */
export function discardWrite(p: PendingWrite): void {
  if (p.fd !== null) {
    try {
      fs.closeSync(p.fd);
    } catch {
      // Nothing more to do with it.
    }
    p.fd = null;
  }
  try {
    fs.unlinkSync(p.tmp);
  } catch {
    // Already gone.
  }
}

function prepare(req: WriteRequest, syncs: FolderSyncs, index: number, at: At): Prepared {
  const done = (r: WriteResult): Prepared => ({ done: r });
  const folders = foldersBetween(req.trustedAncestor, req.hostPath);
  if (folders === null) {
    return done(unsafe([{ code: 'outside-trusted', message: `${req.hostPath} is not below ${req.trustedAncestor}`, blocking: true }]));
  }
  const owner = effectiveOwner(req.owner);
  const myUid = process.getuid?.();
  const asRoot = myUid === 0;
  if (owner && myUid !== undefined && !asRoot && owner.uid !== myUid) {
    return done(unsafe([{ code: 'foreign-owner', message: `cannot write a file for uid ${owner.uid} while running as uid ${myUid}`, blocking: true }]));
  }
  at('stat trusted folder');
  const anchor = fs.statSync(req.trustedAncestor, { throwIfNoEntry: false });
  // The folder went away since the file was planned (a project deleted while a daemon pass ran): the plan is
  // stale, like a file changed under us — re-inspected and re-planned by the caller, never an error.
  if (!anchor) return done(req.text === null && req.expected === null ? OK : changed(`${req.trustedAncestor} is gone`));
  if (!anchor.isDirectory()) return done(ioResult(`${req.trustedAncestor} is not a folder`));

  for (const dir of folders) {
    at(`lstat ${dir}`);
    let st = lstatOrNull(dir);
    if (st === null) {
      if (req.text === null) return done(req.expected === null ? OK : changed(`${req.hostPath} is gone`));
      // A rewrite of a file that existed when planned: its folder was deleted since (a user's `rm -rf`). Never
      // re-create it — the plan is stale (re-inspected and re-planned by the caller).
      if (req.expected !== null) return done(changed(`${dir} is gone`));
      at(`mkdir ${dir}`);
      createFolder(dir, asRoot ? owner : null, req.dirMode ?? DEFAULT_DIR_MODE, syncs, index);
      st = fs.lstatSync(dir);
    }
    const bad = checkFolder(st, dir, owner);
    if (bad.length > 0) return done(unsafe(bad));
  }

  const target = path.resolve(req.hostPath);
  removeStaleTemps(target);
  at('lstat');
  const cur = lstatOrNull(target);
  if (cur) {
    const bad = checkFile(cur, target, owner);
    if (bad.length > 0) return done(unsafe(bad));
  }
  const why = differs(cur, req.expected);
  if (why) return done(changed(why));
  if (req.text === null) return done(cur === null ? OK : remove(target, syncs, index, at));
  if (cur && !asRoot && !isWindows) {
    const refused = groupWouldBeLost(cur, fs.statSync(path.dirname(target)), target);
    if (refused) return done(refused);
  }
  const chownTo = asRoot ? (cur ? { uid: cur.uid, gid: cur.gid } : owner) : null;
  return stage(req.hostPath, target, cur, req.text, chownTo, cur ? cur.mode & 0o7777 : req.createMode & 0o7777, at);
}

function differs(cur: fs.Stats | null, expected: WriteRequest['expected']): string | null {
  if (cur === null) return expected === null ? null : 'the file was removed since it was planned';
  if (expected === null) return 'the file appeared since it was planned';
  if (cur.ino !== expected.ino || cur.size !== expected.size || cur.mtimeMs !== expected.mtimeMs) {
    return 'the file changed since it was planned';
  }
  return null;
}

/** Creates, fills, owns and modes the temp file; on success its descriptor stays open in the PendingWrite. */
function stage(hostPath: string, target: string, cur: fs.Stats | null, text: string, chownTo: Owner | null, mode: number, at: At): Prepared {
  const data = Buffer.from(text, 'utf8');
  const tmp = tempNameFor(target);
  let fd: number | null = null;
  let handedOver = false;
  try {
    at('create temp file');
    fd = fs.openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, 0o600);
    at('write temp file');
    for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
    if (!isWindows) {
      at('set owner');
      if (chownTo) fs.fchownSync(fd, chownTo.uid, chownTo.gid);
      else if (cur) {
        const refused = keepGroup(fd, cur, mode, target);
        if (refused) return { done: refused };
      }
    }
    at('set mode');
    fs.fchmodSync(fd, mode);
    const made = fs.fstatSync(fd);
    if (!isWindows && (made.mode & 0o7777) !== mode) {
      return { done: ioResult(`${target}: the new file cannot have mode ${mode.toString(8)} (got ${(made.mode & 0o7777).toString(8)})`) };
    }
    handedOver = true;
    return { pending: { hostPath, target, tmp, fd, cur, data, mode, tmpIno: made.ino } };
  } finally {
    if (!handedOver && fd !== null) discardWrite({ hostPath, target, tmp, fd, cur, data, mode, tmpIno: 0 });
  }
}

/**
 * Not root (the as-user child, a per-user agent): the temp file got our primary group, or the folder's
 * when it is setgid. Give it the old file's group when we may; if we may not (libuv drops supplementary
 * groups in the child), changing the group is harmless when the group has no right that everyone else
 * lacks, and refused (`foreign-group`) when it has: teammates sharing the file would lose access.
 */
function keepGroup(fd: number, cur: fs.Stats, mode: number, target: string): WriteResult | null {
  if (fs.fstatSync(fd).gid === cur.gid) return null;
  try {
    fs.fchownSync(fd, -1, cur.gid);
    return null;
  } catch {
    return groupHasOwnRights(mode) ? foreignGroup(target, cur.gid) : null;
  }
}

/** The same decision made before anything is created, so a refusal leaves even the folder's mtime alone. */
function groupWouldBeLost(cur: fs.Stats, dir: fs.Stats, target: string): WriteResult | null {
  const newGid = dir.mode & S_ISGID ? dir.gid : process.getegid?.();
  if (newGid === cur.gid || process.getgroups?.().includes(cur.gid)) return null;
  return groupHasOwnRights(cur.mode) ? foreignGroup(target, cur.gid) : null;
}

const groupHasOwnRights = (mode: number): boolean => (((mode >> 3) & 7) & ~(mode & 7)) !== 0;

const foreignGroup = (target: string, gid: number): WriteResult =>
  unsafe([{ code: 'foreign-group', message: `${target} belongs to group ${gid}, which has rights others lack, and this writer cannot keep that group`, blocking: true }]);

function verify(target: string, data: Buffer, ino: number, mode: number): WriteResult {
  const fd = fs.openSync(target, C.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    // Another writer got in right after our rename (Claude Code, an editor, a script): our write happened
    // and was overwritten, like a change since the plan — the caller re-plans from what is there now.
    if (st.ino !== ino) return changed(`verify ${target}: replaced by another writer right after the rename`);
    if (!isWindows && (st.mode & 0o7777) !== mode) return ioResult(`verify ${target}: mode ${(st.mode & 0o7777).toString(8)} instead of ${mode.toString(8)}`);
    if (!fs.readFileSync(fd).equals(data)) return changed(`verify ${target}: rewritten in place by another writer right after the rename`);
    return OK;
  } finally {
    fs.closeSync(fd);
  }
}

function remove(target: string, syncs: FolderSyncs, index: number, at: At): WriteResult {
  at('unlink');
  fs.unlinkSync(target);
  syncs.add(path.dirname(target), index);
  at('verify');
  return lstatOrNull(target) === null ? OK : ioResult(`verify ${target}: still present after delete`);
}

function createFolder(dir: string, chownTo: Owner | null, mode: number, syncs: FolderSyncs, index: number): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return; // someone made it meanwhile: the caller's lstat judges it
    throw e;
  }
  syncs.add(path.dirname(dir), index);
  if (!isWindows) {
    const fd = fs.openSync(dir, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      if (chownTo) fs.fchownSync(fd, chownTo.uid, chownTo.gid);
      fs.fchmodSync(fd, mode);
    } finally {
      fs.closeSync(fd);
    }
  }
}
