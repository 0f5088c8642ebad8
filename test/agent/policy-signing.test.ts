// Detached ed25519 policy signatures: key formats, key ids, sign/verify over exact bytes, every rejection
// code, the HTTP header encoding, an RFC 8032 vector (interoperability), and the agent config's key fields.
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../src/agent/agent-config.js';
import {
  decodeSignatureHeader,
  encodeSignatureHeader,
  generateKeyPair,
  keyIdOf,
  parsePublicKey,
  parseSignatureDoc,
  serializeSignatureDoc,
  signPolicy,
  verifyPolicy,
} from '../../src/agent/policy-signing.js';
import { CcfleetError } from '../../src/core/errors.js';

const POLICY = Buffer.from('// signed\n{ "id": "p", "version": 1, "env": { "ANTHROPIC_BASE_URL": "http://localhost:8080/anthropic" } }\n');

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return e instanceof CcfleetError ? e.code : `not a CcfleetError: ${String(e)}`;
  }
  return 'no error';
};

describe('keys', () => {
  it('generateKeyPair: base64 of 32 raw bytes, PKCS#8 PEM, key id = first 8 bytes of sha256(raw) in hex', () => {
    const kp = generateKeyPair();
    const raw = Buffer.from(kp.publicKey, 'base64');
    expect(raw.length).toBe(32);
    expect(raw.toString('base64')).toBe(kp.publicKey);
    expect(kp.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(kp.keyId).toBe(createHash('sha256').update(raw).digest('hex').slice(0, 16));
    expect(keyIdOf(kp.publicKey)).toBe(kp.keyId);
    expect(generateKeyPair().keyId).not.toBe(kp.keyId);
  });

  it('parsePublicKey normalises a PEM SPKI block and base64url to the base64 raw form', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    expect(parsePublicKey(pem)).toBe(raw.toString('base64'));
    expect(parsePublicKey(`  ${raw.toString('base64')}\n`)).toBe(raw.toString('base64'));
    expect(parsePublicKey(raw.toString('base64url'))).toBe(raw.toString('base64'));
    expect(keyIdOf(pem)).toBe(keyIdOf(raw.toString('base64')));
  });

  it.each([
    ['garbage', 'not a key'],
    ['31 bytes', Buffer.alloc(31, 7).toString('base64')],
    ['33 bytes', Buffer.alloc(33, 7).toString('base64')],
    ['an RSA public key', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString()],
    ['a broken PEM', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'],
    ['empty', ''],
  ])('parsePublicKey refuses %s with CONFIG_INVALID', (_name, key) => {
    expect(codeOf(() => parsePublicKey(key))).toBe('CONFIG_INVALID');
  });
});

describe('sign and verify', () => {
  const a = generateKeyPair();
  const b = generateKeyPair();

  it('a signature over the exact bytes verifies with the signer\'s key', () => {
    const doc = signPolicy(POLICY, a.privateKeyPem);
    expect(doc).toEqual({ alg: 'ed25519', keyId: a.keyId, sig: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/) });
    expect(verifyPolicy(POLICY, doc, [a.publicKey])).toEqual({ ok: true, keyId: a.keyId });
    // As the .sig file's text and bytes too.
    expect(verifyPolicy(POLICY, serializeSignatureDoc(doc), [a.publicKey])).toEqual({ ok: true, keyId: a.keyId });
    expect(verifyPolicy(POLICY, Buffer.from(serializeSignatureDoc(doc)), [a.publicKey])).toEqual({ ok: true, keyId: a.keyId });
  });

  it('any change to the bytes — one byte, a trailing newline, a BOM — is bad-signature', () => {
    const doc = signPolicy(POLICY, a.privateKeyPem);
    const flipped = Buffer.from(POLICY);
    flipped[POLICY.indexOf('8080')] = '9'.charCodeAt(0);
    for (const changed of [flipped, Buffer.concat([POLICY, Buffer.from('\n')]), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), POLICY])]) {
      expect(verifyPolicy(changed, doc, [a.publicKey])).toMatchObject({ ok: false, code: 'bad-signature' });
    }
  });

  it('a signature made with another key claiming the pinned key id is bad-signature', () => {
    const forged = { ...signPolicy(POLICY, b.privateKeyPem), keyId: a.keyId };
    expect(verifyPolicy(POLICY, forged, [a.publicKey])).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  it('no signature is unsigned; a key that is not pinned is unknown-key (also when none is)', () => {
    expect(verifyPolicy(POLICY, null, [a.publicKey])).toMatchObject({ ok: false, code: 'unsigned' });
    expect(verifyPolicy(POLICY, undefined, [a.publicKey])).toMatchObject({ ok: false, code: 'unsigned' });
    const byB = signPolicy(POLICY, b.privateKeyPem);
    const r = verifyPolicy(POLICY, byB, [a.publicKey]);
    expect(r).toMatchObject({ ok: false, code: 'unknown-key' });
    if (!r.ok) expect(r.message).toContain(b.keyId);
    expect(verifyPolicy(POLICY, byB, [])).toMatchObject({ ok: false, code: 'unknown-key' });
  });

  it('rotation: with both keys pinned, a policy signed by either verifies, reporting which', () => {
    expect(verifyPolicy(POLICY, signPolicy(POLICY, a.privateKeyPem), [a.publicKey, b.publicKey])).toEqual({ ok: true, keyId: a.keyId });
    expect(verifyPolicy(POLICY, signPolicy(POLICY, b.privateKeyPem), [a.publicKey, b.publicKey])).toEqual({ ok: true, keyId: b.keyId });
  });

  it.each([
    ['not JSON', 'nope'],
    ['a JSON array', '[]'],
    ['another algorithm', JSON.stringify({ alg: 'rsa', keyId: '0123456789abcdef', sig: Buffer.alloc(64).toString('base64') })],
    ['a key id that is not 16 hex', JSON.stringify({ alg: 'ed25519', keyId: 'XYZ', sig: Buffer.alloc(64).toString('base64') })],
    ['a short signature', JSON.stringify({ alg: 'ed25519', keyId: '0123456789abcdef', sig: Buffer.alloc(63).toString('base64') })],
    ['a signature that is not base64', JSON.stringify({ alg: 'ed25519', keyId: '0123456789abcdef', sig: '!'.repeat(88) })],
    ['a huge document', JSON.stringify({ alg: 'ed25519', pad: 'x'.repeat(20_000) })],
  ])('%s is malformed-signature', (_name, text) => {
    expect(verifyPolicy(POLICY, text, [a.publicKey])).toMatchObject({ ok: false, code: 'malformed-signature' });
    expect(parseSignatureDoc(text).ok).toBe(false);
  });

  it('extra fields in the document are ignored', () => {
    const doc = signPolicy(POLICY, a.privateKeyPem);
    expect(verifyPolicy(POLICY, JSON.stringify({ ...doc, created: '2026-01-01' }), [a.publicKey])).toEqual({ ok: true, keyId: a.keyId });
  });

  it('the ccfleet-signature header is base64url of the document JSON, and decodes back', () => {
    const doc = signPolicy(POLICY, a.privateKeyPem);
    const h = encodeSignatureHeader(doc);
    expect(h).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(h, 'base64url').toString('utf8'))).toEqual(doc);
    expect(verifyPolicy(POLICY, decodeSignatureHeader(h), [a.publicKey])).toEqual({ ok: true, keyId: a.keyId });
    expect(verifyPolicy(POLICY, decodeSignatureHeader('%%%'), [a.publicKey])).toMatchObject({ ok: false, code: 'malformed-signature' });
  });

  it('a garbage pinned key is a configuration error, not a verdict', () => {
    expect(codeOf(() => verifyPolicy(POLICY, signPolicy(POLICY, a.privateKeyPem), [a.publicKey, 'garbage']))).toBe('CONFIG_INVALID');
  });

  it('signPolicy refuses a key that is not an ed25519 PEM private key', () => {
    expect(codeOf(() => signPolicy(POLICY, 'not a key'))).toBe('CONFIG_INVALID');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(codeOf(() => signPolicy(POLICY, rsa))).toBe('CONFIG_INVALID');
  });

  it('is standard ed25519: RFC 8032 test vector 1 verifies', () => {
    const pub = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64');
    const sig = Buffer.from('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b', 'hex');
    const keyId = keyIdOf(pub);
    expect(verifyPolicy(Buffer.alloc(0), { alg: 'ed25519', keyId, sig: sig.toString('base64') }, [pub])).toEqual({ ok: true, keyId });
    expect(verifyPolicy(Buffer.from('x'), { alg: 'ed25519', keyId, sig: sig.toString('base64') }, [pub])).toMatchObject({ ok: false, code: 'bad-signature' });
  });
});

