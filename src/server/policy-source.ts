/**
 * The policy `GET /v1/policy` serves: exact bytes, their signature, and an ETag.
 *
 *   folder   `--policy-dir <dir>`: every `<name>.json` (or `.jsonc`) with its detached signature
 *            `<name>.json.sig` beside it; the valid one with the highest `version` is served (a tie goes to
 *            the last name in sort order). A file without a signature counts only with `allowUnsigned`;
 *            an invalid policy or a malformed signature is skipped with a warning. Re-read when the folder
 *            changes (fs.watch, debounced) and on `reload()` (SIGHUP); names starting with "." are ignored,
 *            symlinks are followed (Kubernetes ConfigMap mounts are symlinks).
 *   file     `--policy <file>` with `--signing-key <pem>`: signed in memory at start (and on reload);
 *            without a key, `<file>.sig` is served when it exists, else only with `allowUnsigned`.
 * A policy is validated (core/policy-load.ts) before it is served, never after; a reload that finds nothing
 * valid keeps serving what it served (logged), except that an emptied folder serves nothing.
 * The server cannot judge a signature (agents pin the keys): a forged or stale `.sig` is the agents' to refuse.
 *
 * ETag: the quoted sha256 (hex) of the policy bytes — of the bytes followed by "\n" and the signature header
 * when signed, so a policy re-signed with a new key (rotation) is fetched again rather than answered 304.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CcfleetError, isCcfleetError } from '../core/errors.js';
import { parsePolicyText } from '../core/policy-load.js';
import { readFileCapped, policyText } from '../agent/policy-bytes.js';
import { encodeSignatureHeader, MAX_SIGNATURE_BYTES, parseSignatureDoc, signPolicy, type SignatureDoc } from '../agent/policy-signing.js';
import type { ServerLog } from './log.js';

export const MAX_POLICY_BYTES = 1024 * 1024;

export interface ServedPolicy {
  /** Exactly the bytes that were signed. */
  bytes: Buffer;
  id: string;
  version: number;
  /** sha256 of `bytes`, hex. */
  digest: string;
  /** Quoted, as sent in the ETag header. */
  etag: string;
  /** The `ccfleet-signature` header value (base64url of the signature document); null when unsigned. */
  signature: string | null;
  keyId: string | null;
  /** Where it came from (a file path), for logs. */
  source: string;
}

export interface PolicySource {
  /** What to serve now; null: no policy (404). Cheap: called on every policy request. */
  current(): ServedPolicy | null;
  /** Read again (SIGHUP). Never throws: a failure is logged and the current policy stays. */
  reload(): void;
  close(): void;
}

/** Validates `bytes` as a policy and builds what is served. CcfleetError (POLICY_*) when invalid. */
export function servedPolicy(bytes: Buffer, sig: SignatureDoc | null, source: string): ServedPolicy {
  const text = policyText(bytes);
  if (text === null) throw new CcfleetError('POLICY_UNREADABLE', `${source}: the policy is not UTF-8 text`);
  const policy = parsePolicyText(text, source);
  const digest = createHash('sha256').update(bytes).digest('hex');
  const signature = sig ? encodeSignatureHeader(sig) : null;
  const tag = signature === null ? digest : createHash('sha256').update(bytes).update('\n').update(signature).digest('hex');
  return { bytes, id: policy.id, version: policy.version, digest, etag: `"${tag}"`, signature, keyId: sig?.keyId ?? null, source };
}

/** A fixed policy (or none): tests and embedding. */
export function staticPolicy(p: ServedPolicy | null): PolicySource {
  return { current: () => p, reload: () => undefined, close: () => undefined };
}

export interface FilePolicyOptions {
  file: string;
  /** PKCS#8 PEM of the ed25519 signing key: sign in memory. */
  signingKeyPem?: string;
  allowUnsigned?: boolean;
  log: ServerLog;
  /** Re-read when the file changes (default true). */
  watch?: boolean;
}

/** `--policy <file>` [+ `--signing-key`]. Throws CcfleetError when the first read fails. */
export function filePolicy(o: FilePolicyOptions): PolicySource {
  const load = (): ServedPolicy => {
    const bytes = readPolicyBytes(o.file);
    if (o.signingKeyPem !== undefined) {
      servedPolicy(bytes, null, o.file); // validate before signing: an invalid policy is never signed
      return servedPolicy(bytes, signPolicy(bytes, o.signingKeyPem), o.file);
    }
    const sig = readSignature(`${o.file}.sig`);
    if (sig === null && !o.allowUnsigned) {
      throw new CcfleetError('POLICY_SIGNATURE', `${o.file} is not signed: pass --signing-key <pem>, put ${path.basename(o.file)}.sig beside it (ccfleet policy sign), or --allow-unsigned`);
    }
    return servedPolicy(bytes, sig, o.file);
  };
  return new ReloadingSource(o.log, load, o.watch === false ? null : { dir: path.dirname(path.resolve(o.file)), names: new Set([path.basename(o.file), `${path.basename(o.file)}.sig`]) });
}

