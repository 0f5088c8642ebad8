/**
 * Atomic writes of the agent's own private files (state dir: backups, later cache and spool), which only
 * the agent's user (root in the normal case) may read: folders 0700, files 0600. A folder that is a
 * symlink, not a folder, or owned by another uid is refused (WRITE_REFUSED) — the state dir is never a
 * place someone else controls. A file is written to a temp name beside it (O_EXCL|O_NOFOLLOW), fsynced,
 * renamed over the target and the folder fsynced; on failure no temp file is left (WRITE_FAILED).
 * `writeNewPrivateFiles(stages)` writes many files that are new (never replacing content someone still
 * needs) with the fsyncs batched, stage by stage: each file is written to a temp name and renamed, then
 * every file of the stage is fsynced, then every folder touched once. A stage starts only once the
 * previous one is durable, so a file of a later stage never exists without the earlier stages' files
 * (e.g. a backup entry without its content), even after a crash; everything is durable on return.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CcfleetError } from '../core/errors.js';
import { O_NOFOLLOW } from './fs-safety.js';
import { errorCode, fsyncDir } from './fsync.js';

const C = fs.constants;

export interface PrivateFile {
  file: string;
  data: string | Buffer;
}

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
  if (st.isSymbolicLink() || !st.isDirectory()) throw new CcfleetError('WRITE_REFUSED', `${dir} is not a real folder`);
  if (process.platform !== 'win32') {
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) throw new CcfleetError('WRITE_REFUSED', `${dir} is owned by uid ${st.uid}, not ${uid}`);
    if ((st.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
  }
  const touched: string[] = [];
  if (first !== undefined) {
    const end = path.resolve(dir);
    for (let cur = path.resolve(first); ; ) {
      touched.push(path.dirname(cur));
      const next = path.join(cur, path.relative(cur, end).split(path.sep)[0] ?? '');
      if (cur === end || next === cur) break;
      cur = next;
    }
  }
  return touched;
}

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
 * `extraFolders`: folders to fsync with the first stage too (e.g. parents of folders just created).
 * Only for files nobody reads before the call returns, or whose reader tells a torn file by its content
 * (backup entries: unparseable → skipped; contents: sha256-checked): until its stage is fsynced, a crash
 * can leave a file of that stage empty or partial under its final name.
 */
export function writeNewPrivateFiles(stages: readonly (readonly PrivateFile[])[], extraFolders: readonly string[] = []): void {
  let current = '';
  let tmp: string | null = null;
  try {
    const folders = new Set(extraFolders);
    for (const files of stages) {
      for (const { file, data } of files) {
        current = file;
        tmp = writeTemp(file, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
        fs.renameSync(tmp, file);
        tmp = null;
        folders.add(path.dirname(file));
      }
      for (const { file } of files) {
        current = file;
        fsyncPath(file);
      }
      for (const dir of folders) {
        current = dir;
        fsyncDir(dir);
      }
      folders.clear();
    }
  } catch (e) {
    throw new CcfleetError('WRITE_FAILED', `cannot write ${current}: ${errorCode(e)}`, { cause: e, retryable: true });
  } finally {
    if (tmp !== null) fs.rmSync(tmp, { force: true });
  }
}

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
