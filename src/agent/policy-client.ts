/**
 * The daemon's policy source: fetch (policy-fetch.ts), judge, apply, remember (policy-cache.ts).
 *
 *   const client = new PolicyClient({ source, publicKeys, stateDir });   // CONFIG_INVALID on a bad key/caFile
 *   client.loadLastKnownGood();   // at start-up: the cached policy, re-verified from disk (or null)
 *   const outcome = await client.refresh();   // on the schedule; never throws for network or policy trouble
 *   client.current();             // what to enforce now (null until something was applied)
 *
 * Rules, in the order they are checked on a fetched policy:
 *   too-large             more than `maxBytes` (1 MiB), cut off while streaming
 *   unsigned | bad-signature | unknown-key | malformed-signature
 *                         only when `publicKeys` is not empty: then only a policy signed by one of them
 *                         applies. With no key pinned, unsigned policies apply and the outcome carries a
 *                         warning: whoever can change the source then controls ANTHROPIC_BASE_URL.
 *   unchanged             same bytes as the policy applied now (or HTTP 304 to our If-None-Match)
 *   invalid               not UTF-8, not JSONC, or against the policy schema (parsePolicyText)
 *   rollback              `version` lower than the highest applied for that policy id, or the same version
 *                         with different bytes (a changed policy must bump its version). The ratchet is
 *                         persisted in the state dir and survives restarts.
 * A rejected or unreachable policy leaves the last-known-good one in force (fail-static). A policy past its
 * `expiresAt` is applied and kept all the same, with `expired: true` (report policy-expired; never fail-open).
 * Calls to refresh() run one at a time. `loadLastKnownGood` runs implicitly before the first refresh (so the
 * ratchet always holds). Why a cache was ignored: `lastCacheProblem`.
 *
 * `loadVerifiedPolicy(source, …)` is the one-shot form for `ccfleet check/repair` when the agent config pins
 * keys: fetch, verify, parse, or a CcfleetError (POLICY_SIGNATURE for a signature problem; exit 2).
 */
import { createHash } from 'node:crypto';
import { CcfleetError, isCcfleetError } from '../core/errors.js';
import { parsePolicyText } from '../core/policy-load.js';
import type { Policy } from '../core/policy-schema.js';
import { trustFromCaFile } from './ca-bundle.js';
import { policyCacheDir, readPolicyCache, writePolicyCache, writePolicyMeta, type PolicyMeta } from './policy-cache.js';
import { fetchPolicy, isHttpSource, showUrl, type SignatureFetch } from './policy-fetch.js';
import { policyText } from './policy-bytes.js';
import { parsePublicKey, verifyPolicy, type VerifyCode } from './policy-signing.js';

export interface PolicyClientOptions {
  /** A policy file path or an http(s) URL. */
  source: string;
  /** Pinned ed25519 public keys (base64 raw or PEM); empty: unsigned policies apply. */
  publicKeys: string[];
  stateDir: string;
  /** Per HTTP request (connect + TLS + headers + body); default 15 s. */
  timeoutMs?: number;
  /** Largest policy accepted; default 1 MiB. */
  maxBytes?: number;
  /** Extra trusted CAs (PEM file) on top of Node's defaults. */
  caFile?: string;
  /** Where the signature is (file path or URL), instead of the ccfleet-signature header or <source>.sig. */
  signatureUrl?: string;
  now?: () => Date;
  /** Extra request headers (e.g. a device token), sent to the policy's own origin only. */
  headers?: Readonly<Record<string, string>>;
  userAgent?: string;
}

export interface AppliedPolicy {
  policy: Policy;
  /** The exact bytes that were verified. */
  bytes: Buffer;
  /** sha256 of `bytes`, hex. */
  digest: string;
  /** The pinned key that signed it; null when applied without a signature check (no key pinned). */
  keyId: string | null;
  source: string;
  /** `expiresAt` is in the past (still enforced: report policy-expired). */
  expired: boolean;
}

