/**
 * The write itself, in this process with this process's rights (root for the managed drop-in, the user
 * inside the as-user child). Contract, in order:
 * 1. every folder below `trustedAncestor` is a real folder owned by `owner` (missing ones are created:
 *    mode 0700 at first, then chown + chmod through a no-follow descriptor, so nobody slips in between);
 * 2. stale temp files of our naming beside the target are removed (a killed writer's leftovers);
 * 3. the target is absent or a regular file with one link owned by `owner`, and it is exactly the file
 *    the plan was made on (`expected`: ino, size, mtime), else `unsafe` / `changed` and nothing is written;
 * 4. write: temp file beside it (O_CREAT|O_EXCL|O_NOFOLLOW, 0600), write, chown (root: the old file's
 *    uid/gid, or `owner` for a new file; not root: keep the old group when allowed, see keepGroup), chmod
 *    to the preserved or creation mode, fsync, re-check the target, rename over it, fsync the folder, then
 *    re-read through O_NOFOLLOW and compare inode, mode and every byte (mismatch → `io`);
 *    delete: same checks, unlink, fsync the folder.
 * On any failure the temp file is removed. Never throws: every failure is a WriteResult.
 * Windows: no ownership, no folder fsync (not supported there), O_NOFOLLOW absent (lstat checks remain).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../core/types.js';
import {
  checkFile,
  checkFolder,
  effectiveOwner,
  foldersBetween,
  lstatOrNull,
  O_NOFOLLOW,
  type Owner,
} from './fs-safety.js';
import { removeStaleTemps, tempNameFor } from './temp-files.js';
import { DEFAULT_DIR_MODE, type WriteRequest, type WriteResult } from './write-types.js';

const C = fs.constants;
const O_DIRECTORY: number = C.O_DIRECTORY ?? 0;
const O_NONBLOCK: number = C.O_NONBLOCK ?? 0;
const isWindows = process.platform === 'win32';
const S_ISGID = 0o2000;

const OK: WriteResult = { ok: true };
const unsafe = (findings: Finding[]): WriteResult => ({
  ok: false,
  code: 'unsafe',
  message: findings.map((f) => f.message ?? f.code).join('; '),
  findings,
});
const changed = (message: string): WriteResult => ({ ok: false, code: 'changed', message });
const io = (message: string): WriteResult => ({ ok: false, code: 'io', message });

export function writeInProcess(req: WriteRequest): WriteResult {
  let step = 'prepare';
  try {
    return run(req, (s) => (step = s));
  } catch (e) {
    return io(`${req.hostPath}: ${step} failed: ${(e as NodeJS.ErrnoException | null)?.code ?? String(e)}`);
  }
}

function run(req: WriteRequest, at: (step: string) => void): WriteResult {
  const folders = foldersBetween(req.trustedAncestor, req.hostPath);
  if (folders === null) {
    return unsafe([{ code: 'outside-trusted', message: `${req.hostPath} is not below ${req.trustedAncestor}`, blocking: true }]);
  }
  const owner = effectiveOwner(req.owner);
  const myUid = process.getuid?.();
  const asRoot = myUid === 0;
  if (owner && myUid !== undefined && !asRoot && owner.uid !== myUid) {
    return unsafe([{ code: 'foreign-owner', message: `cannot write a file for uid ${owner.uid} while running as uid ${myUid}`, blocking: true }]);
  }
  at('stat trusted folder');
  if (!fs.statSync(req.trustedAncestor).isDirectory()) return io(`${req.trustedAncestor} is not a folder`);

  for (const dir of folders) {
    at(`lstat ${dir}`);
    let st = lstatOrNull(dir);
    if (st === null) {
      if (req.text === null) return req.expected === null ? OK : changed(`${req.hostPath} is gone`);
      at(`mkdir ${dir}`);
      createFolder(dir, asRoot ? owner : null, req.dirMode ?? DEFAULT_DIR_MODE);
      st = fs.lstatSync(dir);
    }
    const bad = checkFolder(st, dir, owner);
    if (bad.length > 0) return unsafe(bad);
  }

  const target = path.resolve(req.hostPath);
  removeStaleTemps(target);
  at('lstat');
  const cur = lstatOrNull(target);
  if (cur) {
    const bad = checkFile(cur, target, owner);
    if (bad.length > 0) return unsafe(bad);
  }
  const why = differs(cur, req.expected);
  if (why) return changed(why);
  if (req.text === null) return cur === null ? OK : remove(target, at);
  if (cur && !asRoot && !isWindows) {
    const refused = groupWouldBeLost(cur, fs.statSync(path.dirname(target)), target);
    if (refused) return refused;
  }
  return replace(target, cur, req.text, asRoot ? (cur ? { uid: cur.uid, gid: cur.gid } : owner) : null, cur ? cur.mode & 0o7777 : req.createMode & 0o7777, at);
}

function differs(cur: fs.Stats | null, expected: WriteRequest['expected']): string | null {
  if (cur === null) return expected === null ? null : 'the file was removed since it was planned';
  if (expected === null) return 'the file appeared since it was planned';
  if (cur.ino !== expected.ino || cur.size !== expected.size || cur.mtimeMs !== expected.mtimeMs) {
    return 'the file changed since it was planned';
  }
  return null;
}

function replace(target: string, cur: fs.Stats | null, text: string, chownTo: Owner | null, mode: number, at: (s: string) => void): WriteResult {
  const data = Buffer.from(text, 'utf8');
  const tmp = tempNameFor(target);
  let fd: number | null = null;
  let created = false;
  let renamed = false;
  try {
    at('create temp file');
    fd = fs.openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, 0o600);
    created = true;
    at('write temp file');
    for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
    if (!isWindows) {
      at('set owner');
      if (chownTo) fs.fchownSync(fd, chownTo.uid, chownTo.gid);
      else if (cur) {
        const refused = keepGroup(fd, cur, mode, target);
        if (refused) return refused;
      }
    }
    at('set mode');
    fs.fchmodSync(fd, mode);
    const made = fs.fstatSync(fd);
    if (!isWindows && (made.mode & 0o7777) !== mode) return io(`${target}: the new file cannot have mode ${mode.toString(8)} (got ${(made.mode & 0o7777).toString(8)})`);
    at('fsync temp file');
    fs.fsyncSync(fd);
    const tmpIno = made.ino;
    fs.closeSync(fd);
    fd = null;
    // Last look before the rename: still safe, still the file the plan was made on.
    at('re-check');
    const now = lstatOrNull(target);
    if (now) {
      const bad = checkFile(now, target, null);
      if (bad.length > 0) return unsafe(bad);
    }
    const why = differs(now, cur ? { ino: cur.ino, size: cur.size, mtimeMs: cur.mtimeMs } : null);
    if (why) return changed(why);
    at('rename');
    fs.renameSync(tmp, target);
    renamed = true;
    at('fsync folder');
    fsyncDir(path.dirname(target));
    at('verify');
    return verify(target, data, tmpIno, mode);
  } finally {
    if (fd !== null) fs.closeSync(fd);
    if (created && !renamed) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // Already gone; nothing else to do.
      }
    }
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
    if (st.ino !== ino) return io(`verify ${target}: replaced by another writer right after the rename`);
    if (!isWindows && (st.mode & 0o7777) !== mode) return io(`verify ${target}: mode ${(st.mode & 0o7777).toString(8)} instead of ${mode.toString(8)}`);
    if (!fs.readFileSync(fd).equals(data)) return io(`verify ${target}: content differs from what was written`);
    return OK;
  } finally {
    fs.closeSync(fd);
  }
}

function remove(target: string, at: (s: string) => void): WriteResult {
  at('unlink');
  fs.unlinkSync(target);
  at('fsync folder');
  fsyncDir(path.dirname(target));
  return lstatOrNull(target) === null ? OK : io(`verify ${target}: still present after delete`);
}

function createFolder(dir: string, chownTo: Owner | null, mode: number): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return; // someone made it meanwhile: the caller's lstat judges it
    throw e;
  }
  if (!isWindows) {
    const fd = fs.openSync(dir, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      if (chownTo) fs.fchownSync(fd, chownTo.uid, chownTo.gid);
      fs.fchmodSync(fd, mode);
    } finally {
      fs.closeSync(fd);
    }
  }
  fsyncDir(path.dirname(dir));
}

/** Makes a rename or unlink in `dir` durable. Not possible on Windows; EINVAL on some filesystems. */
export function fsyncDir(dir: string): void {
  if (isWindows) return;
  const fd = fs.openSync(dir, C.O_RDONLY | O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP') throw e;
  } finally {
    fs.closeSync(fd);
  }
}
