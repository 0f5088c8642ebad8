/**
 * Exact bytes of a local policy or signature file, for signing and verifying (a signature covers bytes,
 * not text): `readFileCapped(path, max)` never reads more than `max + 1` bytes and never opens a FIFO
 * or a folder. Outcomes, never exceptions:
 *   bytes      the file's content (at most `max` bytes)
 *   missing    no such file (ENOENT, or a path component that is not a folder)
 *   too-large  more than `max` bytes
 *   error      anything else (permission denied, not a regular file, I/O), with `retryable`
 * `policyText(bytes)` decodes UTF-8 strictly (a BOM is kept for parsePolicyText to skip); null when not UTF-8.
 */
import fs from 'node:fs';
import { errorCode } from './fsync.js';

export type FileBytes =
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'missing'; message: string }
  | { kind: 'too-large'; message: string }
  | { kind: 'error'; message: string; retryable: boolean };

const RETRYABLE = new Set(['EMFILE', 'ENFILE', 'EBUSY', 'EIO', 'EAGAIN']);

export function readFileCapped(path: string, max: number): FileBytes {
  let fd: number | null = null;
  try {
    // stat before open: opening a FIFO for reading would block until a writer appears.
    const pre = fs.statSync(path);
    if (!pre.isFile()) return { kind: 'error', message: `${path}: not a regular file`, retryable: false };
    if (pre.size > max) return tooLarge(path, max);
    fd = fs.openSync(path, 'r');
    if (!fs.fstatSync(fd).isFile()) return { kind: 'error', message: `${path}: not a regular file`, retryable: false };
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = fs.readSync(fd, buf, n, buf.length - n, null);
    if (n > max) return tooLarge(path, max);
    return { kind: 'bytes', bytes: Buffer.from(buf.subarray(0, n)) };
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing', message: `${path}: no such file` };
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code;
    return { kind: 'error', message: `${path}: cannot read (${why})`, retryable: RETRYABLE.has(code) };
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

export function policyText(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

const tooLarge = (path: string, max: number): FileBytes => ({ kind: 'too-large', message: `${path}: larger than ${max} bytes` });
