// The server's policy sources on real temp folders: the folder (highest version, signatures required unless
// allowed, invalid files skipped, reload on change and on demand, emptied folder), the file signed in
// memory, a file with its .sig, and the ETag rules.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeSignatureHeader, generateKeyPair, serializeSignatureDoc, signPolicy, verifyPolicy } from '../../src/agent/policy-signing.js';
import { CcfleetError } from '../../src/core/errors.js';
import { filePolicy, folderPolicy, servedPolicy, type PolicySource } from '../../src/server/policy-source.js';
import type { ServerLog } from '../../src/server/log.js';
import { policyBytes } from './fixtures.js';

const KEYS = generateKeyPair();
const OTHER = generateKeyPair();
let dir: string;
let lines: string[];
let log: ServerLog;
const sources: PolicySource[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-srv-policy-'));
  lines = [];
  log = { info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`), error: (m) => lines.push(`ERROR ${m}`) };
});
afterEach(() => {
  for (const s of sources.splice(0)) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const keep = (s: PolicySource) => (sources.push(s), s);

function put(name: string, version: number, o: { sign?: boolean; key?: string; id?: string } = {}): Buffer {
  const bytes = policyBytes(version, o.id);
  fs.writeFileSync(path.join(dir, name), bytes);
  if (o.sign !== false) fs.writeFileSync(path.join(dir, `${name}.sig`), serializeSignatureDoc(signPolicy(bytes, o.key ?? KEYS.privateKeyPem)));
  return bytes;
}

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(f()).toBe(true);
}

describe('policy folder', () => {
  it('serves the highest version among signed, valid policies', () => {
    put('a.json', 2);
    const best = put('b.jsonc', 7);
    put('c.json', 9, { sign: false });
    fs.writeFileSync(path.join(dir, 'd.json'), '{ "id": "broken", "version": 99 '); // not JSONC
    fs.writeFileSync(path.join(dir, 'd.json.sig'), serializeSignatureDoc(signPolicy(Buffer.from('x'), KEYS.privateKeyPem)));
    put('e.json', 50);
    fs.writeFileSync(path.join(dir, 'e.json.sig'), '{"alg":"rsa"}'); // a malformed signature
    put('.hidden.json', 100);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'version 1000');
    const src = keep(folderPolicy({ dir, log, watch: false }));
    const p = src.current()!;
    expect(p.version).toBe(7);
    expect(p.bytes.equals(best)).toBe(true);
    expect(verifyPolicy(p.bytes, decodeSignatureHeader(p.signature!), [KEYS.publicKey])).toMatchObject({ ok: true });
    expect(lines.filter((l) => l.startsWith('WARN'))).toEqual([
      expect.stringContaining('c.json has no signature'),
      expect.stringContaining('d.json skipped'),
      expect.stringContaining('e.json skipped'),
    ]);
    expect(lines).toContainEqual(expect.stringContaining('INFO serving policy fleet version 7'));
  });

  it('counts unsigned policies with allowUnsigned, and says so', () => {
    put('a.json', 1);
    put('b.json', 3, { sign: false });
    const p = keep(folderPolicy({ dir, log, watch: false, allowUnsigned: true })).current()!;
    expect(p.version).toBe(3);
    expect(p.signature).toBeNull();
    expect(lines).toContainEqual(expect.stringMatching(/^WARN serving policy fleet version 3 UNSIGNED/));
  });

  it('reloads when the folder changes, keeps serving through a broken write, and serves nothing once emptied', async () => {
    put('p1.json', 1);
    const src = keep(folderPolicy({ dir, log }));
    expect(src.current()!.version).toBe(1);
    put('p2.json', 2);
    await until(() => src.current()?.version === 2);
    fs.writeFileSync(path.join(dir, 'p3.json'), '{ "id": "fleet", '); // half-written: skipped
    src.reload();
    expect(src.current()!.version).toBe(2);
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
    src.reload();
    expect(src.current()).toBeNull();
    expect(lines).toContainEqual(expect.stringContaining('WARN no policy to serve'));
  });

  it('refuses a folder it cannot read at start; a later failure keeps the current policy', () => {
    expect(() => folderPolicy({ dir: path.join(dir, 'missing'), log, watch: false })).toThrow(CcfleetError);
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'p.json'), policyBytes(4));
    fs.writeFileSync(path.join(sub, 'p.json.sig'), serializeSignatureDoc(signPolicy(policyBytes(4), KEYS.privateKeyPem)));
    const src = keep(folderPolicy({ dir: sub, log, watch: false }));
    fs.rmSync(sub, { recursive: true });
    src.reload();
    expect(src.current()!.version).toBe(4);
    expect(lines).toContainEqual(expect.stringMatching(/^ERROR policy reload failed, still serving fleet version 4/));
  });
});

describe('policy file', () => {
  it('signs the file in memory with the signing key', () => {
    const file = path.join(dir, 'p.jsonc');
    fs.writeFileSync(file, policyBytes(5));
    const p = keep(filePolicy({ file, signingKeyPem: KEYS.privateKeyPem, log, watch: false })).current()!;
    expect(p.version).toBe(5);
    expect(p.keyId).toBe(KEYS.keyId);
    expect(verifyPolicy(p.bytes, decodeSignatureHeader(p.signature!), [KEYS.publicKey])).toMatchObject({ ok: true });
    expect(fs.readdirSync(dir)).toEqual(['p.jsonc']); // nothing written
  });

  it('never signs an invalid policy, and refuses a key that is not an ed25519 private key', () => {
    const file = path.join(dir, 'p.jsonc');
    fs.writeFileSync(file, '{ "id": "x", "version": 1, "env": 3 }');
    expect(() => filePolicy({ file, signingKeyPem: KEYS.privateKeyPem, log, watch: false })).toThrow(expect.objectContaining({ code: 'POLICY_INVALID' }));
    fs.writeFileSync(file, policyBytes(1));
    expect(() => filePolicy({ file, signingKeyPem: 'not a key', log, watch: false })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('serves <file>.sig beside it; without one only with allowUnsigned', () => {
    const file = path.join(dir, 'p.json');
    put('p.json', 2, { sign: false });
    expect(() => filePolicy({ file, log, watch: false })).toThrow(expect.objectContaining({ code: 'POLICY_SIGNATURE' }));
    expect(keep(filePolicy({ file, log, watch: false, allowUnsigned: true })).current()!.signature).toBeNull();
    put('p.json', 2);
    expect(keep(filePolicy({ file, log, watch: false })).current()!.keyId).toBe(KEYS.keyId);
  });

  it('re-reads and re-signs on reload; a broken edit keeps the last good policy', () => {
    const file = path.join(dir, 'p.jsonc');
    fs.writeFileSync(file, policyBytes(1));
    const src = keep(filePolicy({ file, signingKeyPem: KEYS.privateKeyPem, log, watch: false }));
    fs.writeFileSync(file, policyBytes(2));
    src.reload();
    expect(src.current()!.version).toBe(2);
    fs.writeFileSync(file, '{ broken');
    src.reload();
    expect(src.current()!.version).toBe(2);
    expect(lines.some((l) => l.startsWith('ERROR policy reload failed'))).toBe(true);
  });
});

describe('ETag', () => {
  it('is the quoted sha256 of the bytes when unsigned, and changes with the signature (key rotation)', () => {
    const bytes = policyBytes(1);
    const unsigned = servedPolicy(bytes, null, 'x');
    expect(unsigned.etag).toBe(`"${unsigned.digest}"`);
    const a = servedPolicy(bytes, signPolicy(bytes, KEYS.privateKeyPem), 'x');
    const b = servedPolicy(bytes, signPolicy(bytes, OTHER.privateKeyPem), 'x');
    expect(a.digest).toBe(unsigned.digest);
    expect(a.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(a.etag).not.toBe(b.etag);
    expect(a.etag).not.toBe(unsigned.etag);
    expect(servedPolicy(bytes, signPolicy(bytes, KEYS.privateKeyPem), 'y').etag).toBe(a.etag);
  });
});
