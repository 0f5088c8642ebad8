/**
 * Detached ed25519 signatures over the exact bytes of a policy file (docs/policy-signing.md).
 *
 * - Public keys travel as base64 of the raw 32 bytes (`policyPublicKeys` in the agent config); a PEM
 *   "PUBLIC KEY" (SPKI) block is accepted too. `parsePublicKey` normalises either to the base64 form and
 *   throws CcfleetError CONFIG_INVALID on anything else.
 * - A key's id is the first 8 bytes of sha256(raw public key), as 16 lower-case hex digits.
 * - The signature document is small JSON: `{ "alg": "ed25519", "keyId": "<16 hex>", "sig": "<base64>" }`,
 *   stored in `<file>.sig` or, over HTTP, in the `ccfleet-signature` header as base64url of that JSON.
 * - Private keys are PKCS#8 PEM.
 * `verifyPolicy` never throws for a bad signature: the outcome names what is wrong with a stable code.
 * Only node:crypto; no clock, no file I/O.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { CcfleetError } from '../core/errors.js';

export interface SignatureDoc {
  alg: 'ed25519';
  keyId: string;
  sig: string;
}

export interface KeyPair {
  /** base64 of the raw 32-byte public key (what goes into policyPublicKeys) */
  publicKey: string;
  /** PKCS#8 PEM */
  privateKeyPem: string;
  keyId: string;
}

export type VerifyCode = 'unsigned' | 'bad-signature' | 'unknown-key' | 'malformed-signature';
export type VerifyResult = { ok: true; keyId: string } | { ok: false; code: VerifyCode; message: string };

/** The HTTP response header that can carry the signature document (base64url of its JSON). */
export const SIGNATURE_HEADER = 'ccfleet-signature';
/** A signature document is ~130 bytes; anything past this is not one. */
export const MAX_SIGNATURE_BYTES = 16 * 1024;

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_ID = /^[0-9a-f]{16}$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

export function generateKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = rawOf(publicKey);
  return { publicKey: raw.toString('base64'), privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), keyId: keyIdOfRaw(raw) };
}

/** A public key (base64 raw or PEM SPKI) → base64 of the raw 32 bytes. CONFIG_INVALID on anything else. */
export function parsePublicKey(s: string): string {
  return rawPublicKey(s).toString('base64');
}

/** The key id (16 hex) of a public key in either accepted form. */
export function keyIdOf(publicKey: string): string {
  return keyIdOfRaw(rawPublicKey(publicKey));
}