export interface FolderPolicyOptions {
  dir: string;
  allowUnsigned?: boolean;
  log: ServerLog;
  watch?: boolean;
}

/** `--policy-dir <dir>`. Throws CcfleetError when the folder cannot be read at start. */
export function folderPolicy(o: FolderPolicyOptions): PolicySource {
  const load = (): ServedPolicy | null => {
    let names: string[];
    try {
      names = fs.readdirSync(o.dir);
    } catch (e) {
      throw new CcfleetError('CONFIG_INVALID', `--policy-dir ${o.dir}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    let best: ServedPolicy | null = null;
    for (const name of names.sort()) {
      if (name.startsWith('.') || !/\.jsonc?$/.test(name)) continue;
      const file = path.join(o.dir, name);
      try {
        const sig = readSignature(`${file}.sig`);
        if (sig === null && !o.allowUnsigned) {
          o.log.warn(`policy folder: ${name} has no signature (${name}.sig): skipped (--allow-unsigned serves unsigned policies)`);
          continue;
        }
        const p = servedPolicy(readPolicyBytes(file), sig, file);
        if (best === null || p.version >= best.version) best = p;
      } catch (e) {
        if (!isCcfleetError(e)) throw e;
        o.log.warn(`policy folder: ${name} skipped: ${e.message.split('\n').join('; ')}`);
      }
    }
    return best;
  };
  return new ReloadingSource(o.log, load, o.watch === false ? null : { dir: o.dir, names: null }, true);
}

class ReloadingSource implements PolicySource {
  private served: ServedPolicy | null;
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: ServerLog,
    private readonly load: () => ServedPolicy | null,
    watch: { dir: string; names: Set<string> | null } | null,
    /** A load that finds nothing serves nothing (folder); otherwise the current policy stays. */
    private readonly emptyServesNothing = false,
  ) {
    this.served = load();
    this.announce(null);
    if (watch) this.watch(watch.dir, watch.names);
  }

  current(): ServedPolicy | null {
    return this.served;
  }

  reload(): void {
    const before = this.served;
    try {
      const next = this.load();
      if (next === null && !this.emptyServesNothing) return;
      this.served = next;
    } catch (e) {
      this.log.error(`policy reload failed, still serving ${before ? `${before.id} version ${before.version}` : 'no policy'}: ${(e as Error).message.split('\n').join('; ')}`);
      return;
    }
    this.announce(before);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
  }

  private announce(before: ServedPolicy | null): void {
    const p = this.served;
    if (p === before || (p && before && p.etag === before.etag)) return;
    if (p === null) {
      this.log.warn('no policy to serve: GET /v1/policy answers 404');
      return;
    }
    const meta = { id: p.id, version: p.version, digest: p.digest, keyId: p.keyId, source: p.source };
    if (p.signature === null) this.log.warn(`serving policy ${p.id} version ${p.version} UNSIGNED (--allow-unsigned): agents that pin keys will refuse it, and whoever can change it controls where every developer's code is sent`, meta);
    else this.log.info(`serving policy ${p.id} version ${p.version}`, meta);
  }

  private watch(dir: string, names: Set<string> | null): void {
    try {
      this.watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
        if (names && name !== null && !names.has(String(name)) && !String(name).startsWith('..')) return;
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.timer = null;
          this.reload();
        }, 200);
        this.timer.unref();
      });
      this.watcher.on('error', (e) => {
        this.log.warn(`policy watch on ${dir} stopped (${e.message}); SIGHUP still reloads`);
        this.watcher?.close();
        this.watcher = null;
      });
    } catch (e) {
      this.log.warn(`cannot watch ${dir} for policy changes (${(e as Error).message}); SIGHUP reloads`);
    }
  }
}

function readPolicyBytes(file: string): Buffer {
  const r = readFileCapped(file, MAX_POLICY_BYTES);
  if (r.kind === 'bytes') return r.bytes;
  if (r.kind === 'missing') throw new CcfleetError('POLICY_NOT_FOUND', `${file}: policy file not found`);
  throw new CcfleetError('POLICY_UNREADABLE', r.message);
}

/** The signature document at `file`, null when there is none; CcfleetError when it is not one. */
function readSignature(file: string): SignatureDoc | null {
  const r = readFileCapped(file, MAX_SIGNATURE_BYTES);
  if (r.kind === 'missing') return null;
  if (r.kind !== 'bytes') throw new CcfleetError('POLICY_SIGNATURE', `${file}: ${r.kind === 'too-large' ? 'too large to be a signature document' : r.message}`);
  const d = parseSignatureDoc(r.bytes);
  if (!d.ok) throw new CcfleetError('POLICY_SIGNATURE', `${file}: ${d.message}`);
  return d.doc;
}
