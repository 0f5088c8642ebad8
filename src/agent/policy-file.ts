/**
 * A policy from a local file: `loadPolicyFile(path)` reads it (at most 1 MiB, UTF-8, BOM allowed) and
 * returns the validated Policy, or throws a CcfleetError:
 *   POLICY_NOT_FOUND   no such file (ENOENT, or a path component that is not a folder)
 *   POLICY_UNREADABLE  permission denied, a folder or other non-regular file, larger than 1 MiB, not UTF-8
 *   POLICY_PARSE / POLICY_INVALID  from parsePolicyText, naming path:line:column and the field
 * Paths are used as given (the CLI contract: `--root` does not re-root a `--policy` path).
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { CcfleetError } from '../core/errors.js';
import { parsePolicyText } from '../core/policy-load.js';
import type { Policy } from '../core/policy-schema.js';

export const MAX_POLICY_BYTES = 1024 * 1024;

export function loadPolicyFile(path: string): Policy {
  return parsePolicyText(readPolicyText(path), path);
}

/** The file's text, with the size, type and encoding checks above (no parsing). */
export function readPolicyText(path: string): string {
  // stat before open: opening a FIFO for reading would block until a writer appears.
  checkStat(path, () => statSync(path));
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError(path, e);
  }
  try {
    const st = checkStat(path, () => fstatSync(fd));
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    // Read one byte past the size we saw: a file that grew meanwhile is still capped.
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n >= buf.length) break;
    }
    if (n > MAX_POLICY_BYTES) throw tooLarge(path);
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf.subarray(0, n));
    } catch {
      throw new CcfleetError('POLICY_UNREADABLE', `${path}: policy is not UTF-8 text`);
    }
  } catch (e) {
    throw e instanceof CcfleetError ? e : ioError(path, e);
  } finally {
    closeSync(fd);
  }
}

function checkStat<T extends { isFile(): boolean; isDirectory(): boolean; size: number }>(path: string, stat: () => T): T {
  let st: T;
  try {
    st = stat();
  } catch (e) {
    throw ioError(path, e);
  }
  if (st.isDirectory()) throw new CcfleetError('POLICY_UNREADABLE', `${path}: is a folder, not a policy file`);
  if (!st.isFile()) throw new CcfleetError('POLICY_UNREADABLE', `${path}: not a regular file`);
  if (st.size > MAX_POLICY_BYTES) throw tooLarge(path);
  return st;
}

const tooLarge = (path: string): CcfleetError =>
  new CcfleetError('POLICY_UNREADABLE', `${path}: policy is larger than ${MAX_POLICY_BYTES} bytes (1 MiB)`);

function ioError(path: string, e: unknown): CcfleetError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new CcfleetError('POLICY_NOT_FOUND', `${path}: policy file not found`, { cause: e });
  }
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message;
  // EMFILE/EBUSY/EIO may pass; a missing permission will not.
  const retryable = code !== undefined && ['EMFILE', 'ENFILE', 'EBUSY', 'EIO', 'EAGAIN'].includes(code);
  return new CcfleetError('POLICY_UNREADABLE', `${path}: cannot read policy (${why})`, { cause: e, retryable });
}
