/**
 * Binary property lists (`bplist00`, Apple's CFBinaryPList.c): an 8-byte header, the objects, an offset
 * table, and a 32-byte trailer (offset int size, object ref size, object count, top object, offset table
 * offset — all big-endian). Every offset, length and reference is checked against the buffer before it is
 * used; a reference back to an object being read is a cycle; depth and total values are bounded.
 */
import { PLIST_LIMITS, PlistError, setKey, type PlistValue } from './plist-types.js';

const TRAILER = 32;
const HEADER = 8;
/** Seconds between the Unix epoch and Apple's reference date, 2001-01-01T00:00:00Z. */
const APPLE_EPOCH = 978_307_200;

export function parseBinaryPlist(b: Uint8Array): PlistValue {
  if (b.length < HEADER + 1 + TRAILER) throw new PlistError('plist-truncated', `${b.length} bytes is too short for a binary plist`);
  const t = b.length - TRAILER;
  const offsetSize = b[t + 6]!;
  const refSize = b[t + 7]!;
  const count = readUint(b, t + 8, 8);
  const top = readUint(b, t + 16, 8);
  const tableAt = readUint(b, t + 24, 8);
  if (offsetSize < 1 || offsetSize > 8 || refSize < 1 || refSize > 8) throw new PlistError('plist-bad-trailer', `offset size ${offsetSize}, ref size ${refSize}`);
  if (count < 1 || count > PLIST_LIMITS.maxNodes) throw new PlistError('plist-bad-trailer', `object count ${count}`);
  if (top >= count) throw new PlistError('plist-bad-trailer', `top object ${top} of ${count}`);
  if (tableAt < HEADER || tableAt + count * offsetSize > t) throw new PlistError('plist-bad-trailer', `offset table at ${tableAt} (${count} × ${offsetSize} bytes) does not fit`);

  const offsetOf = (ref: number): number => {
    if (ref >= count) throw new PlistError('plist-bad-ref', `object reference ${ref} of ${count}`);
    const off = readUint(b, tableAt + ref * offsetSize, offsetSize);
    if (off < HEADER || off >= tableAt) throw new PlistError('plist-bad-offset', `object ${ref} at offset ${off}`);
    return off;
  };
  let nodes = 0;
  const open = new Set<number>();

  /** Length of a variable-size object: the low nibble, or (0xF) an integer object that follows. Returns [length, start of the content]. */
  const lengthAt = (off: number, info: number): [number, number] => {
    if (info !== 0xf) return [info, off + 1];
    const m = byteAt(off + 1);
    if (m >> 4 !== 0x1 || (m & 0xf) > 3) throw new PlistError('plist-bad-marker', `length marker 0x${m.toString(16)} at ${off + 1}`);
    const n = 1 << (m & 0xf);
    need(off + 2, n);
    return [readUint(b, off + 2, n), off + 2 + n];
  };
  const byteAt = (i: number): number => {
    if (i >= tableAt) throw new PlistError('plist-truncated', `object data runs into the offset table at ${i}`);
    return b[i]!;
  };
  /** `len` bytes from `at` must lie inside the object area. */
  const need = (at: number, len: number): void => {
    if (len < 0 || at + len > tableAt) throw new PlistError('plist-truncated', `${len} bytes at ${at} run past the object area`);
  };

  const read = (ref: number, depth: number): PlistValue => {
    if (++nodes > PLIST_LIMITS.maxNodes) throw new PlistError('plist-too-many-objects', `more than ${PLIST_LIMITS.maxNodes} values`);
    if (depth > PLIST_LIMITS.maxDepth) throw new PlistError('plist-too-deep', `nested deeper than ${PLIST_LIMITS.maxDepth}`);
    const off = offsetOf(ref);
    const marker = byteAt(off);
    const type = marker >> 4;
    const info = marker & 0xf;
    switch (type) {
      case 0x0:
        if (info === 0x8) return false;
        if (info === 0x9) return true;
        throw new PlistError('plist-bad-marker', `marker 0x${marker.toString(16)} (null/fill) at ${off}`);
      case 0x1: {
        if (info > 3) throw new PlistError('plist-int-range', `a ${1 << info}-byte integer at ${off}`);
        const n = 1 << info;
        need(off + 1, n);
        return readInt(b, off + 1, n);
      }
      case 0x2: {
        if (info !== 2 && info !== 3) throw new PlistError('plist-bad-marker', `real of ${1 << info} bytes at ${off}`);
        need(off + 1, 1 << info);
        const v = new DataView(b.buffer, b.byteOffset + off + 1, 1 << info);
        return info === 2 ? v.getFloat32(0) : v.getFloat64(0);
      }
      case 0x3: {
        if (info !== 3) throw new PlistError('plist-bad-marker', `date marker 0x${marker.toString(16)} at ${off}`);
        need(off + 1, 8);
        const s = new DataView(b.buffer, b.byteOffset + off + 1, 8).getFloat64(0);
        const d = new Date((s + APPLE_EPOCH) * 1000);
        if (Number.isNaN(d.getTime())) throw new PlistError('plist-bad-value', `date out of range at ${off}`);
        return d;
      }
      case 0x4: {
        const [len, at] = lengthAt(off, info);
        need(at, len);
        return b.slice(at, at + len);
      }
      case 0x5: {
        const [len, at] = lengthAt(off, info);
        need(at, len);
        let s = '';
        for (let i = 0; i < len; i++) {
          const c = b[at + i]!;
          if (c > 0x7f) throw new PlistError('plist-bad-string', `non-ASCII byte in an ASCII string at ${at + i}`);
          s += String.fromCharCode(c);
        }
        return s;
      }
      case 0x6: {
        const [len, at] = lengthAt(off, info);
        need(at, len * 2);
        return utf16be(b, at, len);
      }
      case 0xa:
      case 0xd: {
        const [len, at] = lengthAt(off, info);
        const refs = type === 0xd ? len * 2 : len;
        need(at, refs * refSize);
        if (open.has(ref)) throw new PlistError('plist-cycle', `object ${ref} contains itself`);
        open.add(ref);
        const refAt = (i: number) => readUint(b, at + i * refSize, refSize);
        let out: PlistValue;
        if (type === 0xa) {
          const arr: PlistValue[] = [];
          for (let i = 0; i < len; i++) arr.push(read(refAt(i), depth + 1));
          out = arr;
        } else {
          const obj: { [key: string]: PlistValue } = {};
          for (let i = 0; i < len; i++) {
            const k = read(refAt(i), depth + 1);
            if (typeof k !== 'string') throw new PlistError('plist-bad-key', `dict key at object ${refAt(i)} is not a string`);
            setKey(obj, k, read(refAt(len + i), depth + 1));
          }
          out = obj;
        }
        open.delete(ref);
        return out;
      }
      default:
        // 0x7 UTF-8 string (bplist1x), 0x8 UID, 0xB ordered set, 0xC set: not in a preferences plist.
        throw new PlistError('plist-bad-marker', `marker 0x${marker.toString(16)} at ${off}`);
    }
  };
  return read(top, 0);
}

