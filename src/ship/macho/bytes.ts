/** Bounds-checked integer access over a byte array (Mach-O headers are little-endian, blobs big-endian). */
import { MachoError } from './errors.js';

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function need(b: Uint8Array, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > b.byteLength) {
    throw new MachoError('MACHO_TRUNCATED', `${what}: ${length} bytes at ${offset} run past the end (${b.byteLength})`);
  }
}

export const u32be = (b: Uint8Array, o: number): number => view(b).getUint32(o, false);
export const u32le = (b: Uint8Array, o: number): number => view(b).getUint32(o, true);
export const u64le = (b: Uint8Array, o: number): number => Number(view(b).getBigUint64(o, true));
export const u64be = (b: Uint8Array, o: number): number => Number(view(b).getBigUint64(o, false));

export const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** A NUL-terminated ASCII string starting at `o` (up to `end`). */
export function cString(b: Uint8Array, o: number, end = b.byteLength): string {
  need(b, o, 0, 'string');
  let e = o;
  while (e < end && b[e] !== 0) e++;
  return Buffer.from(b.buffer, b.byteOffset + o, e - o).toString('latin1');
}
