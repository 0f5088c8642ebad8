/**
 * Atomic writes of the agent's own private files (state dir: backups, later cache and spool), which only
 * the agent's user (root in the normal case) may read: folders 0700, files 0600. A folder that is a
 * symlink, not a folder, or owned by another uid is refused (WRITE_REFUSED) — the state dir is never a
 * place someone else controls. A file is written to a temp name beside it (O_EXCL|O_NOFOLLOW), fsynced,
 * renamed over the target and the folder fsynced; on failure no temp file is left (WRITE_FAILED).
 * `createPrivateFileAtomic(dir, data, names)` does the same but never replaces: the temp file is
 * hard-linked to a final name, so of two writers racing for one name exactly one gets it (the other
 * tries the next name it is offered).
 * Readers check the folder with `privateDirExists` (same refusals); `removeStaleTemps` sweeps the temp
 * files of writers that were killed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CcfleetError } from '../core/errors.js';
import { O_NOFOLLOW } from './fs-safety.js';
import { errorCode, fsyncDir } from './fsync.js';
import { pidAlive } from './temp-files.js';

const C = fs.constants;

/**
 * Creates `dir` (and parents) if needed and makes sure it is ours and mode 0700 (POSIX). Returns the
 * folders that gained an entry (the parents of the folders it created): fsync them to make the new
 * folders durable; empty when nothing was created.
 */
