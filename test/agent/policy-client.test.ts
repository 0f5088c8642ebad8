// The daemon's policy client against a real HTTP server on 127.0.0.1 and real files in temp folders:
// signed updates, ETag/304, every rejection (last-known-good stays), the persisted rollback ratchet, the
// on-disk cache re-verified at start-up, expiry (fail-static), size caps, unreachable servers, file sources.
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PolicyClient, loadVerifiedPolicy, type PolicyClientOptions, type RefreshOutcome } from '../../src/agent/policy-client.js';
import { encodeSignatureHeader, generateKeyPair, serializeSignatureDoc, signPolicy, type KeyPair } from '../../src/agent/policy-signing.js';
import { CcfleetError } from '../../src/core/errors.js';

const A: KeyPair = generateKeyPair();
const B: KeyPair = generateKeyPair();

function policy(version: number, extra: Record<string, unknown> = {}): Buffer {
  const doc = { id: 'fleet', version, env: { ANTHROPIC_BASE_URL: 'http://localhost:8080/anthropic', ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model' }, ...extra };
  return Buffer.from(`// policy v${version}\n${JSON.stringify(doc, null, 2)}\n`);
}

/** What the test server serves: the policy (with its signature as a header, or at <path>.sig). */
interface Served {
  body: Buffer;
  /** Signature document JSON, or null for none. */
  sig: string | null;
  sigIn: 'header' | 'file';
  etag: string | null;
  status: number;
  chunked: boolean;
}

interface Seen {
  url: string;
  ifNoneMatch: string | undefined;
  authorization: string | undefined;
  status: number;
  bodyBytes: number;
}

let dir: string;
let stateDir: string;
let server: http.Server;
let base: string;
let served: Served;
let seen: Seen[];

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-pclient-'));
  stateDir = path.join(dir, 'state');
  seen = [];
  served = { body: Buffer.alloc(0), sig: null, sigIn: 'header', etag: null, status: 200, chunked: false };
  server = http.createServer((req, res) => {
    const record = (status: number, bodyBytes: number) =>
      seen.push({ url: req.url ?? '', ifNoneMatch: req.headers['if-none-match'], authorization: req.headers.authorization, status, bodyBytes });
    if (req.url === '/p.json') {
      if (served.status !== 200) {
        record(served.status, 0);
        res.writeHead(served.status, served.status === 302 ? { location: 'http://127.0.0.1:1/elsewhere?token=secret' } : {}).end();
        return;
      }
      if (served.etag && req.headers['if-none-match'] === served.etag) {
        record(304, 0);
        res.writeHead(304, { etag: served.etag }).end();
        return;
      }
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (served.etag) headers.etag = served.etag;
      if (served.sig !== null && served.sigIn === 'header') headers['ccfleet-signature'] = Buffer.from(served.sig).toString('base64url');
      if (!served.chunked) headers['content-length'] = served.body.length;
      record(200, served.body.length);
      res.writeHead(200, headers);
      if (served.chunked) {
        // Several chunks, no Content-Length: the cap must hold while streaming.
        for (let i = 0; i < served.body.length; i += 4096) res.write(served.body.subarray(i, i + 4096));
        res.end();
      } else res.end(served.body);
      return;
    }
    if (req.url === '/p.json.sig' && served.sig !== null && served.sigIn === 'file') {
      record(200, served.sig.length);
      res.writeHead(200).end(served.sig);
      return;
    }
    record(404, 0);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Serve `bytes` signed by `key` (or unsigned with null). */
function serve(bytes: Buffer, key: KeyPair | null, more: Partial<Served> = {}): void {
  served = { ...served, body: bytes, sig: key ? serializeSignatureDoc(signPolicy(bytes, key.privateKeyPem)) : null, ...more };
}

function client(more: Partial<PolicyClientOptions> = {}): PolicyClient {
  return new PolicyClient({ source: `${base}/p.json`, publicKeys: [A.publicKey], stateDir, timeoutMs: 5000, ...more });
}

function expectKind<K extends RefreshOutcome['kind']>(o: RefreshOutcome, kind: K): Extract<RefreshOutcome, { kind: K }> {
  expect(o.kind, JSON.stringify({ ...o, applied: o.applied ? '…' : null })).toBe(kind);
  return o as Extract<RefreshOutcome, { kind: K }>;
}

const cacheFile = (name: string) => path.join(stateDir, 'policy', name);
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('PolicyClient over HTTP', () => {
  it('applies a signed policy and persists it: current.json is the exact bytes, folder 0700, files 0600', async () => {
    const v1 = policy(1);
    serve(v1, A, { etag: '"v1"' });
    const c = client();
    const o = expectKind(await c.refresh(), 'updated');
    expect(o.previousVersion).toBeNull();
    expect(o.warnings).toBeUndefined();
    expect(o.applied).toMatchObject({ keyId: A.keyId, source: `${base}/p.json`, expired: false, policy: { id: 'fleet', version: 1 } });
    expect(o.applied.bytes.equals(v1)).toBe(true);
    expect(c.current()?.digest).toBe(o.applied.digest);
    expect(fs.readFileSync(cacheFile('current.json')).equals(v1)).toBe(true);
    expect(JSON.parse(fs.readFileSync(cacheFile('current.sig'), 'utf8'))).toMatchObject({ alg: 'ed25519', keyId: A.keyId });
    const meta = JSON.parse(fs.readFileSync(cacheFile('meta.json'), 'utf8'));
    expect(meta).toMatchObject({ etag: '"v1"', source: `${base}/p.json`, digest: o.applied.digest, version: 1, id: 'fleet', keyId: A.keyId, highestVersion: { fleet: 1 } });
    expect(Date.parse(meta.appliedAt)).not.toBeNaN();
    if (process.platform !== 'win32') {
      expect(mode(path.join(stateDir, 'policy'))).toBe(0o700);
      for (const f of ['current.json', 'current.sig', 'meta.json']) expect(mode(cacheFile(f))).toBe(0o600);
    }
    expect(fs.readdirSync(path.join(stateDir, 'policy')).sort()).toEqual(['current.json', 'current.sig', 'meta.json']);
  });

  it('sends If-None-Match with the stored ETag; a 304 is unchanged and costs no body bytes', async () => {
    serve(policy(1), A, { etag: '"v1"' });
    const c = client();
    expectKind(await c.refresh(), 'updated');
    const o = expectKind(await c.refresh(), 'unchanged');
    expect(o.applied.policy.version).toBe(1);
    expect(seen.map((s) => [s.ifNoneMatch, s.status, s.bodyBytes])).toEqual([
      [undefined, 200, policy(1).length],
      ['"v1"', 304, 0],
    ]);
    // A new client on the same state dir starts from the cache and also gets its 304.
    const again = client();
    expect(again.loadLastKnownGood()?.policy.version).toBe(1);
    expectKind(await again.refresh(), 'unchanged');
    expect(seen.at(-1)).toMatchObject({ ifNoneMatch: '"v1"', status: 304, bodyBytes: 0 });
  });

  it('a new signed version replaces the old one (previousVersion), same bytes again are unchanged', async () => {
    serve(policy(1), A, { etag: '"v1"' });
    const c = client();
    expectKind(await c.refresh(), 'updated');
    serve(policy(2), A, { etag: '"v2"' });
    const o = expectKind(await c.refresh(), 'updated');
    expect(o.previousVersion).toBe(1);
    expect(o.applied.policy.version).toBe(2);
    // Same bytes under a new ETag (and no ETag support at all): unchanged, and the new ETag is kept.
    serve(policy(2), A, { etag: '"v2-gz"' });
    expectKind(await c.refresh(), 'unchanged');
    expect(JSON.parse(fs.readFileSync(cacheFile('meta.json'), 'utf8')).etag).toBe('"v2-gz"');
  });

  it('tampered bytes (the signature of the old ones) are rejected bad-signature; the last-known-good stays', async () => {
    const v1 = policy(1);
    serve(v1, A);
    const c = client();
    expectKind(await c.refresh(), 'updated');
    const evil = Buffer.from(policy(2).toString().replace('http://localhost:8080', 'https://evil.example.com'));
    served = { ...served, body: evil, sig: serializeSignatureDoc(signPolicy(policy(2), A.privateKeyPem)) };
    const o = expectKind(await c.refresh(), 'rejected');
    expect(o.code).toBe('bad-signature');
    expect(o.applied?.policy.version).toBe(1);
    expect(c.current()?.bytes.equals(v1)).toBe(true);
    expect(fs.readFileSync(cacheFile('current.json')).equals(v1)).toBe(true);
  });

  it('unsigned while a key is pinned: rejected (header absent, <url>.sig 404)', async () => {
    serve(policy(1), null);
    const o = expectKind(await client().refresh(), 'rejected');
    expect(o.code).toBe('unsigned');
    expect(o.applied).toBeNull();
    expect(seen.map((s) => [s.url, s.status])).toEqual([['/p.json', 200], ['/p.json.sig', 404]]);
    expect(fs.existsSync(cacheFile('current.json'))).toBe(false);
  });

  it('signed by a key that is not pinned: unknown-key', async () => {
    serve(policy(1), B);
    const o = expectKind(await client().refresh(), 'rejected');
    expect(o.code).toBe('unknown-key');
    expect(o.message).toContain(B.keyId);
  });

  it('a header that is not a signature document: malformed-signature', async () => {
    served = { ...served, body: policy(1), sig: 'this is not json', sigIn: 'header' };
    expect(expectKind(await client().refresh(), 'rejected').code).toBe('malformed-signature');
  });

  it('the signature can come from <url>.sig instead of the header', async () => {
    serve(policy(1), A, { sigIn: 'file' });
    const o = expectKind(await client().refresh(), 'updated');
    expect(o.applied.keyId).toBe(A.keyId);
    expect(seen.map((s) => s.url)).toEqual(['/p.json', '/p.json.sig']);
  });

  it('signatureUrl overrides the header (a local file here)', async () => {
    const bytes = policy(1);
    serve(bytes, B); // the header's signature is by an unpinned key: ignored when signatureUrl is set
    const sigFile = path.join(dir, 'p.sig');
    fs.writeFileSync(sigFile, serializeSignatureDoc(signPolicy(bytes, A.privateKeyPem)));
    expect(expectKind(await client({ signatureUrl: sigFile }).refresh(), 'updated').applied.keyId).toBe(A.keyId);
  });

  it('key rotation: with two keys pinned, v1 signed by A and then v2 signed by B both apply', async () => {
    const c = client({ publicKeys: [A.publicKey, B.publicKey] });
    serve(policy(1), A);
    expect(expectKind(await c.refresh(), 'updated').applied.keyId).toBe(A.keyId);
    serve(policy(2), B);
    expect(expectKind(await c.refresh(), 'updated').applied.keyId).toBe(B.keyId);
    // After rotation only B is pinned: the cache (signed by B) still loads.
    expect(client({ publicKeys: [B.publicKey] }).loadLastKnownGood()?.policy.version).toBe(2);
    expect(client({ publicKeys: [A.publicKey] }).loadLastKnownGood()).toBeNull();
  });

  it('rollback: a lower version is rejected, and so is the same version with other bytes', async () => {
    const c = client();
    serve(policy(3), A);
    expectKind(await c.refresh(), 'updated');
    serve(policy(2), A);
    const low = expectKind(await c.refresh(), 'rejected');
    expect(low.code).toBe('rollback');
    expect(low.applied?.policy.version).toBe(3);
    serve(policy(3, { description: 're-signed without a version bump' }), A);
    expect(expectKind(await c.refresh(), 'rejected').code).toBe('rollback');
    // The exact v3 bytes again are fine (unchanged), a higher version is fine.
    serve(policy(3), A);
    expectKind(await c.refresh(), 'unchanged');
    serve(policy(4), A);
    expectKind(await c.refresh(), 'updated');
  });

  it('the ratchet survives a restart: a new PolicyClient refuses a version below the one applied before', async () => {
    serve(policy(5), A);
    expectKind(await client().refresh(), 'updated');
    serve(policy(4), A);
    const fresh = client();
    const o = expectKind(await fresh.refresh(), 'rejected'); // refresh loads the cache (and ratchet) itself
    expect(o.code).toBe('rollback');
    expect(o.applied?.policy.version).toBe(5);
    // Even when the cached policy itself is gone, meta.json's ratchet holds.
    fs.rmSync(cacheFile('current.json'));
    const bare = client();
    expect(bare.loadLastKnownGood()).toBeNull();
    expect(expectKind(await bare.refresh(), 'rejected').code).toBe('rollback');
    // Another policy id has its own ratchet.
    serve(policy(1, { id: 'other' }), A);
    expect(expectKind(await bare.refresh(), 'updated').applied.policy.id).toBe('other');
    serve(policy(4), A);
    expect(expectKind(await bare.refresh(), 'rejected').code).toBe('rollback');
  });

  it('an invalid policy, even validly signed, is rejected invalid', async () => {
    const c = client();
    serve(policy(1), A);
    expectKind(await c.refresh(), 'updated');
    for (const bad of [Buffer.from('{ "id": "fleet", "version": 2, "env": {}, "bogus": 1 }'), Buffer.from('{ not json'), Buffer.from([0xff, 0xfe, 0x7b, 0x7d])]) {
      serve(bad, A);
      const o = expectKind(await c.refresh(), 'rejected');
      expect(o.code).toBe('invalid');
      expect(o.applied?.policy.version).toBe(1);
    }
  });

  it('expired (expiresAt in the past): still applied and kept, expired: true', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const c = client({ now: () => now });
    serve(policy(1, { expiresAt: '2026-06-01T00:00:00Z' }), A);
    expect(expectKind(await c.refresh(), 'updated').applied.expired).toBe(false);
    now = new Date('2026-07-01T00:00:00Z');
    expect(c.current()?.expired).toBe(true);
    serve(policy(2, { expiresAt: '2026-06-15T00:00:00Z' }), A);
    const o = expectKind(await c.refresh(), 'updated');
    expect(o.applied).toMatchObject({ expired: true, policy: { version: 2 } });
    expect(client({ now: () => now }).loadLastKnownGood()).toMatchObject({ expired: true, policy: { version: 2 } });
  });

  it('too large: cut off while streaming (no Content-Length) and from Content-Length; last-known-good stays', async () => {
    const c = client({ maxBytes: 64 * 1024 });
    serve(policy(1), A);
    expectKind(await c.refresh(), 'updated');
    const big = policy(2, { description: 'x'.repeat(1999), allowedModels: Array.from({ length: 5000 }, (_, i) => `model-${i}-${'y'.repeat(10)}`) });
    expect(big.length).toBeGreaterThan(64 * 1024);
    for (const chunked of [true, false]) {
      serve(big, A, { chunked });
      const o = expectKind(await c.refresh(), 'rejected');
      expect(o.code).toBe('too-large');
      expect(o.applied?.policy.version).toBe(1);
    }
  });

  it('server down, 5xx, 404 and redirects: unreachable (retryable or not), last-known-good kept', async () => {
    const c = client();
    serve(policy(1), A);
    expectKind(await c.refresh(), 'updated');
    served.status = 503;
    expect(expectKind(await c.refresh(), 'unreachable')).toMatchObject({ retryable: true, applied: { policy: { version: 1 } } });
    served.status = 404;
    expect(expectKind(await c.refresh(), 'unreachable')).toMatchObject({ retryable: false });
    served.status = 302;
    const redirect = expectKind(await c.refresh(), 'unreachable');
    expect(redirect).toMatchObject({ retryable: false });
    expect(redirect.message).toMatch(/redirect/);
    expect(redirect.message).not.toContain('secret');
    expect(seen.filter((s) => s.url.includes('elsewhere'))).toEqual([]);
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
    const down = expectKind(await c.refresh(), 'unreachable');
    expect(down.retryable).toBe(true);
    expect(down.applied?.policy.version).toBe(1);
    expect(c.current()?.policy.version).toBe(1);
    // And after a restart with the server still down, the cache is what is enforced.
    const restarted = client();
    expect(restarted.loadLastKnownGood()?.policy.version).toBe(1);
    expect(expectKind(await restarted.refresh(), 'unreachable').applied?.policy.version).toBe(1);
    server = http.createServer(); // for afterEach
    server.listen(0, '127.0.0.1');
  });

  it('no key pinned: an unsigned policy applies, with a warning in the outcome', async () => {
    serve(policy(1), null);
    const o = expectKind(await client({ publicKeys: [] }).refresh(), 'updated');
    expect(o.applied.keyId).toBeNull();
    expect(o.warnings?.join(' ')).toMatch(/without a signature check/);
    expect(seen.map((s) => s.url)).toEqual(['/p.json']); // no .sig lookup
    expect(fs.existsSync(cacheFile('current.sig'))).toBe(false);
  });

  it('extra headers go to the policy origin, never to a signature on another origin', async () => {
    const other = http.createServer((req, res) => {
      seen.push({ url: `other:${req.url}`, ifNoneMatch: undefined, authorization: req.headers.authorization, status: 200, bodyBytes: 0 });
      res.end(served.sig ?? '');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      serve(policy(1), A, { sigIn: 'file' });
      const sigUrl = `http://127.0.0.1:${(other.address() as net.AddressInfo).port}/p.sig`;
      expectKind(await client({ signatureUrl: sigUrl, headers: { authorization: 'Bearer device-token' } }).refresh(), 'updated');
      expect(seen.map((s) => [s.url, s.authorization])).toEqual([['/p.json', 'Bearer device-token'], ['other:/p.sig', undefined]]);
    } finally {
      other.closeAllConnections();
      other.close();
    }
  });
});

describe('the cache on disk', () => {
  async function applied(version = 1): Promise<void> {
    serve(policy(version), A);
    expectKind(await client().refresh(), 'updated');
  }

  it('is re-verified at start-up: edited bytes are ignored (digest), even with a matching meta.json digest (signature)', async () => {
    await applied();
    const evil = Buffer.from(fs.readFileSync(cacheFile('current.json'), 'utf8').replace('localhost:8080', 'evil.example.com'));
    fs.writeFileSync(cacheFile('current.json'), evil);
    const c1 = client();
    expect(c1.loadLastKnownGood()).toBeNull();
    expect(c1.current()).toBeNull();
    expect(c1.lastCacheProblem).toMatch(/digest/);
    // The attacker also fixes up the digest: the signature still gives it away.
    const meta = JSON.parse(fs.readFileSync(cacheFile('meta.json'), 'utf8'));
    meta.digest = (await import('node:crypto')).createHash('sha256').update(evil).digest('hex');
    fs.writeFileSync(cacheFile('meta.json'), JSON.stringify(meta));
    const c2 = client();
    expect(c2.loadLastKnownGood()).toBeNull();
    expect(c2.lastCacheProblem).toMatch(/bad-signature/);
    // The next refresh restores a good policy.
    expectKind(await c2.refresh(), 'updated');
    expect(client().loadLastKnownGood()?.policy.version).toBe(1);
  });

  it('a removed signature or a garbage meta.json: ignored, no crash', async () => {
    await applied();
    fs.rmSync(cacheFile('current.sig'));
    const c = client();
    expect(c.loadLastKnownGood()).toBeNull();
    expect(c.lastCacheProblem).toMatch(/unsigned/);
    fs.writeFileSync(cacheFile('meta.json'), '{ garbage');
    const d = client();
    expect(d.loadLastKnownGood()).toBeNull();
    expect(d.lastCacheProblem).toMatch(/meta\.json/);
  });

  it('a state folder that is a symlink is not used', async () => {
    if (process.platform === 'win32') return;
    const real = path.join(dir, 'elsewhere');
    fs.mkdirSync(real, { mode: 0o700 });
    fs.mkdirSync(stateDir);
    fs.symlinkSync(real, path.join(stateDir, 'policy'));
    const c = client();
    expect(c.loadLastKnownGood()).toBeNull();
    expect(c.lastCacheProblem).toMatch(/not a real folder/);
    serve(policy(1), A);
    const o = expectKind(await c.refresh(), 'updated');
    expect(o.warnings?.join(' ')).toMatch(/could not be saved/);
    expect(fs.readdirSync(real)).toEqual([]);
  });
});

describe('file source', () => {
  it('reads <file> and <file>.sig; an edit without re-signing is rejected; a missing file is unreachable', async () => {
    const file = path.join(dir, 'policy.jsonc');
    const sign = (bytes: Buffer, key: KeyPair) => {
      fs.writeFileSync(file, bytes);
      fs.writeFileSync(`${file}.sig`, serializeSignatureDoc(signPolicy(bytes, key.privateKeyPem)));
    };
    const c = client({ source: file });
    sign(policy(1), A);
    expect(expectKind(await c.refresh(), 'updated').applied).toMatchObject({ source: file, keyId: A.keyId });
    expectKind(await c.refresh(), 'unchanged');
    fs.appendFileSync(file, '// edited\n');
    expect(expectKind(await c.refresh(), 'rejected').code).toBe('bad-signature');
    fs.rmSync(`${file}.sig`);
    expect(expectKind(await c.refresh(), 'rejected').code).toBe('unsigned');
    sign(policy(2), A);
    expectKind(await c.refresh(), 'updated');
    fs.rmSync(file);
    expect(expectKind(await c.refresh(), 'unreachable')).toMatchObject({ retryable: false, applied: { policy: { version: 2 } } });
    expect(seen).toEqual([]);
  });
});

describe('loadVerifiedPolicy (the CLI with pinned keys)', () => {
  it('returns the policy when the signature verifies, POLICY_SIGNATURE otherwise', async () => {
    serve(policy(1), A);
    expect((await loadVerifiedPolicy(`${base}/p.json`, { publicKeys: [A.publicKey] })).version).toBe(1);
    serve(policy(1), null);
    await expect(loadVerifiedPolicy(`${base}/p.json`, { publicKeys: [A.publicKey] })).rejects.toMatchObject({ code: 'POLICY_SIGNATURE' });
    serve(policy(1), B);
    const e = await loadVerifiedPolicy(`${base}/p.json`, { publicKeys: [A.publicKey] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CcfleetError);
    expect((e as CcfleetError).message).toMatch(/unknown-key/);
    served.status = 404;
    await expect(loadVerifiedPolicy(`${base}/p.json`, { publicKeys: [A.publicKey] })).rejects.toMatchObject({ code: 'POLICY_NOT_FOUND' });
  });

  it('the header encoding the server uses is accepted', async () => {
    const bytes = policy(7);
    served = { ...served, body: bytes, sig: JSON.stringify(signPolicy(bytes, A.privateKeyPem)), sigIn: 'header' };
    expect(Buffer.from(encodeSignatureHeader(signPolicy(bytes, A.privateKeyPem)), 'base64url').toString()).toMatch(/"alg":"ed25519"/);
    expect((await loadVerifiedPolicy(`${base}/p.json`, { publicKeys: [A.publicKey] })).version).toBe(7);
  });
});