export type RejectCode = VerifyCode | 'rollback' | 'invalid' | 'too-large';

export type RefreshOutcome =
  | { kind: 'updated'; applied: AppliedPolicy; previousVersion: number | null; warnings?: string[] }
  | { kind: 'unchanged'; applied: AppliedPolicy }
  | { kind: 'rejected'; code: RejectCode; message: string; applied: AppliedPolicy | null }
  | { kind: 'unreachable'; message: string; retryable: boolean; applied: AppliedPolicy | null };

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_BYTES = 1024 * 1024;

const UNSIGNED_WARNING = 'applied without a signature check: no policyPublicKeys are pinned, so whoever can change the policy source controls where every developer\'s code is sent (ANTHROPIC_BASE_URL) — pin a key (ccfleet policy keygen)';

interface Ratchet {
  highestVersion: Record<string, number>;
  highestDigest: Record<string, string>;
}

export class PolicyClient {
  private readonly keys: string[];
  private readonly ca: string[] | undefined;
  private readonly dir: string;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly now: () => Date;
  private applied: AppliedPolicy | null = null;
  private meta: PolicyMeta | null = null;
  private ratchet: Ratchet = { highestVersion: {}, highestDigest: {} };
  private loaded = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Why the cache on disk was not used by the last loadLastKnownGood (null: used, or there was none). */
  lastCacheProblem: string | null = null;

  constructor(private readonly o: PolicyClientOptions) {
    this.keys = o.publicKeys.map((k, i) => {
      try {
        return parsePublicKey(k);
      } catch (e) {
        throw new CcfleetError('CONFIG_INVALID', `policyPublicKeys.${i}: ${(e as Error).message}`);
      }
    });
    this.ca = trustFromCaFile(o.caFile);
    this.dir = policyCacheDir(o.stateDir);
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    this.now = o.now ?? (() => new Date());
  }

  /** The policy to enforce now, `expired` as of now; null until one was applied or loaded. */
  current(): AppliedPolicy | null {
    return this.applied ? { ...this.applied, expired: this.isExpired(this.applied.policy) } : null;
  }

  loadLastKnownGood(): AppliedPolicy | null {
    this.loaded = true;
    const c = readPolicyCache(this.dir, this.maxBytes);
    this.lastCacheProblem = c.problem;
    this.meta = c.meta;
    if (c.meta) this.ratchet = { highestVersion: { ...c.meta.highestVersion }, highestDigest: { ...c.meta.highestDigest } };
    if (!c.meta || !c.bytes) return this.current();
    const ignore = (why: string): AppliedPolicy | null => {
      this.lastCacheProblem = `cached policy ignored: ${why}`;
      return this.current();
    };
    const digest = sha256(c.bytes);
    if (digest !== c.meta.digest) return ignore('current.json does not match the digest recorded in meta.json (changed on disk, or a write was interrupted)');
    let keyId: string | null = null;
    if (this.keys.length > 0) {
      const v = verifyPolicy(c.bytes, c.sig, this.keys);
      if (!v.ok) return ignore(`${v.code}: ${v.message}`);
      keyId = v.keyId;
    }
    const judged = this.parse(c.bytes, 'cached policy');
    if (!judged.ok) return ignore(judged.message);
    const p = judged.policy;
    if (p.id !== c.meta.id || p.version !== c.meta.version) return ignore('meta.json records another policy id or version');
    const rb = this.rollback(p, digest);
    if (rb) return ignore(rb);
    this.applied = { policy: p, bytes: c.bytes, digest, keyId, source: c.meta.source, expired: this.isExpired(p) };
    return this.current();
  }