export function ensurePrivateDir(dir: string): string[] {
  let first: string | undefined;
  try {
    first = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CcfleetError('WRITE_FAILED', `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`, { cause: e });
  }
  const st = fs.lstatSync(dir);
  refuseForeignDir(dir, st);
  if (process.platform !== 'win32' && (st.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
  return first === undefined ? [] : createdParents(first, dir);
}

/**
 * The folders that gained an entry when `mkdir -p dir` created `first` and everything below it down to
 * `dir`: the parent of each created folder, outermost first. Walks up from `dir` by dirname, so it always
 * ends (at the root at worst). Windows hands `first` back as a `\\?\` namespaced path: compared without it.
 */
export function createdParents(first: string, dir: string, p: path.PlatformPath = path): string[] {
  const win = p.sep === '\\';
  // `\\?\C:\x` → `C:\x`, `\\?\UNC\srv\share` → `\\srv\share`; Windows compares names case-insensitively.
  const plain = (x: string) => (win ? p.resolve(x.replace(/^\\\\\?\\(UNC\\)?/i, (_m, unc) => (unc ? '\\\\' : ''))).toLowerCase() : p.resolve(x));
  const top = plain(first);
  const touched: string[] = [];
  for (let cur = p.resolve(dir); ; cur = p.dirname(cur)) {
    const parent = p.dirname(cur);
    touched.unshift(parent);
    if (plain(cur) === top) return touched;
    if (parent === cur) return [p.dirname(p.resolve(dir))]; // `first` is not above `dir`: only the folder's own parent
  }
}

/**
 * For readers: whether `dir` exists (false when it or a parent is missing). WRITE_REFUSED when it is a
 * symlink, not a folder, or another uid's, exactly as ensurePrivateDir would refuse it.
 */
export function privateDirExists(dir: string): boolean {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new CcfleetError('WRITE_FAILED', `cannot read ${dir}: ${code}`, { cause: e });
  }
  refuseForeignDir(dir, st);
  return true;
}

function refuseForeignDir(dir: string, st: fs.Stats): void {
  if (st.isSymbolicLink() || !st.isDirectory()) throw new CcfleetError('WRITE_REFUSED', `${dir} is not a real folder`);
  const uid = process.platform === 'win32' ? undefined : process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new CcfleetError('WRITE_REFUSED', `${dir} is owned by uid ${st.uid}, not ${uid}`);
}

/**
 * Creates a new file (0600) in `dir` atomically and durably, never replacing one: `data` goes to a temp
 * file beside it, fsynced, then hard-linked to the name `names(0)`; while the name is taken (EEXIST), to
 * `names(1)`, `names(2)`... until `names` gives null. Then fsync of `extraFolders` (e.g. parents of
 * folders just created) and of `dir`; the temp is removed. Two fsyncs whatever the size or the retries.
 * Returns the name created, or null when every name offered was taken (nothing written). On a filesystem
 * without hard links it falls back to exists-check + rename (the race is then not excluded).
 * WRITE_FAILED on any failure; no temp file is left (a crash can leave one: its name is
 * `.<names(0)>.tmp-<pid>-<8 hex>`, for removeStaleTemps).
 */
export function createPrivateFileAtomic(
  dir: string,
  data: string | Buffer,
  names: (attempt: number) => string | null,
  extraFolders: readonly string[] = [],
): string | null {
  let tmp: string | null = null;
  let name = names(0);
  try {
    if (name === null) return null;
    tmp = writeTemp(path.join(dir, name), typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncPath(tmp);
    for (let attempt = 1; ; attempt++) {
      if (linkNew(tmp, path.join(dir, name))) break;
      name = names(attempt);
      if (name === null) return null;
    }
    for (const folder of new Set([...extraFolders, dir])) fsyncDir(folder);
    return name;
  } catch (e) {
    throw new CcfleetError('WRITE_FAILED', `cannot write ${path.join(dir, name ?? '')}: ${errorCode(e)}`, { cause: e, retryable: true });
  } finally {
    if (tmp !== null) fs.rmSync(tmp, { force: true });
  }
}

/** Gives `tmp` the name `file` unless taken: hard link (exclusive), or rename where there are no hard links. */
function linkNew(tmp: string, file: string): boolean {
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = errorCode(e);
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw e;
    if (fs.existsSync(file)) return false;
    fs.renameSync(tmp, file);
    return true;
  }
}

/** link(2) errors meaning "this filesystem has no hard links" (vfat and friends answer EPERM on Linux). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

export function writePrivateFileAtomic(file: string, data: string | Buffer): void {
  let tmp: string | null = null;
  try {
    tmp = writeTemp(file, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncPath(tmp);
    fs.renameSync(tmp, file);
    tmp = null;
    fsyncDir(path.dirname(file));
  } catch (e) {
    throw new CcfleetError('WRITE_FAILED', `cannot write ${file}: ${errorCode(e)}`, { cause: e, retryable: true });
  } finally {
    if (tmp !== null) fs.rmSync(tmp, { force: true });
  }
}

/**
 * Removes the temp files a killed writer left in `dir` (`.<name>.tmp-<pid>-<8 hex>` with `<name>`
 * matching `names`): only those of processes that no longer run, so a live writer's temp stays.
 * Best effort; returns how many it removed. `listing`: the folder's names, when the caller just read them.
 */
export function removeStaleTemps(dir: string, names: RegExp, listing?: readonly string[]): number {
  let removed = 0;
  let entries: readonly string[];
  try {
    entries = listing ?? fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const m = TEMP.exec(entry);
    if (!m || !names.test(m[1]!) || pidAlive(Number(m[2]))) continue;
    try {
      fs.unlinkSync(path.join(dir, entry));
      removed++;
    } catch {
      // Gone already (another writer swept it) or not ours to remove: harmless.
    }
  }
  return removed;
}

const TEMP = /^\.(.+)\.tmp-(\d+)-[0-9a-f]{8}$/;


/** Writes `data` to a new temp file beside `file` (0600, not fsynced); returns its path. */
function writeTemp(file: string, data: Buffer): string {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number | null = fs.openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, 0o600);
  try {
    for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fchmodSync(fd, 0o600);
    fs.closeSync(fd);
    fd = null;
    return tmp;
  } catch (e) {
    try {
      if (fd !== null) fs.closeSync(fd);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    throw e;
  }
}

/** Reopens a file we just wrote (no-follow; read-write, as Windows needs to flush) and fsyncs it. */
function fsyncPath(p: string): void {
  const fd = fs.openSync(p, C.O_RDWR | O_NOFOLLOW);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