/** Big-endian unsigned integer of 1–8 bytes; past 2^53 it is refused rather than rounded. */
function readUint(b: Uint8Array, at: number, n: number): number {
  if (at + n > b.length) throw new PlistError('plist-truncated', `${n} bytes at ${at}`);
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[at + i]!;
  if (!Number.isSafeInteger(v)) throw new PlistError('plist-int-range', `unsigned value at ${at} exceeds 2^53`);
  return v;
}

/** Integer objects: 1, 2 and 4 bytes are unsigned, 8 bytes two's complement (CFBinaryPList). */
function readInt(b: Uint8Array, at: number, n: number): number {
  if (n < 8) return readUint(b, at, n);
  const v = new DataView(b.buffer, b.byteOffset + at, 8).getBigInt64(0);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new PlistError('plist-int-range', `integer ${v} at ${at} is outside ±2^53`);
  return Number(v);
}

/** UTF-16BE code units; an unpaired surrogate is refused (it cannot be a setting anyone typed). */
function utf16be(b: Uint8Array, at: number, len: number): string {
  const units: number[] = [];
  for (let i = 0; i < len; i++) units.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  for (let i = 0; i < len; i++) {
    const u = units[i]!;
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = units[i + 1];
      if (next === undefined || next < 0xdc00 || next > 0xdfff) throw new PlistError('plist-bad-string', `unpaired surrogate at ${at + 2 * i}`);
      i++;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      throw new PlistError('plist-bad-string', `unpaired surrogate at ${at + 2 * i}`);
    }
  }
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}
