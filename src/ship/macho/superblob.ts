/**
 * The embedded signature SuperBlob (CSMAGIC_EMBEDDED_SIGNATURE): a big-endian index of
 * (slot type, offset) pairs followed by the blobs, each starting with its own magic and length.
 */
import { need, u32be, view } from './bytes.js';
import { CSMAGIC_EMBEDDED_SIGNATURE } from './constants.js';
import { MachoError } from './errors.js';

export interface Blob {
  /** Slot type from the index (CSSLOT_*). */
  slot: number;
  magic: number;
  /** The whole blob, magic and length included (what special-slot hashes cover). */
  bytes: Uint8Array;
}

export interface SuperBlob {
  length: number;
  blobs: Blob[];
}

export function parseSuperBlob(sig: Uint8Array): SuperBlob {
  need(sig, 0, 12, 'SuperBlob header');
  const magic = u32be(sig, 0);
  if (magic !== CSMAGIC_EMBEDDED_SIGNATURE) {
    throw new MachoError('MACHO_LAYOUT', `signature data is not an embedded SuperBlob (magic 0x${magic.toString(16)})`);
  }
  const length = u32be(sig, 4);
  const count = u32be(sig, 8);
  need(sig, 0, length, 'SuperBlob');
  need(sig, 12, count * 8, 'SuperBlob index');
  const blobs: Blob[] = [];
  for (let i = 0; i < count; i++) {
    const slot = u32be(sig, 12 + i * 8);
    const offset = u32be(sig, 16 + i * 8);
    const body = sig.subarray(0, length);
    need(body, offset, 8, `blob in slot 0x${slot.toString(16)}`);
    const blobLength = u32be(body, offset + 4);
    need(body, offset, blobLength, `blob in slot 0x${slot.toString(16)}`);
    blobs.push({ slot, magic: u32be(body, offset), bytes: body.subarray(offset, offset + blobLength) });
  }
  return { length, blobs };
}

/** A blob: magic, length, payload. */
export function makeBlob(magic: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = new Uint8Array(8 + payload.byteLength);
  const v = view(b);
  v.setUint32(0, magic, false);
  v.setUint32(4, b.byteLength, false);
  b.set(payload, 8);
  return b;
}

export function superBlobSize(blobs: { bytes: Uint8Array }[]): number {
  return 12 + blobs.length * 8 + blobs.reduce((n, b) => n + b.bytes.byteLength, 0);
}

/** Writes the SuperBlob for `blobs` (in the given order) into `out` at `at`; returns its length. */
export function writeSuperBlob(out: Uint8Array, at: number, blobs: { slot: number; bytes: Uint8Array }[]): number {
  const length = superBlobSize(blobs);
  const v = view(out);
  v.setUint32(at, CSMAGIC_EMBEDDED_SIGNATURE, false);
  v.setUint32(at + 4, length, false);
  v.setUint32(at + 8, blobs.length, false);
  let offset = 12 + blobs.length * 8;
  blobs.forEach((b, i) => {
    v.setUint32(at + 12 + i * 8, b.slot, false);
    v.setUint32(at + 16 + i * 8, offset, false);
    out.set(b.bytes, at + offset);
    offset += b.bytes.byteLength;
  });
  return length;
}
