// `ccfleet server` as a real process (the built bundle): the one stdout line, flags and CCFLEET_* variables,
// the signed policy, TLS, SIGHUP, SIGTERM with a request in flight (exit 0), and bad flags (exit 2, named).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeSignatureHeader, generateKeyPair, serializeSignatureDoc, signPolicy, verifyPolicy } from '../../src/agent/policy-signing.js';
import { makePrivateCa } from '../support/private-ca.js';
import { testBundle, testNode } from '../support/runtime.js';
import { bearer, jsonHeaders, policyBytes, report, request } from './fixtures.js';

const ADMIN = 'cli-admin-token-0123456789abcdef';
const SECRET = 'cli-enroll-secret-0123456789abcdef';
const KEYS = generateKeyPair();

let dir: string;
const running: ChildProcess[] = [];

beforeAll(() => {
  if (!fs.existsSync(testBundle)) throw new Error(`${testBundle} is missing: run npm run build (npm test does)`);
});
afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-srv-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An environment without the caller's CCFLEET_* variables. */
const baseEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...extra });

interface Server {
  proc: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts the server and waits for its stdout line (or its exit). */
function startServer(args: string[], env = baseEnv(), cwd = dir): Promise<Server> {
  const proc = spawn(testNode, [testBundle, 'server', ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = () => {
      const m = /^listening on (https?:\/\/\S+)\n/.exec(out);
      if (!m) return;
      proc.stdout!.off('data', onData);
      resolve({ proc, url: m[1]!, stdout: () => out, stderr: () => err, exited });
    };
    proc.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited ${code} before listening; stderr: ${err}`)));
  });
}

function runServer(args: string[], env = baseEnv()): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(testNode, [testBundle, 'server', ...args], { env, cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function enrollAt(url: string, secret = SECRET): Promise<{ deviceId: string; token: string }> {
  const r = await request(`${url}/v1/enroll`, { method: 'POST', headers: jsonHeaders(), body: JSON.stringify({ enrollSecret: secret, hostname: 'cli-host' }) });
  expect(r.status).toBe(201);
  return r.json;
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function writePolicy(file: string, version: number, sign = true): void {
  const bytes = policyBytes(version);
  fs.writeFileSync(file, bytes);
  if (sign) fs.writeFileSync(`${file}.sig`, serializeSignatureDoc(signPolicy(bytes, KEYS.privateKeyPem)));
}

describe('ccfleet server', () => {
  it('prints exactly one line once it accepts connections, serves the policy it signed, and exits 0 on SIGTERM', async () => {
    const policy = path.join(dir, 'policy.jsonc');
    fs.writeFileSync(policy, policyBytes(3));
    const key = path.join(dir, 'signing.key');
    fs.writeFileSync(key, KEYS.privateKeyPem, { mode: 0o600 });
    const data = path.join(dir, 'data-1');
    const s = await startServer(['--listen', '127.0.0.1:0', '--data-dir', data, '--admin-token', ADMIN, '--enroll-secret', SECRET, '--policy', policy, '--signing-key', key]);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(s.url).port)).toBeGreaterThan(0);
    expect((await request(`${s.url}/healthz`)).status).toBe(200);
    expect(fs.existsSync(path.join(data, 'ccfleet.sqlite'))).toBe(true);

    const { deviceId, token } = await enrollAt(s.url);
    const p = await request(`${s.url}/v1/policy`, { headers: bearer(token) });
    expect(p.status).toBe(200);
    expect(p.body.equals(policyBytes(3))).toBe(true);
    expect(verifyPolicy(p.body, decodeSignatureHeader(p.headers['ccfleet-signature'] as string), [KEYS.publicKey])).toMatchObject({ ok: true });
    expect((await request(`${s.url}/v1/reports`, { method: 'POST', headers: jsonHeaders(token), body: JSON.stringify(report(deviceId)) })).status).toBe(202);
    expect((await request(`${s.url}/v1/fleet/summary`, { headers: bearer(ADMIN) })).json.reportsTotal).toBe(1);

    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.stdout()).toBe(`listening on ${s.url}\n`);
    expect(s.stderr()).not.toContain(ADMIN);
    expect(s.stderr()).not.toContain(SECRET);
  });

  it('takes every setting from CCFLEET_* variables (several admin tokens comma-separated); SIGINT exits 0', async () => {
    const store = path.join(dir, 'env-store', 'fleet.sqlite');
    const pdir = path.join(dir, 'env-policies');
    fs.mkdirSync(pdir);
    writePolicy(path.join(pdir, 'a.json'), 1);
    writePolicy(path.join(pdir, 'b.json'), 2);
    const env = baseEnv({
      CCFLEET_LISTEN: '127.0.0.1:0',
      CCFLEET_STORE: store,
      CCFLEET_ADMIN_TOKEN: `${ADMIN},second-admin-token-abcdefghijkl`,
      CCFLEET_ENROLL_SECRET: SECRET,
      CCFLEET_POLICY_DIR: pdir,
      CCFLEET_HISTORY_DAYS: '30',
    });
    const s = await startServer([], env);
    expect(fs.existsSync(store)).toBe(true);
    for (const t of [ADMIN, 'second-admin-token-abcdefghijkl']) expect((await request(`${s.url}/v1/fleet/summary`, { headers: bearer(t) })).status).toBe(200);
    expect((await request(`${s.url}/v1/fleet/summary`, { headers: bearer('third') })).status).toBe(401);
    const { token } = await enrollAt(s.url);
    expect((await request(`${s.url}/v1/policy`, { headers: bearer(token) })).body.equals(policyBytes(2))).toBe(true);
    s.proc.kill('SIGINT');
    expect(await s.exited).toBe(0);
  });

  it('a flag wins over its variable', async () => {
    const s = await startServer(['--listen', '127.0.0.1:0', '--store', ':memory:'], baseEnv({ CCFLEET_LISTEN: 'not-an-address', CCFLEET_ADMIN_TOKEN: ADMIN, CCFLEET_ENROLL_SECRET: SECRET }));
    expect((await request(`${s.url}/healthz`)).json).toEqual({ status: 'ok', store: 'sqlite' });
    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('finishes a request in flight after SIGTERM, then exits 0', async () => {
    const s = await startServer(['--listen', '127.0.0.1:0', '--store', ':memory:', '--admin-token', ADMIN, '--enroll-secret', SECRET]);
    const { deviceId, token } = await enrollAt(s.url);
    const body = Buffer.from(JSON.stringify(report(deviceId, { id: 'in-flight' })));
    const { port } = new URL(s.url);
    const sock = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    sock.on('data', (d: Buffer) => (answer += d.toString('utf8')));
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    await new Promise<void>((r) => sock.on('connect', () => r()));
    // Expect: 100-continue — the server answers "100 Continue" once it has parsed the request and handed it
    // to the app: from then on the request is in flight.
    sock.write(`POST /v1/reports HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nexpect: 100-continue\r\n\r\n`);
    await until('100 Continue', async () => answer.startsWith('HTTP/1.1 100 Continue\r\n\r\n'));
    answer = '';
    sock.write(body.subarray(0, 100));
    s.proc.kill('SIGTERM');
    await until('SIGTERM logged', async () => /SIGTERM/.test(s.stderr()));
    sock.write(body.subarray(100));
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 202 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(answer).toContain('"status":"stored"');
    expect(await s.exited).toBe(0);
  });

  it('re-reads the policy folder on SIGHUP (and when it changes)', async () => {
    const pdir = path.join(dir, 'hup-policies');
    fs.mkdirSync(pdir);
    writePolicy(path.join(pdir, 'p1.json'), 1);
    const s = await startServer(['--listen', '127.0.0.1:0', '--store', ':memory:', '--admin-token', ADMIN, '--enroll-secret', SECRET, '--policy-dir', pdir]);
    const { token } = await enrollAt(s.url);
    const first = await request(`${s.url}/v1/policy`, { headers: bearer(token) });
    expect(first.body.equals(policyBytes(1))).toBe(true);
    writePolicy(path.join(pdir, 'p5.json'), 5);
    s.proc.kill('SIGHUP');
    const next = await until('version 5 served', async () => {
      const r = await request(`${s.url}/v1/policy`, { headers: { ...bearer(token), 'if-none-match': first.headers.etag as string } });
      return r.status === 200 && r.body.equals(policyBytes(5)) ? r : null;
    });
    expect(next.headers.etag).not.toBe(first.headers.etag);
    expect(s.stderr()).toMatch(/serving policy fleet version 5/);
    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('serves HTTPS with --tls-cert/--tls-key and says so in its line', async () => {
    const ca = makePrivateCa();
    try {
      const s = await startServer(['--listen', '127.0.0.1:0', '--store', ':memory:', '--admin-token', ADMIN, '--enroll-secret', SECRET, '--tls-cert', ca.certPath, '--tls-key', ca.keyPath]);
      expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await new Promise<number>((resolve, reject) => {
        https.get(`${s.url}/healthz`, { ca: ca.caCert }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      expect(status).toBe(200);
      // --cookie-secure auto: the server does the TLS, so the dashboard's session cookie is Secure.
      const setCookie = await new Promise<string>((resolve, reject) => {
        const req = https.request(`${s.url}/login`, { method: 'POST', ca: ca.caCert, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.url } }, (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie']?.[0] ?? ''));
        });
        req.on('error', reject);
        req.end(new URLSearchParams({ token: ADMIN }).toString());
      });
      expect(setCookie.split('; ')).toContain('Secure');
      s.proc.kill('SIGTERM');
      expect(await s.exited).toBe(0);
    } finally {
      ca.cleanup();
    }
  });

  it('refuses bad flags and settings with exit 2, naming the flag or variable', () => {
    const key = path.join(dir, 'k.pem');
    fs.writeFileSync(key, KEYS.privateKeyPem);
    const unsigned = path.join(dir, 'unsigned.jsonc');
    fs.writeFileSync(unsigned, policyBytes(1));
    const invalid = path.join(dir, 'invalid.jsonc');
    fs.writeFileSync(invalid, '{ "id": "x" }');
    const base = ['--listen', '127.0.0.1:0', '--store', ':memory:', '--admin-token', ADMIN, '--enroll-secret', SECRET];
    const cases: Array<[string[], RegExp, NodeJS.ProcessEnv?]> = [
      [['--listen', 'nowhere', '--admin-token', ADMIN, '--enroll-secret', SECRET], /USAGE: --listen must be <host>:<port>/],
      [['--listen', '127.0.0.1:70000', '--admin-token', ADMIN, '--enroll-secret', SECRET], /--listen must be/],
      [['--store', ':memory:', '--admin-token', ADMIN, '--enroll-secret', SECRET], /CCFLEET_LISTEN must be/, baseEnv({ CCFLEET_LISTEN: 'x:y' })],
      [['--listen', '127.0.0.1:0', '--enroll-secret', SECRET], /--admin-token is required/],
      [['--listen', '127.0.0.1:0', '--admin-token', ADMIN], /--enroll-secret is required/],
      [[...base, '--history-days', '-1'], /--history-days/],
      [[...base, '--history-days', 'ten'], /--history-days must be a whole number/],
      [[...base, '--stale-hours', '0'], /--stale-hours must be/],
      [[...base, '--rate-limit', 'fast'], /--rate-limit must be/],
      [[...base, '--log-level', 'loud'], /--log-level must be/],
      [[...base, '--tls-cert', key], /--tls-key is needed/],
      [[...base, '--signing-key', key], /--signing-key needs --policy/],
      [[...base, '--policy', unsigned, '--policy-dir', dir], /--policy and --policy-dir exclude each other/],
      [[...base, '--policy', unsigned], /POLICY_SIGNATURE: .*unsigned\.jsonc is not signed/],
      [[...base, '--policy', invalid, '--signing-key', key], /POLICY_INVALID/],
      [[...base, '--policy', unsigned, '--signing-key', unsigned], /CONFIG_INVALID: not a PEM private key/],
      [[...base, '--policy', path.join(dir, 'missing.jsonc'), '--allow-unsigned'], /POLICY_NOT_FOUND/],
      [[...base, '--policy-dir', path.join(dir, 'no-such-dir')], /--policy-dir .*cannot read/],
      [[...base, '--tls-cert', path.join(dir, 'nope.pem'), '--tls-key', key], /--tls-cert .*no such file/],
      [[...base, '--store', 'mysql://x'], /USAGE/],
      [[...base, '--bogus'], /unknown option --bogus/],
      [[...base, '--user', 'alice'], /--user does not apply to server/],
      [[...base, '--admin-token', SECRET], /--admin-token must differ/],
      [[...base, '--cookie-secure', 'sometimes'], /--cookie-secure must be one of auto, always, never/],
      [[...base, '--trust-proxy', 'localhost'], /--trust-proxy "localhost" is not an IP address or CIDR range/],
    ];
    for (const [args, message, env] of cases) {
      const r = runServer(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('exits 2 when the address is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (blocker.address() as net.AddressInfo).port;
      const r = runServer(['--listen', `127.0.0.1:${port}`, '--store', ':memory:', '--admin-token', ADMIN, '--enroll-secret', SECRET]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot listen \(the address is in use\)/);
      expect(r.stdout).toBe('');
    } finally {
      blocker.close();
    }
  });

  it('serves an unsigned policy only with --allow-unsigned, with a warning', async () => {
    const unsigned = path.join(dir, 'unsigned-ok.jsonc');
    fs.writeFileSync(unsigned, policyBytes(4));
    const s = await startServer(['--listen', '127.0.0.1:0', '--store', ':memory:', '--admin-token', ADMIN, '--enroll-secret', SECRET, '--policy', unsigned, '--allow-unsigned']);
    const { token } = await enrollAt(s.url);
    const p = await request(`${s.url}/v1/policy`, { headers: bearer(token) });
    expect(p.status).toBe(200);
    expect(p.headers['ccfleet-signature']).toBeUndefined();
    expect(s.stderr()).toMatch(/WARN serving policy fleet version 4 UNSIGNED/);
    s.proc.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });
});
