/**
 * Atomic writes of the agent's own private files (state dir: backups, later cache and spool), which only
 * the agent's user (root in the normal case) may read: folders 0700, files 0600. A folder that is a
 * symlink, not a folder, or owned by another uid is refused (WRITE_REFUSED) — the state dir is never a
 * place someone else controls. A file is written to a temp name beside it (O_EXCL|O_NOFOLLOW), fsynced,
 * renamed over the target and the folder fsynced; on failure no temp file is left (WRITE_FAILED).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CcfleetError } from '../core/errors.js';
import { O_NOFOLLOW } from './fs-safety.js';
import { fsyncDir } from './write-in-process.js';

const C = fs.constants;

/** Creates `dir` (and parents) if needed and makes sure it is ours and mode 0700 (POSIX). */
export function ensurePrivateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CcfleetError('WRITE_FAILED', `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`, { cause: e });
  }
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new CcfleetError('WRITE_REFUSED', `${dir} is not a real folder`);
  if (process.platform === 'win32') return;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new CcfleetError('WRITE_REFUSED', `${dir} is owned by uid ${st.uid}, not ${uid}`);
  if ((st.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
}

export function writePrivateFileAtomic(file: string, data: string | Buffer): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number | null = null;
  let created = false;
  let renamed = false;
  try {
    fd = fs.openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, 0o600);
    created = true;
    for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fchmodSync(fd, 0o600);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
    renamed = true;
    fsyncDir(path.dirname(file));
  } catch (e) {
    throw new CcfleetError('WRITE_FAILED', `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`, { cause: e, retryable: true });
  } finally {
    if (fd !== null) fs.closeSync(fd);
    if (created && !renamed) fs.rmSync(tmp, { force: true });
  }
}
