/** Reads an odc cpio archive back into entries (used by tests and the package verifier). */
import type { CpioEntry, CpioEntryType } from './write.js';

export interface ReadCpioEntry extends CpioEntry {
  ino: number;
  nlink: number;
  size: number;
}

const dec = new TextDecoder('utf-8', { fatal: true });

const TYPES: Record<number, CpioEntryType> = { 0o100000: 'file', 0o040000: 'dir', 0o120000: 'symlink' };

export function readCpioOdc(b: Uint8Array): ReadCpioEntry[] {
  const out: ReadCpioEntry[] = [];
  let at = 0;
  const field = (o: number, width: number): number => {
    const s = dec.decode(b.subarray(at + o, at + o + width));
    if (!/^[0-7]+$/.test(s)) throw new Error(`cpio: bad octal field ${JSON.stringify(s)} at ${at + o}`);
    return parseInt(s, 8);
  };
  for (;;) {
    if (at + 76 > b.length) throw new Error(`cpio: truncated header at ${at}`);
    if (dec.decode(b.subarray(at, at + 6)) !== '070707') throw new Error(`cpio: bad magic at ${at}`);
    const ino = field(12, 6);
    const fullMode = field(18, 6);
    const uid = field(24, 6);
    const gid = field(30, 6);
    const nlink = field(36, 6);
    const mtime = field(48, 11);
    const nameSize = field(59, 6);
    const size = field(65, 11);
    const nameStart = at + 76;
    if (nameStart + nameSize + size > b.length) throw new Error(`cpio: entry at ${at} runs past the end`);
    if (nameSize === 0 || b[nameStart + nameSize - 1] !== 0) throw new Error(`cpio: name at ${nameStart} is not NUL-terminated`);
    const path = dec.decode(b.subarray(nameStart, nameStart + nameSize - 1));
    const content = b.subarray(nameStart + nameSize, nameStart + nameSize + size);
    at = nameStart + nameSize + size;
    if (path === 'TRAILER!!!') return out;
    const type = TYPES[fullMode & 0o170000];
    if (!type) throw new Error(`cpio: ${path} has unsupported file type ${(fullMode & 0o170000).toString(8)}`);
    const e: ReadCpioEntry = { path, type, mode: fullMode & 0o7777, uid, gid, mtime, ino, nlink, size };
    if (type === 'file') e.data = content;
    if (type === 'symlink') e.target = dec.decode(content);
    out.push(e);
  }
}
