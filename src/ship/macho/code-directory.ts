/**
 * The CodeDirectory blob (CSMAGIC_CODEDIRECTORY), big-endian:
 *   magic length version flags hashOffset identOffset nSpecialSlots nCodeSlots codeLimit   (9 × u32)
 *   hashSize hashType platform pageSize(log2)                                               (4 × u8)
 *   spare2 | ≥0x20100 scatterOffset | ≥0x20200 teamOffset | spare3                          (4 × u32)
 *   ≥0x20300 codeLimit64 | ≥0x20400 execSegBase execSegLimit execSegFlags                   (4 × u64)
 *   ≥0x20500 runtime preEncryptOffset …
 * then the identifier (C string), the team id, and the hash slots: special slot −k is stored at
 * hashOffset − k·hashSize, code slot i at hashOffset + i·hashSize.
 */
import { cString, need, u32be, u64be, view } from './bytes.js';
import {
  CODE_DIRECTORY_20400_SIZE,
  CSMAGIC_CODEDIRECTORY,
  CS_SUPPORTSCODELIMIT64,
  CS_SUPPORTSEXECSEG,
  CS_SUPPORTSRUNTIME,
  CS_SUPPORTSTEAMID,
} from './constants.js';
import { MachoError } from './errors.js';

export interface CodeDirectory {
  version: number;
  flags: number;
  hashOffset: number;
  identifier: string;
  teamId?: string;
  nSpecialSlots: number;
  nCodeSlots: number;
  /** The effective code limit (codeLimit64 when set). */
  codeLimit: number;
  hashSize: number;
  hashType: number;
  platform: number;
  pageSizeLog2: number;
  execSegBase?: number;
  execSegLimit?: number;
  execSegFlags?: number;
  /** Hardened-runtime minimum SDK version (≥ 0x20500). */
  runtime?: number;
  /** The whole blob (for the cdhash). */
  bytes: Uint8Array;
}

export function parseCodeDirectory(blob: Uint8Array): CodeDirectory {
  need(blob, 0, 44, 'CodeDirectory');
  if (u32be(blob, 0) !== CSMAGIC_CODEDIRECTORY) throw new MachoError('MACHO_LAYOUT', 'not a CodeDirectory blob');
  const version = u32be(blob, 8);
  const cd: CodeDirectory = {
    version,
    flags: u32be(blob, 12),
    hashOffset: u32be(blob, 16),
    identifier: cString(blob, u32be(blob, 20)),
    nSpecialSlots: u32be(blob, 24),
    nCodeSlots: u32be(blob, 28),
    codeLimit: u32be(blob, 32),
    hashSize: blob[36]!,
    hashType: blob[37]!,
    platform: blob[38]!,
    pageSizeLog2: blob[39]!,
    bytes: blob,
  };
  need(blob, u32be(blob, 20), 1, 'CodeDirectory identifier');
  if (version >= CS_SUPPORTSTEAMID) {
    need(blob, 0, 52, 'CodeDirectory team offset');
    const teamOffset = u32be(blob, 48);
    if (teamOffset !== 0) cd.teamId = cString(blob, teamOffset);
  }
  if (version >= CS_SUPPORTSCODELIMIT64) {
    need(blob, 0, 64, 'CodeDirectory codeLimit64');
    const limit64 = u64be(blob, 56);
    if (limit64 !== 0) cd.codeLimit = limit64;
  }
  if (version >= CS_SUPPORTSEXECSEG) {
    need(blob, 0, 88, 'CodeDirectory exec segment');
    cd.execSegBase = u64be(blob, 64);
    cd.execSegLimit = u64be(blob, 72);
    cd.execSegFlags = u64be(blob, 80);
  }
  if (version >= CS_SUPPORTSRUNTIME) {
    need(blob, 0, 92, 'CodeDirectory runtime');
    cd.runtime = u32be(blob, 88);
  }
  need(blob, cd.hashOffset - cd.nSpecialSlots * cd.hashSize, (cd.nSpecialSlots + cd.nCodeSlots) * cd.hashSize, 'CodeDirectory hash slots');
  return cd;
}

/** Special slot −k (1-based). */
export function specialSlot(cd: CodeDirectory, k: number): Uint8Array {
  const o = cd.hashOffset - k * cd.hashSize;
  return cd.bytes.subarray(o, o + cd.hashSize);
}

export function codeSlot(cd: CodeDirectory, i: number): Uint8Array {
  const o = cd.hashOffset + i * cd.hashSize;
  return cd.bytes.subarray(o, o + cd.hashSize);
}

export interface CodeDirectoryInput {
  flags: number;
  identifier: string;
  hashType: number;
  hashSize: number;
  pageSizeLog2: number;
  codeLimit: number;
  execSegBase: number;
  execSegLimit: number;
  execSegFlags: number;
  /** Special slots 1..n, in order (index 0 is slot −1). */
  specialSlots: Uint8Array[];
  codeSlots: Uint8Array[];
}

/** A version 0x20400 CodeDirectory, the version codesign writes for a plain ad-hoc signature. */
export function buildCodeDirectory(input: CodeDirectoryInput): Uint8Array {
  const ident = Buffer.from(`${input.identifier}\0`, 'latin1');
  const identOffset = CODE_DIRECTORY_20400_SIZE;
  const hashOffset = identOffset + ident.byteLength + input.specialSlots.length * input.hashSize;
  const length = hashOffset + input.codeSlots.length * input.hashSize;
  const b = new Uint8Array(length);
  const v = view(b);
  const fits32 = input.codeLimit <= 0xffffffff;
  v.setUint32(0, CSMAGIC_CODEDIRECTORY, false);
  v.setUint32(4, length, false);
  v.setUint32(8, CS_SUPPORTSEXECSEG, false);
  v.setUint32(12, input.flags, false);
  v.setUint32(16, hashOffset, false);
  v.setUint32(20, identOffset, false);
  v.setUint32(24, input.specialSlots.length, false);
  v.setUint32(28, input.codeSlots.length, false);
  v.setUint32(32, fits32 ? input.codeLimit : 0, false);
  b[36] = input.hashSize;
  b[37] = input.hashType;
  b[38] = 0; // platform
  b[39] = input.pageSizeLog2;
  // 40 spare2, 44 scatterOffset, 48 teamOffset, 52 spare3: all zero.
  v.setBigUint64(56, fits32 ? 0n : BigInt(input.codeLimit), false);
  v.setBigUint64(64, BigInt(input.execSegBase), false);
  v.setBigUint64(72, BigInt(input.execSegLimit), false);
  v.setBigUint64(80, BigInt(input.execSegFlags), false);
  b.set(ident, identOffset);
  input.specialSlots.forEach((h, i) => b.set(h, hashOffset - (i + 1) * input.hashSize));
  input.codeSlots.forEach((h, i) => b.set(h, hashOffset + i * input.hashSize));
  return b;
}
