/**
 * The policy author's signing tools (docs/policy-signing.md):
 *   ccfleet policy keygen --out <dir>
 *       writes <dir>/ccfleet-policy.key (PKCS#8 PEM, 0600) and <dir>/ccfleet-policy.pub (base64 raw key),
 *       prints the public key and its key id; never overwrites either file. Exit 0, or 2.
 *   ccfleet policy sign <policy-file> --key <private.pem> [--out <file.sig>] [--force]
 *       validates the policy first (an invalid policy is never signed; one with lint errors only with
 *       --force), then writes the detached signature document (default <policy-file>.sig). Exit 0, or 2.
 *   ccfleet policy verify <policy-file-or-url> [--sig <file-or-url>] (--public-key <key>... | --config <agent.json>)
 *       Exit 0 a valid signature by a pinned key, 1 not (unsigned, bad signature, unknown key, malformed),
 *       2 usage, unreadable policy, or a validly signed policy that is not a valid policy.
 * `--json`: one document on stdout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CcfleetError } from '../../core/errors.js';
import { lintPolicy } from '../../core/lint.js';
import { parsePolicyText } from '../../core/policy-load.js';
import type { Policy } from '../../core/policy-schema.js';
import { loadAgentConfig } from '../../agent/agent-config.js';
import { policyText, readFileCapped } from '../../agent/policy-bytes.js';
import { createPrivateFileAtomic } from '../../agent/private-file.js';
import { generateKeyPair, parsePublicKey, serializeSignatureDoc, signPolicy } from '../../agent/policy-signing.js';
import type { CommonOptions } from '../args.js';
import type { CommandResult } from './result.js';

export type PolicyExtra = Record<string, string | boolean | string[] | undefined>;

export const KEY_FILE = 'ccfleet-policy.key';
export const PUB_FILE = 'ccfleet-policy.pub';
const MAX_POLICY = 1024 * 1024;

export function keygenCommand(args: string[], opts: CommonOptions, extra: PolicyExtra): CommandResult {
  if (args.length) throw usage('keygen', `unexpected argument "${args[0]}"`);
  const out = str(extra.out, '--out');
  if (out === undefined) throw usage('keygen', '--out <dir> is required');
  try {
    fs.mkdirSync(out, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CcfleetError('USAGE', `--out ${out}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!fs.statSync(out).isDirectory()) throw new CcfleetError('USAGE', `--out ${out}: not a folder`);
  const keyFile = path.join(out, KEY_FILE);
  const pubFile = path.join(out, PUB_FILE);
  for (const f of [keyFile, pubFile]) if (fs.existsSync(f)) throw new CcfleetError('USAGE', `${f} exists: refusing to overwrite a key (choose another --out folder)`);
  const kp = generateKeyPair();
  if (createPrivateFileAtomic(out, kp.privateKeyPem, (i) => (i === 0 ? KEY_FILE : null)) === null) {
    throw new CcfleetError('USAGE', `${keyFile} exists: refusing to overwrite a key`);
  }
  try {
    fs.writeFileSync(pubFile, kp.publicKey + '\n', { flag: 'wx', mode: 0o644 });
  } catch (e) {
    throw new CcfleetError('WRITE_FAILED', `${pubFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (opts.json) return json(0, { publicKey: kp.publicKey, keyId: kp.keyId, privateKeyFile: keyFile, publicKeyFile: pubFile });
  return {
    exitCode: 0,
    stdout:
      `public key: ${kp.publicKey}\nkey id:     ${kp.keyId}\n` +
      `private key written to ${keyFile} (mode 0600: keep it secret, off the laptops), public key to ${pubFile}\n` +
      `agent config: "policyPublicKeys": ["${kp.publicKey}"]\n`,
  };
}

export function signCommand(args: string[], opts: CommonOptions, extra: PolicyExtra): CommandResult {
  const [file, ...more] = args;
  if (!file || more.length) throw usage('sign', file ? `unexpected argument "${more[0]}"` : 'the policy file is missing');
  const keyFile = str(extra.key, '--key');
  if (keyFile === undefined) throw usage('sign', '--key <private.pem> is required');
  const out = str(extra.out, '--out') ?? `${file}.sig`;
  const { bytes, policy } = readPolicy(file);
  const findings = lintPolicy(policy);
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length && !extra.force) {
    throw new CcfleetError('POLICY_INVALID', `${file}: not signed: ${errors.length} lint error(s) (${[...new Set(errors.map((e) => e.code))].join(', ')}) — see ccfleet policy lint ${file}; --force signs anyway`);
  }
  const key = readFileCapped(keyFile, 64 * 1024);
  if (key.kind !== 'bytes') throw new CcfleetError('USAGE', `--key ${key.message}`);
  let doc;
  try {
    doc = signPolicy(bytes, key.bytes.toString('utf8'));
  } catch (e) {
    throw new CcfleetError('USAGE', `--key ${keyFile}: ${(e as Error).message}`);
  }
  writePublicFileAtomic(out, serializeSignatureDoc(doc));
  const notes = findings.map((f) => `ccfleet: note: ${file}: lint ${f.severity} ${f.code}${f.field ? ` (${f.field})` : ''}\n`).join('');
  if (opts.json) return { ...json(0, { file, signature: out, keyId: doc.keyId, policy: { id: policy.id, version: policy.version }, lint: { errors: errors.length, warnings: findings.length - errors.length } }), stderr: notes };
  return { exitCode: 0, stdout: `signed ${file} (policy ${policy.id} v${policy.version}, ${bytes.length} bytes) with key ${doc.keyId} → ${out}\n`, stderr: notes };
}

export async function verifyCommand(args: string[], opts: CommonOptions, extra: PolicyExtra): Promise<CommandResult> {
  const [file, ...more] = args;
  if (!file || more.length) throw usage('verify', file ? `unexpected argument "${more[0]}"` : 'the policy file is missing');
  const given = (extra['public-key'] as string[] | undefined) ?? [];
  if (given.length && opts.config) throw usage('verify', 'give --public-key or --config, not both');
  let keys: string[];
  if (opts.config) {
    keys = loadAgentConfig(opts.config, true).policyPublicKeys ?? [];
    if (!keys.length) throw new CcfleetError('USAGE', `--config ${opts.config}: no policyPublicKeys to verify with`);
  } else {
    if (!given.length) throw usage('verify', '--public-key <key> or --config <agent.json> is required');
    keys = given.map((k) => {
      try {
        return parsePublicKey(k);
      } catch (e) {
        throw new CcfleetError('USAGE', `--public-key: ${(e as Error).message}`);
      }
    });
  }
  // Loaded on demand (undici): the same fetch the agent does, file or URL, header or .sig.
  const { fetchPolicy } = await import('../../agent/policy-fetch.js');
  const { judgeSignature } = await import('../../agent/policy-client.js');
  const r = await fetchPolicy(file, { timeoutMs: 15_000, maxBytes: MAX_POLICY, wantSignature: true, signatureUrl: str(extra.sig, '--sig') });
  if (r.kind === 'unreachable') throw new CcfleetError(r.notFound ? 'POLICY_NOT_FOUND' : 'POLICY_UNREADABLE', r.message);
  if (r.kind === 'too-large') throw new CcfleetError('POLICY_UNREADABLE', r.message);
  if (r.kind === 'not-modified') throw new CcfleetError('INTERNAL', `${file}: unexpected HTTP 304`);
  const v = judgeSignature(r.bytes, r.signature, keys);
  if (!v.ok) {
    if (opts.json) return json(1, { file, valid: false, code: v.code, message: v.message });
    return { exitCode: 1, stdout: `${file}: signature NOT valid — ${v.code}: ${v.message}\n` };
  }
  const policy = parse(r.bytes, file);
  const expired = policy.expiresAt !== undefined && Date.parse(policy.expiresAt) <= Date.now();
  if (opts.json) return json(0, { file, valid: true, keyId: v.keyId, policy: { id: policy.id, version: policy.version, ...(policy.expiresAt ? { expiresAt: policy.expiresAt, expired } : {}) } });
  const exp = policy.expiresAt ? ` (${expired ? 'expired' : 'expires'} ${policy.expiresAt})` : '';
  return { exitCode: 0, stdout: `${file}: valid signature by key ${v.keyId} — policy ${policy.id} v${policy.version}${exp}\n` };
}

/** The policy's exact bytes and its validation (exit 2 when it is not a valid policy). */
function readPolicy(file: string): { bytes: Buffer; policy: Policy } {
  const r = readFileCapped(file, MAX_POLICY);
  if (r.kind === 'missing') throw new CcfleetError('POLICY_NOT_FOUND', `${file}: policy file not found`);
  if (r.kind !== 'bytes') throw new CcfleetError('POLICY_UNREADABLE', `policy ${r.message}`);
  return { bytes: r.bytes, policy: parse(r.bytes, file) };
}