  /** Fetches the source once and applies what passes the rules. Never throws for network or policy trouble. */
  refresh(signal?: AbortSignal): Promise<RefreshOutcome> {
    const run = this.queue.then(() => this.refreshNow(signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async refreshNow(signal: AbortSignal | undefined): Promise<RefreshOutcome> {
    if (!this.loaded) this.loadLastKnownGood();
    const { source } = this.o;
    const held = this.applied && this.applied.source === source && this.meta?.etag && this.meta.digest === this.applied.digest ? this.meta.etag : null;
    const r = await fetchPolicy(source, {
      timeoutMs: this.timeoutMs,
      maxBytes: this.maxBytes,
      wantSignature: this.keys.length > 0,
      signatureUrl: this.o.signatureUrl,
      etag: held,
      ca: this.ca,
      headers: this.o.headers,
      userAgent: this.o.userAgent,
      signal,
    });
    const rejected = (code: RejectCode, message: string): RefreshOutcome => ({ kind: 'rejected', code, message, applied: this.current() });
    switch (r.kind) {
      case 'not-modified':
        return this.applied ? { kind: 'unchanged', applied: this.current()! } : { kind: 'unreachable', message: `${label(source)}: HTTP 304 without a policy held`, retryable: false, applied: null };
      case 'too-large':
        return rejected('too-large', r.message);
      case 'unreachable':
        return { kind: 'unreachable', message: r.message, retryable: r.retryable, applied: this.current() };
    }
    const digest = sha256(r.bytes);
    let keyId: string | null = null;
    let sigBytes: Buffer | null = null;
    if (this.keys.length > 0) {
      const v = judgeSignature(r.bytes, r.signature, this.keys);
      if (!v.ok) return rejected(v.code, `${label(source)}: ${v.message}`);
      keyId = v.keyId;
      sigBytes = r.signature?.kind === 'found' ? r.signature.bytes : null;
    }
    if (this.applied && digest === this.applied.digest) {
      this.remember(r.etag, keyId, sigBytes);
      return { kind: 'unchanged', applied: this.current()! };
    }
    const judged = this.parse(r.bytes, label(source));
    if (!judged.ok) return rejected('invalid', judged.message);
    const policy = judged.policy;
    const rb = this.rollback(policy, digest);
    if (rb) return rejected('rollback', `${label(source)}: ${rb}`);

    const previousVersion = this.applied?.policy.version ?? null;
    this.applied = { policy, bytes: r.bytes, digest, keyId, source, expired: this.isExpired(policy) };
    const hv = this.ratchet.highestVersion[policy.id];
    if (hv === undefined || policy.version > hv) {
      this.ratchet.highestVersion[policy.id] = policy.version;
      this.ratchet.highestDigest[policy.id] = digest;
    }
    const warnings: string[] = [];
    if (this.keys.length === 0) warnings.push(UNSIGNED_WARNING);
    const meta: PolicyMeta = {
      etag: r.etag,
      source,
      digest,
      version: policy.version,
      id: policy.id,
      keyId,
      appliedAt: this.now().toISOString(),
      highestVersion: { ...this.ratchet.highestVersion },
      highestDigest: { ...this.ratchet.highestDigest },
    };
    try {
      writePolicyCache(this.dir, r.bytes, sigBytes, meta);
      this.meta = meta;
    } catch (e) {
      this.meta = null;
      warnings.push(`applied, but the policy cache could not be saved (the next start-up will not have it, and the version ratchet is not persisted): ${isCcfleetError(e) ? e.message : String(e)}`);
    }
    return { kind: 'updated', applied: this.current()!, previousVersion, ...(warnings.length ? { warnings } : {}) };
  }

  /** Same bytes again: keep a new ETag or a new signature (a re-signing with a rotated key) for the next start-up. */
  private remember(etag: string | null, keyId: string | null, sig: Buffer | null): void {
    const cur = this.applied!;
    const newKey = keyId !== null && keyId !== cur.keyId;
    if (newKey) this.applied = { ...cur, keyId };
    if (!this.meta || (this.meta.etag === etag && !newKey)) return;
    const meta: PolicyMeta = { ...this.meta, etag, keyId: this.applied!.keyId, source: this.o.source };
    try {
      if (newKey) writePolicyCache(this.dir, cur.bytes, sig, meta);
      else writePolicyMeta(this.dir, meta);
      this.meta = meta;
    } catch {
      // Best effort: the ETag only saves bytes; the old signature still verifies while its key is pinned.
    }
  }

  private parse(bytes: Buffer, where: string): { ok: true; policy: Policy } | { ok: false; message: string } {
    const text = policyText(bytes);
    if (text === null) return { ok: false, message: `${where}: the policy is not UTF-8 text` };
    try {
      return { ok: true, policy: parsePolicyText(text, where) };
    } catch (e) {
      if (isCcfleetError(e)) return { ok: false, message: e.message.split('\n').join('; ') };
      throw e;
    }
  }

  /** Why this policy would roll the ratchet back, or null. */
  private rollback(p: Policy, digest: string): string | null {
    const hv = this.ratchet.highestVersion[p.id];
    if (hv === undefined) return null;
    if (p.version < hv) return `policy ${p.id} version ${p.version} is lower than version ${hv} already applied (rollback refused)`;
    const hd = this.ratchet.highestDigest[p.id];
    if (p.version === hv && hd !== undefined && hd !== digest) {
      return `policy ${p.id} version ${p.version} was already applied with different content: a changed policy must have a higher version`;
    }
    return null;
  }

  private isExpired(p: Policy): boolean {
    return p.expiresAt !== undefined && Date.parse(p.expiresAt) <= this.now().getTime();
  }
}

/** One-shot fetch + verify + parse for the CLI when keys are pinned. Throws CcfleetError. */
export async function loadVerifiedPolicy(
  source: string,
  o: { publicKeys: string[]; signatureUrl?: string; caFile?: string; timeoutMs?: number; maxBytes?: number },
): Promise<Policy> {
  const keys = o.publicKeys.map(parsePublicKey);
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
  const r = await fetchPolicy(source, { timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBytes, wantSignature: true, signatureUrl: o.signatureUrl, ca: trustFromCaFile(o.caFile) });
  if (r.kind === 'unreachable') throw new CcfleetError(r.notFound ? 'POLICY_NOT_FOUND' : 'POLICY_UNREADABLE', r.message, { retryable: r.retryable });
  if (r.kind === 'too-large') throw new CcfleetError('POLICY_UNREADABLE', r.message);
  if (r.kind === 'not-modified') throw new CcfleetError('INTERNAL', `${label(source)}: HTTP 304 to a request without If-None-Match`);
  const v = judgeSignature(r.bytes, r.signature, keys);
  if (!v.ok) throw new CcfleetError('POLICY_SIGNATURE', `${label(source)}: ${v.code}: ${v.message} (the agent config pins policyPublicKeys)`);
  const text = policyText(r.bytes);
  if (text === null) throw new CcfleetError('POLICY_UNREADABLE', `${label(source)}: policy is not UTF-8 text`);
  return parsePolicyText(text, label(source));
}

/** A fetched signature (or its absence) against the pinned keys. */
export function judgeSignature(bytes: Buffer, sig: SignatureFetch | null, keys: readonly string[]): { ok: true; keyId: string } | { ok: false; code: VerifyCode; message: string } {
  if (sig?.kind === 'malformed') return { ok: false, code: 'malformed-signature', message: sig.message };
  if (!sig || sig.kind === 'none') return { ok: false, code: 'unsigned', message: `no signature (looked for ${sig?.where ?? 'one'})` };
  const v = verifyPolicy(bytes, sig.bytes, keys);
  return v.ok ? v : { ok: false, code: v.code, message: `${v.message} (signature from ${sig.where})` };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const label = (source: string): string => (isHttpSource(source) ? showUrl(source) : source);