/** Signs `bytes` exactly as given. CONFIG_INVALID when the key is not an ed25519 PKCS#8/PEM private key. */
export function signPolicy(bytes: Buffer, privateKeyPem: string): SignatureDoc {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch (e) {
    throw new CcfleetError('CONFIG_INVALID', `not a PEM private key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new CcfleetError('CONFIG_INVALID', `the private key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519`);
  const sig = sign(null, bytes, key);
  return { alg: 'ed25519', keyId: keyIdOfRaw(rawOf(createPublicKey(key))), sig: sig.toString('base64') };
}

/**
 * Checks `bytes` against a signature document (parsed, or its JSON text/bytes; null/undefined: none) and
 * the pinned keys. `unknown-key` when no pinned key has the document's keyId (also when none is pinned).
 * A garbage entry in `publicKeys` is a configuration error (thrown, CONFIG_INVALID), not a verdict.
 */
export function verifyPolicy(bytes: Buffer, sigDoc: SignatureDoc | Buffer | string | null | undefined, publicKeys: readonly string[]): VerifyResult {
  const keys = publicKeys.map(rawPublicKey);
  if (sigDoc === null || sigDoc === undefined) return { ok: false, code: 'unsigned', message: 'the policy has no signature' };
  const parsed = typeof sigDoc === 'string' || Buffer.isBuffer(sigDoc) ? parseSignatureDoc(sigDoc) : checkDoc(sigDoc);
  if (!parsed.ok) return { ok: false, code: 'malformed-signature', message: parsed.message };
  const doc = parsed.doc;
  const raw = keys.find((k) => keyIdOfRaw(k) === doc.keyId);
  if (!raw) {
    const pinned = keys.map(keyIdOfRaw);
    return { ok: false, code: 'unknown-key', message: `signed by key ${doc.keyId}, which is not pinned (${pinned.length ? `pinned: ${pinned.join(', ')}` : 'no key is pinned'})` };
  }
  const good = verify(null, bytes, publicKeyObject(raw), Buffer.from(doc.sig, 'base64'));
  return good ? { ok: true, keyId: doc.keyId } : { ok: false, code: 'bad-signature', message: `the signature by key ${doc.keyId} does not match the policy bytes` };
}

/** A signature document from its JSON (text or bytes), checked field by field. Extra fields are ignored. */
export function parseSignatureDoc(input: string | Buffer): { ok: true; doc: SignatureDoc } | { ok: false; message: string } {
  if (input.length > MAX_SIGNATURE_BYTES) return { ok: false, message: `the signature document is larger than ${MAX_SIGNATURE_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.isBuffer(input) ? input.toString('utf8') : input);
  } catch {
    return { ok: false, message: 'the signature document is not JSON' };
  }
  return checkDoc(value);
}

function checkDoc(value: unknown): { ok: true; doc: SignatureDoc } | { ok: false; message: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'the signature document is not a JSON object' };
  const v = value as Record<string, unknown>;
  if (v.alg !== 'ed25519') return { ok: false, message: `signature alg must be "ed25519", got ${JSON.stringify(v.alg) ?? 'nothing'}` };
  if (typeof v.keyId !== 'string' || !KEY_ID.test(v.keyId)) return { ok: false, message: 'signature keyId must be 16 lower-case hex digits' };
  if (typeof v.sig !== 'string' || !B64.test(v.sig) || Buffer.from(v.sig, 'base64').length !== 64) {
    return { ok: false, message: 'signature sig must be base64 of 64 bytes' };
  }
  return { ok: true, doc: { alg: 'ed25519', keyId: v.keyId, sig: v.sig } };
}

/** The `.sig` file content: the document as one JSON line. */
export function serializeSignatureDoc(doc: SignatureDoc): string {
  return JSON.stringify({ alg: doc.alg, keyId: doc.keyId, sig: doc.sig }) + '\n';
}

/** The `ccfleet-signature` header value: base64url of the document's JSON. */
export function encodeSignatureHeader(doc: SignatureDoc): string {
  return Buffer.from(JSON.stringify({ alg: doc.alg, keyId: doc.keyId, sig: doc.sig }), 'utf8').toString('base64url');
}

/** The JSON bytes inside a `ccfleet-signature` header (not checked: pass them to verifyPolicy). */
export function decodeSignatureHeader(value: string): Buffer {
  const v = value.trim();
  // Anything that is not base64url decodes to bytes that will not parse: malformed-signature downstream.
  return B64URL.test(v) ? Buffer.from(v, 'base64url') : Buffer.from(v, 'utf8');
}

function rawPublicKey(s: string): Buffer {
  const text = typeof s === 'string' ? s.trim() : '';
  if (text.includes('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: text, format: 'pem' });
    } catch (e) {
      throw new CcfleetError('CONFIG_INVALID', `not a PEM public key (${(e as Error).message})`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new CcfleetError('CONFIG_INVALID', `the public key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519`);
    return rawOf(key);
  }
  const raw = B64.test(text) ? Buffer.from(text, 'base64') : B64URL.test(text) ? Buffer.from(text, 'base64url') : null;
  if (!raw || raw.length !== 32) {
    throw new CcfleetError('CONFIG_INVALID', 'not an ed25519 public key: expected base64 of the raw 32 bytes (as `ccfleet policy keygen` prints) or a PEM "PUBLIC KEY" block');
  }
  try {
    publicKeyObject(raw);
  } catch (e) {
    throw new CcfleetError('CONFIG_INVALID', `not an ed25519 public key (${(e as Error).message})`);
  }
  return raw;
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

function rawOf(publicKey: KeyObject): Buffer {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

function keyIdOfRaw(raw: Buffer): string {
  return createHash('sha256').update(raw).digest().subarray(0, 8).toString('hex');
}
