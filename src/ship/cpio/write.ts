/**
 * cpio "odc" (POSIX.1 portable ASCII, magic 070707) — the format of a flat package's Payload and
 * Scripts archives (`pax -w -x cpio`, `cpio -o --format odc`). Each entry is a 76-byte header of
 * fixed-width octal fields, the NUL-terminated name, then the content (a symlink's content is its
 * target); no padding. The archive ends with an entry named "TRAILER!!!".
 *
 * Header fields, in order: magic(6) dev(6) ino(6) mode(6) uid(6) gid(6) nlink(6) rdev(6) mtime(11)
 * namesize(6, including the NUL) filesize(11).
 */
export type CpioEntryType = 'file' | 'dir' | 'symlink';

export interface CpioEntry {
  /** As archived: "." and "./a/b" for package payloads. */
  path: string;
  type: CpioEntryType;
  /** Permission bits (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** File content (files only). */
  data?: Uint8Array;
  /** Symlink target (symlinks only). */
  target?: string;
}

const TYPE_BITS: Record<CpioEntryType, number> = { file: 0o100000, dir: 0o040000, symlink: 0o120000 };
const enc = new TextEncoder();

export class CpioError extends Error {
  readonly code = 'CPIO_BAD_ENTRY';
  constructor(message: string) {
    super(message);
    this.name = 'CpioError';
  }
}

function octal(value: number, width: number, what: string, path: string): string {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 8 ** width) {
    throw new CpioError(`${path}: ${what} ${value} does not fit ${width} octal digits`);
  }
  return value.toString(8).padStart(width, '0');
}

function header(path: string, f: { ino: number; mode: number; uid: number; gid: number; nlink: number; mtime: number; nameSize: number; size: number }): Uint8Array {
  return enc.encode(
    '070707' +
      octal(0, 6, 'dev', path) +
      octal(f.ino, 6, 'ino', path) +
      octal(f.mode, 6, 'mode', path) +
      octal(f.uid, 6, 'uid', path) +
      octal(f.gid, 6, 'gid', path) +
      octal(f.nlink, 6, 'nlink', path) +
      octal(0, 6, 'rdev', path) +
      octal(f.mtime, 11, 'mtime', path) +
      octal(f.nameSize, 6, 'namesize', path) +
      octal(f.size, 11, 'filesize', path),
  );
}

/**
 * The archive as a list of chunks (headers, names, and the callers' own content arrays, not copied),
 * ready to be streamed into gzip. Entries are written in the order given.
 */
export function cpioOdcChunks(entries: readonly CpioEntry[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  const seen = new Set<string>();
  let ino = 1;
  for (const e of entries) {
    if (seen.has(e.path)) throw new CpioError(`${e.path} appears twice`);
    seen.add(e.path);
    if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777) throw new CpioError(`${e.path}: mode ${e.mode} is not a permission mode`);
    if (e.path.includes('\0') || e.path === '' || e.path === 'TRAILER!!!') throw new CpioError(`bad path ${JSON.stringify(e.path)}`);
    let content: Uint8Array = new Uint8Array(0);
    if (e.type === 'file') content = e.data ?? new Uint8Array(0);
    else if (e.type === 'symlink') {
      if (!e.target) throw new CpioError(`${e.path}: a symlink needs a target`);
      content = enc.encode(e.target);
    } else if (e.data || e.target) throw new CpioError(`${e.path}: a folder has no content`);
    const name = enc.encode(`${e.path}\0`);
    chunks.push(
      header(e.path, {
        ino: ino++,
        mode: TYPE_BITS[e.type] | e.mode,
        uid: e.uid,
        gid: e.gid,
        nlink: e.type === 'dir' ? 2 : 1,
        mtime: e.mtime,
        nameSize: name.length,
        size: content.length,
      }),
      name,
    );
    if (content.length > 0) chunks.push(content);
  }
  const trailer = enc.encode('TRAILER!!!\0');
  chunks.push(header('TRAILER!!!', { ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, nameSize: trailer.length, size: 0 }), trailer);
  return chunks;
}

/** The whole archive in one array (small archives: Scripts, tests). */
export function cpioOdc(entries: readonly CpioEntry[]): Uint8Array {
  const chunks = cpioOdcChunks(entries);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