function parse(bytes: Buffer, file: string): Policy {
  const text = policyText(bytes);
  if (text === null) throw new CcfleetError('POLICY_UNREADABLE', `${file}: policy is not UTF-8 text`);
  return parsePolicyText(text, file);
}

/** A signature is public: 0644, replaced atomically (temp beside it, fsync, rename). */
function writePublicFileAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new CcfleetError('WRITE_FAILED', `${file}: cannot write the signature (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function str(v: PolicyExtra[string], name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new CcfleetError('USAGE', `${name} needs a non-empty value`);
  return v;
}

const usage = (sub: string, why: string): CcfleetError => new CcfleetError('USAGE', `${why} (see ccfleet policy --help; usage: ${USAGE[sub]})`);

export const USAGE: Record<string, string> = {
  lint: 'ccfleet policy lint <file> [--json]',
  keygen: 'ccfleet policy keygen --out <dir> [--json]',
  sign: 'ccfleet policy sign <policy-file> --key <private.pem> [--out <file.sig>] [--force] [--json]',
  verify: 'ccfleet policy verify <policy-file-or-url> [--sig <file-or-url>] (--public-key <key>... | --config <agent.json>) [--json]',
};

const json = (exitCode: number, doc: unknown): CommandResult => ({ exitCode, stdout: JSON.stringify(doc, null, 2) + '\n' });
