/**
 * `ccfleet policy keygen | sign | verify` end to end through the built bundle, and the pinned key binding
 * `check` too: keygen writes a 0600 private key and never overwrites; sign refuses an invalid policy (and
 * one with lint errors unless --force); verify exits 0 / 1 / 2 and reads keys from the flag or an agent
 * config, a signature from <file>.sig, --sig or (over HTTP) the ccfleet-signature header.
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSignatureHeader, keyIdOf, parseSignatureDoc, signPolicy, verifyPolicy } from '../../src/agent/policy-signing.js';
import { cli } from '../support/cli.js';
import { cliAsync, fixture, policyText, type Fixture } from './e2e-fixture.js';

let dir: string;
let keys: { pub: string; key: string; keyId: string };
let other: { pub: string; key: string };
const at = (name: string) => path.join(dir, name);
const write = (name: string, text: string) => {
  fs.writeFileSync(at(name), text);
  return at(name);
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-sign-cli-'));
  const r = cli(['policy', 'keygen', '--out', at('keys'), '--json']);
  expect(r.code, r.stderr).toBe(0);
  keys = { pub: r.json.publicKey, key: r.json.privateKeyFile, keyId: r.json.keyId };
  const o = cli(['policy', 'keygen', '--out', at('other'), '--json']);
  other = { pub: o.json.publicKey, key: o.json.privateKeyFile };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('policy keygen', () => {
  it('writes the private key 0600 (PKCS#8 PEM) and the public key; prints both key and key id', () => {
    const out = at('kg');
    const r = cli(['policy', 'keygen', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const pub = fs.readFileSync(path.join(out, 'ccfleet-policy.pub'), 'utf8').trim();
    expect(Buffer.from(pub, 'base64').length).toBe(32);
    expect(r.stdout).toContain(`public key: ${pub}`);
    expect(r.stdout).toContain(`key id:     ${keyIdOf(pub)}`);
    expect(fs.readFileSync(path.join(out, 'ccfleet-policy.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    if (process.platform !== 'win32') expect(fs.statSync(path.join(out, 'ccfleet-policy.key')).mode & 0o777).toBe(0o600);
    expect(r.stdout).not.toContain('PRIVATE KEY');
  });

  it('refuses to overwrite an existing key: exit 2, both files unchanged', () => {
    const before = [fs.readFileSync(keys.key, 'utf8'), fs.readFileSync(path.join(at('keys'), 'ccfleet-policy.pub'), 'utf8')];
    const r = cli(['policy', 'keygen', '--out', at('keys')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ccfleet: USAGE: .*refusing to overwrite/);
    expect([fs.readFileSync(keys.key, 'utf8'), fs.readFileSync(path.join(at('keys'), 'ccfleet-policy.pub'), 'utf8')]).toEqual(before);
  });

  it('--out is required', () => {
    expect(cli(['policy', 'keygen']).code).toBe(2);
  });
});

describe('policy sign and verify', () => {
  it('sign writes <file>.sig over the exact bytes; verify accepts it by flag or agent config (exit 0)', () => {
    const file = write('p1.jsonc', policyText({ id: 'signed', version: 3 }));
    const s = cli(['policy', 'sign', file, '--key', keys.key]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain(`policy signed v3`);
    expect(s.stdout).toContain(keys.keyId);
    const doc = parseSignatureDoc(fs.readFileSync(`${file}.sig`));
    expect(doc.ok && doc.doc.keyId).toBe(keys.keyId);
    expect(verifyPolicy(fs.readFileSync(file), fs.readFileSync(`${file}.sig`), [keys.pub])).toEqual({ ok: true, keyId: keys.keyId });

    const v = cli(['policy', 'verify', file, '--public-key', keys.pub]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toBe(`${file}: valid signature by key ${keys.keyId} — policy signed v3\n`);
    const cfg = write('agent.json', JSON.stringify({ policyPublicKeys: [other.pub, keys.pub] }));
    const j = cli(['policy', 'verify', file, '--config', cfg, '--json']);
    expect(j.code, j.stderr).toBe(0);
    expect(j.json).toEqual({ file, valid: true, keyId: keys.keyId, policy: { id: 'signed', version: 3 } });
  });

  it('verify exit 1: edited bytes, an unpinned key, no signature, a malformed one', () => {
    const file = write('p2.jsonc', policyText({ id: 'p2', version: 1 }));
    expect(cli(['policy', 'sign', file, '--key', keys.key]).code).toBe(0);
    expect(cli(['policy', 'verify', file, '--public-key', other.pub, '--json']).json).toMatchObject({ valid: false, code: 'unknown-key' });
    fs.appendFileSync(file, ' ');
    const bad = cli(['policy', 'verify', file, '--public-key', keys.pub]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/signature NOT valid — bad-signature/);
    fs.writeFileSync(`${file}.sig`, '{"alg":"ed25519"}');
    expect(cli(['policy', 'verify', file, '--public-key', keys.pub, '--json'])).toMatchObject({ code: 1, json: { valid: false, code: 'malformed-signature' } });
    fs.rmSync(`${file}.sig`);
    expect(cli(['policy', 'verify', file, '--public-key', keys.pub, '--json'])).toMatchObject({ code: 1, json: { valid: false, code: 'unsigned' } });
  });

  it('--out and --sig name the signature file', () => {
    const file = write('p3.jsonc', policyText({ id: 'p3', version: 1 }));
    const sig = at('elsewhere.sig');
    expect(cli(['policy', 'sign', file, '--key', other.key, '--out', sig]).code).toBe(0);
    expect(fs.existsSync(`${file}.sig`)).toBe(false);
    expect(cli(['policy', 'verify', file, '--sig', sig, '--public-key', other.pub]).code).toBe(0);
    expect(cli(['policy', 'verify', file, '--public-key', other.pub]).code).toBe(1);
  });

  it('an invalid policy is never signed (exit 2, no .sig); lint errors need --force', () => {
    const invalid = write('invalid.jsonc', '{ "id": "x", "version": 1, "env": {}, "bogus": true }');
    const r = cli(['policy', 'sign', invalid, '--key', keys.key]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ccfleet: POLICY_INVALID: /);
    expect(fs.existsSync(`${invalid}.sig`)).toBe(false);
    expect(cli(['policy', 'sign', write('broken.jsonc', '{ nope'), '--key', keys.key]).code).toBe(2);
    expect(fs.existsSync(at('broken.jsonc.sig'))).toBe(false);

    const lintError = write('lint-error.jsonc', policyText({ id: 'le', version: 1, env: { ANTHROPIC_BASE_URL: 'http://gw.example.com/anthropic', ANTHROPIC_AUTH_TOKEN: 'sk-bf-real-looking-0123456789' } }));
    const refused = cli(['policy', 'sign', lintError, '--key', keys.key]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/insecure-base-url/);
    expect(fs.existsSync(`${lintError}.sig`)).toBe(false);
    const forced = cli(['policy', 'sign', lintError, '--key', keys.key, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(cli(['policy', 'verify', lintError, '--public-key', keys.pub]).code).toBe(0);
  });

  it('a validly signed file that is not a valid policy: verify exit 2', () => {
    // Signed by hand (sign would refuse it): the agent would reject it as invalid.
    const file = write('signed-invalid.jsonc', '{ "id": "x" }');
    fs.writeFileSync(`${file}.sig`, JSON.stringify(signWith(keys.key, fs.readFileSync(file))));
    const r = cli(['policy', 'verify', file, '--public-key', keys.pub]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ccfleet: POLICY_INVALID: /);
  });

  it.each([
    ['no key', ['policy', 'verify', 'x.jsonc'], /--public-key <key> or --config/],
    ['both --public-key and --config', ['policy', 'verify', 'x.jsonc', '--public-key', 'AAAA', '--config', 'a.json'], /not both/],
    ['a garbage --public-key', ['policy', 'verify', 'x.jsonc', '--public-key', 'garbage'], /--public-key: not an ed25519 public key/],
    ['sign without --key', ['policy', 'sign', 'x.jsonc'], /--key/],
    ['an option of another subcommand', ['policy', 'sign', 'x.jsonc', '--key', 'k', '--sig', 's'], /--sig does not apply to policy sign/],
    ['--config on lint', ['policy', 'lint', 'x.jsonc', '--config', 'a.json'], /--config does not apply to policy lint/],
    ['--root on verify', ['policy', 'verify', 'x.jsonc', '--public-key', 'AAAA', '--root', '/'], /--root does not apply to policy/],
  ])('usage errors exit 2: %s', (_name, args, message) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ccfleet: USAGE: [^\n]+\n$/);
    expect(r.stderr).toMatch(message);
  });

  it('verify over HTTP reads the ccfleet-signature header, as the agent does', async () => {
    const file = write('served.jsonc', policyText({ id: 'served', version: 9 }));
    expect(cli(['policy', 'sign', file, '--key', keys.key]).code).toBe(0);
    const sigDoc = JSON.parse(fs.readFileSync(`${file}.sig`, 'utf8'));
    const server = http.createServer((req, res) => {
      if (req.url !== '/v1/policy') return void res.writeHead(404).end();
      res.writeHead(200, { 'ccfleet-signature': encodeSignatureHeader(sigDoc) }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1/policy`;
      const ok = await cliAsync(['policy', 'verify', url, '--public-key', keys.pub, '--json']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.json).toMatchObject({ valid: true, keyId: keys.keyId, policy: { id: 'served', version: 9 } });
      const unknown = await cliAsync(['policy', 'verify', url, '--public-key', other.pub, '--json']);
      expect(unknown).toMatchObject({ code: 1, json: { code: 'unknown-key' } });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('pinned keys bind check and repair', () => {
  let f: Fixture;
  beforeAll(() => {
    f = fixture('linux', [{ name: 'alice' }]);
  });
  afterAll(() => f.cleanup());

  it('an unsigned or foreign-signed --policy is refused (POLICY_SIGNATURE, exit 2, nothing written); a signed one runs', () => {
    const cfg = write('pinned.json', JSON.stringify({ policyPublicKeys: [keys.pub] }));
    const before = f.snap();
    const unsigned = cli(['repair', '--root', f.root, '--platform', 'linux', '--config', cfg, '--policy', f.policyPath]);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toMatch(/^ccfleet: POLICY_SIGNATURE: .*unsigned/);
    expect(f.snap()).toEqual(before);

    expect(cli(['policy', 'sign', f.policyPath, '--key', other.key]).code).toBe(0);
    const foreign = cli(['repair', '--root', f.root, '--platform', 'linux', '--config', cfg, '--policy', f.policyPath]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/^ccfleet: POLICY_SIGNATURE: .*unknown-key/);

    expect(cli(['policy', 'sign', f.policyPath, '--key', keys.key]).code).toBe(0);
    const signed = cli(['check', '--root', f.root, '--platform', 'linux', '--config', cfg, '--policy', f.policyPath, '--json']);
    expect(signed.code, signed.stderr).not.toBe(2);
    expect(signed.json.policy).toMatchObject({ id: 'e2e', version: 1 });
    // Without pinned keys the same unsigned policy still works as before.
    fs.rmSync(`${f.policyPath}.sig`);
    expect(cli(['check', '--root', f.root, '--platform', 'linux', '--policy', f.policyPath]).code).not.toBe(2);
  });
});

/** Signs with the private key file directly (what `policy sign` does, minus its validation). */
const signWith = (keyFile: string, bytes: Buffer) => signPolicy(bytes, fs.readFileSync(keyFile, 'utf8'));