describe('agent config: signing fields', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-agentcfg-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };

  it('accepts policySignatureUrl, caFile, policyRefresh; normalises PEM keys to base64 raw', () => {
    const kp = generateKeyPair();
    const { publicKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const file = write(
      'ok.json',
      JSON.stringify({
        policy: 'https://cdn.example.com/p.json',
        policySignatureUrl: 'https://cdn.example.com/p.json.sig',
        policyPublicKeys: [kp.publicKey, pem],
        caFile: '/etc/ccfleet/ca.pem',
        policyRefresh: { cron: '*/5 * * * *', jitterSeconds: 60 },
      }),
    );
    const cfg = loadAgentConfig(file, true);
    expect(cfg.policyPublicKeys).toEqual([kp.publicKey, parsePublicKey(pem)]);
    expect(cfg.policyRefresh).toEqual({ cron: '*/5 * * * *', jitterSeconds: 60 });
    expect(cfg.caFile).toBe('/etc/ccfleet/ca.pem');
    expect(cfg.policySignatureUrl).toBe('https://cdn.example.com/p.json.sig');
  });

  it.each([
    ['a garbage public key', '{\n  "policyPublicKeys": ["AAAA", "garbage"]\n}', /bad-key\.json:2:\d+: policyPublicKeys\.0: not an ed25519 public key/],
    ['a cron with 3 fields', '{ "policyRefresh": { "cron": "* * *" } }', /policyRefresh\.cron: must be a cron expression/],
    ['a negative jitter', '{ "policyRefresh": { "jitterSeconds": -1 } }', /policyRefresh\.jitterSeconds/],
    ['an unknown key in policyRefresh', '{ "policyRefresh": { "every": 5 } }', /policyRefresh\.every: unknown key/],
  ])('%s is CONFIG_INVALID naming the field', (_name, text, message) => {
    const file = write('bad-key.json', text);
    try {
      loadAgentConfig(file, true);
      expect.unreachable('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(CcfleetError);
      expect((e as CcfleetError).code).toBe('CONFIG_INVALID');
      expect((e as CcfleetError).message).toMatch(message);
    }
  });
});
