/**
 * The policy client's state on disk, `<stateDir>/policy/` (folder 0700, files 0600, each written
 * atomically: temp + fsync + rename + folder fsync — see private-file.ts):
 *   current.json  the exact bytes of the last-known-good policy
 *   current.sig   its signature document (absent when it was applied unsigned)
 *   meta.json     { etag, source, digest, version, id, keyId, appliedAt, highestVersion, highestDigest }
 * `highestVersion` is the rollback ratchet: policy id → the highest version ever applied for that id;
 * `highestDigest`: policy id → the sha256 of the bytes applied at that version (the same version with other
 * bytes is refused too). meta.json is written last, so a crash in between leaves a digest that does not
 * match current.json: that cache is then ignored (the ratchet in meta.json still holds).
 * Reading never throws: a missing, foreign or unreadable cache comes back as a `problem` in words.
 */
import path from 'node:path';
import fs from 'node:fs';
import { z } from 'zod';
import { isCcfleetError } from '../core/errors.js';
import { readFileCapped } from './policy-bytes.js';
import { MAX_SIGNATURE_BYTES } from './policy-signing.js';
import { ensurePrivateDir, privateDirExists, removeStaleTemps, writePrivateFileAtomic } from './private-file.js';
import { fsyncDir } from './fsync.js';

const metaSchema = z.object({
  etag: z.string().nullable(),
  source: z.string(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  version: z.number().int().min(0),
  id: z.string().min(1),
  keyId: z.string().nullable(),
  appliedAt: z.string(),
  highestVersion: z.record(z.string(), z.number().int().min(0)),
  highestDigest: z.record(z.string(), z.string()).default({}),
});

export type PolicyMeta = z.output<typeof metaSchema>;

export interface CacheRead {
  /** null when absent or unreadable (then the ratchet starts empty). */
  meta: PolicyMeta | null;
  bytes: Buffer | null;
  sig: Buffer | null;
  /** Why the cache (or part of it) could not be used; null when it was all there or simply absent. */
  problem: string | null;
}

const NAMES = /^(current\.json|current\.sig|meta\.json)$/;

export const policyCacheDir = (stateDir: string): string => path.join(stateDir, 'policy');

export function readPolicyCache(dir: string, maxBytes: number): CacheRead {
  try {
    if (!privateDirExists(dir)) return { meta: null, bytes: null, sig: null, problem: null };
  } catch (e) {
    return { meta: null, bytes: null, sig: null, problem: isCcfleetError(e) ? e.message : String(e) };
  }
  const problems: string[] = [];
  let meta: PolicyMeta | null = null;
  const m = readFileCapped(path.join(dir, 'meta.json'), 64 * 1024);
  if (m.kind === 'bytes') {
    let raw: unknown;
    try {
      raw = JSON.parse(m.bytes.toString('utf8'));
    } catch {
      raw = undefined;
    }
    const r = metaSchema.safeParse(raw);
    if (r.success) meta = r.data;
    else problems.push('meta.json is not a valid cache record');
  } else if (m.kind !== 'missing') problems.push(m.message);
  const b = readFileCapped(path.join(dir, 'current.json'), maxBytes);
  const bytes = b.kind === 'bytes' ? b.bytes : null;
  if (b.kind !== 'bytes' && (b.kind !== 'missing' || meta !== null)) problems.push(b.message);
  const s = readFileCapped(path.join(dir, 'current.sig'), MAX_SIGNATURE_BYTES);
  const sig = s.kind === 'bytes' ? s.bytes : null;
  if (s.kind !== 'bytes' && s.kind !== 'missing') problems.push(s.message);
  return { meta, bytes, sig, problem: problems.length ? problems.join('; ') : null };
}

/** Stores a newly applied policy. Throws CcfleetError WRITE_FAILED / WRITE_REFUSED. */
export function writePolicyCache(dir: string, bytes: Buffer, sig: Buffer | null, meta: PolicyMeta): void {
  const parents = ensurePrivateDir(dir);
  for (const p of parents) fsyncDir(p);
  removeStaleTemps(dir, NAMES);
  writePrivateFileAtomic(path.join(dir, 'current.json'), bytes);
  if (sig) writePrivateFileAtomic(path.join(dir, 'current.sig'), sig);
  else fs.rmSync(path.join(dir, 'current.sig'), { force: true });
  writePolicyMeta(dir, meta);
}

/** Rewrites meta.json alone (a new ETag for the same bytes). */
export function writePolicyMeta(dir: string, meta: PolicyMeta): void {
  ensurePrivateDir(dir);
  writePrivateFileAtomic(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
}
