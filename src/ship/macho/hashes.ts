/** The CodeDirectory hash types and page hashing (node:crypto). */
import { createHash } from 'node:crypto';
import { CS_HASHTYPE_SHA1, CS_HASHTYPE_SHA256, CS_HASHTYPE_SHA256_TRUNCATED, CS_HASHTYPE_SHA384 } from './constants.js';

const HASH_TYPES: Record<number, { algorithm: string; size: number; name: string }> = {
  [CS_HASHTYPE_SHA1]: { algorithm: 'sha1', size: 20, name: 'sha1' },
  [CS_HASHTYPE_SHA256]: { algorithm: 'sha256', size: 32, name: 'sha256' },
  [CS_HASHTYPE_SHA256_TRUNCATED]: { algorithm: 'sha256', size: 20, name: 'sha256-truncated' },
  [CS_HASHTYPE_SHA384]: { algorithm: 'sha384', size: 48, name: 'sha384' },
};

export function hashTypeInfo(hashType: number): { algorithm: string; size: number; name: string } | undefined {
  return HASH_TYPES[hashType];
}

/** The digest a CodeDirectory of `hashType` stores for `data` (truncated to the type's size). */
export function digest(hashType: number, data: Uint8Array): Uint8Array {
  const info = HASH_TYPES[hashType];
  if (!info) throw new Error(`unknown hash type ${hashType}`);
  return new Uint8Array(createHash(info.algorithm).update(data).digest().subarray(0, info.size));
}

/** Hashes `bin[0, codeLimit)` in pages of `pageSize` bytes (the last page may be short). */
export function hashPages(bin: Uint8Array, codeLimit: number, pageSize: number, hashType: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < codeLimit; o += pageSize) out.push(digest(hashType, bin.subarray(o, Math.min(o + pageSize, codeLimit))));
  return out;
}
