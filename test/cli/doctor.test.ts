/**
 * `ccfleet doctor` against the fake Bifrost (real HTTP servers on 127.0.0.1) and its failure modes: all
 * good, a dead port, a rejected key, a slow server, TLS with a private CA, budget used up, an inactive key,
 * an unhealthy /health, clock skew, and the local checks. Exit 0 no problem, 1 problems, 2 could not run.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/core/fingerprint.js';
import { startFakeGateway, type FakeGateway, type VirtualKeySpec } from '../support/fake-gateway.js';
import { makePrivateCa, type PrivateCa } from '../support/private-ca.js';
import { checkOf, doctorFixture, KEY, statuses, type DoctorFixture } from './doctor-fixture.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gateway(opts: Parameters<typeof startFakeGateway>[0] = {}, keys: Record<string, VirtualKeySpec> = { [KEY]: { budget: { maxLimit: 100, currentUsage: 12 } } }): Promise<FakeGateway> {
  const gw = await startFakeGateway({ basePath: '/anthropic', virtualKeys: keys, ...opts });
  cleanups.push(() => gw.close());
  return gw;
}

function machine(baseUrl: string, extra?: Parameters<DoctorFixture['policyFor']>[1]): DoctorFixture {
  const f = doctorFixture();
  cleanups.push(() => f.cleanup());
  f.policyFor(baseUrl, extra);
  return f;
}

/** A repaired machine: the local checks pass, so only the gateway decides. */
function repaired(baseUrl: string, extra?: Parameters<DoctorFixture['policyFor']>[1]): DoctorFixture {
  const f = machine(baseUrl, extra);
  const r = f.run('repair');
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return f;
}

const GATEWAY_CHECKS = ['gateway-reachable', 'gateway-health', 'gateway-models', 'gateway-quota', 'clock'];

describe('doctor: all good', () => {
  it('exit 0; every gateway check ok; the policy\'s key went to /v1/models and the quota route as Bearer; no key in any output', async () => {
    const gw = await gateway();
    const f = repaired(gw.url);
    const r = await f.doctor(['--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.ok).toBe(true);
    expect(r.json.policy).toEqual({ id: 'e2e', version: 1 });
    for (const code of ['files-strict', 'user-env', ...GATEWAY_CHECKS]) expect(checkOf(r, code).status, code).toBe('ok');
    expect(checkOf(r, 'gateway-reachable')).toMatchObject({ target: gw.url, users: ['alice'] });
    expect(checkOf(r, 'gateway-models').message).toContain(`ANTHROPIC_AUTH_TOKEN ${fingerprint(KEY)}`);
    expect(checkOf(r, 'gateway-quota').message).toMatch(/active; budget 12% used/);
    for (const c of r.json.checks) expect(typeof c.ms).toBe('number');
    const seen = gw.requests.map((q) => [q.route, q.authorization ?? null]);
    expect(seen).toEqual(expect.arrayContaining([['health', null], ['models', `Bearer ${KEY}`], ['quota', `Bearer ${KEY}`]]));
    expect(gw.requests.every((q) => /^ccfleet-doctor\//.test(q.userAgent ?? ''))).toBe(true);

    const text = await f.doctor();
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ccfleet doctor — policy e2e v1: (all good|no problem, \d+ warnings?)$/m);
    expect(text.stdout).toMatch(/^ok +gateway-models +http:\/\/127\.0\.0\.1:\d+\/anthropic +alice/m);
    for (const out of [r.stdout, r.stderr, text.stdout, text.stderr]) {
      expect(out).not.toContain(KEY);
      expect(out).not.toContain(KEY.slice(-20));
    }
  });

  it('an API-key policy sends x-api-key; a gateway without the quota route (not Bifrost) skips the quota check', async () => {
    const gw = await startFakeGateway({ basePath: '/anthropic' });
    cleanups.push(() => gw.close());
    const f = repaired(gw.url, { env: { ANTHROPIC_AUTH_TOKEN: undefined, ANTHROPIC_API_KEY: KEY } });
    const r = await f.doctor(['--json']);
    expect(r.code, r.stdout).toBe(0);
    expect(checkOf(r, 'gateway-models').status).toBe('ok');
    expect(checkOf(r, 'gateway-quota')).toMatchObject({ status: 'skipped', message: expect.stringMatching(/not Bifrost/) });
    expect(gw.requests.find((q) => q.route === 'models')).toMatchObject({ apiKey: KEY, authorization: undefined });
  });
});

describe('doctor: gateway failure modes', () => {
  it('a dead port: gateway-reachable is a problem naming ECONNREFUSED, the rest skipped, exit 1', async () => {
    const port = await deadPort();
    const f = repaired(`http://127.0.0.1:${port}/anthropic`);
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(1);
    expect(r.json.ok).toBe(false);
    expect(checkOf(r, 'gateway-reachable')).toMatchObject({ status: 'problem', message: expect.stringContaining('ECONNREFUSED') });
    for (const code of GATEWAY_CHECKS.slice(1)) expect(checkOf(r, code)).toMatchObject({ status: 'skipped', message: 'gateway unreachable' });
    const text = await f.doctor();
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^ccfleet doctor — policy e2e v1: 1 problem/m);
    expect(text.stdout).toMatch(/^PROBLEM +gateway-reachable .*ECONNREFUSED/m);
  });

  it('a key the gateway does not know (401): gateway-models is a problem naming the key by fingerprint only', async () => {
    const gw = await gateway({}, { 'sk-bf-someone-else': {} });
    const f = repaired(gw.url);
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(1);
    expect(checkOf(r, 'gateway-reachable').status).toBe('ok');
    expect(checkOf(r, 'gateway-models')).toMatchObject({
      status: 'problem',
      message: expect.stringContaining(`gateway rejects the credential (ANTHROPIC_AUTH_TOKEN ${fingerprint(KEY)}): 401`),
    });
    expect(checkOf(r, 'gateway-quota').status).toBe('problem');
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('a gateway that echoes the key in its error message: the message shows a fingerprint instead', async () => {
    // Not Bifrost: a server that answers 401 quoting the credential it got.
    const server = http.createServer((req, res) => {
      const body = JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: `invalid key ${req.headers.authorization}` } });
      res.writeHead(req.url === '/health' ? 200 : 401, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const f = repaired(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/anthropic`);
    const r = await f.doctor(['--json']);
    expect(checkOf(r, 'gateway-models')).toMatchObject({ status: 'problem', message: expect.stringContaining(`invalid key Bearer ${fingerprint(KEY)}`) });
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(r.stdout + r.stderr).not.toContain(KEY.slice(-20));
  });

  it('a slow server (delay beyond --timeout): a timeout problem, and the run finishes', async () => {
    const gw = await gateway({ delayMs: 20_000 });
    const f = repaired(gw.url);
    const r = await f.doctor(['--json', '--timeout', '300']);
    expect(r.code).toBe(1);
    expect(checkOf(r, 'gateway-reachable')).toMatchObject({ status: 'problem', message: expect.stringMatching(/timed out after 300 ms/) });
    expect(gw.requests.map((q) => q.route)).toEqual(['health']);
  });

  it('/health answers 503: gateway-health is a problem while the gateway is reachable', async () => {
    const gw = await gateway({ status: { health: 503 } });
    const f = repaired(gw.url);
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(1);
    expect(statuses(r)).toMatchObject({ 'gateway-reachable': 'ok', 'gateway-health': 'problem', 'gateway-models': 'ok' });
    expect(checkOf(r, 'gateway-health').message).toMatch(/503/);
  });

  it('/health answers 404 (not Bifrost): skipped, not a problem', async () => {
    const gw = await gateway({ status: { health: 404 } });
    const f = repaired(gw.url);
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(0);
    expect(checkOf(r, 'gateway-health')).toMatchObject({ status: 'skipped', message: expect.stringMatching(/not a Bifrost \/health/) });
  });

  it('budget used up: gateway-quota is a problem "budget exhausted"; at 95% a warning (exit 0)', async () => {
    const gw = await gateway({}, { [KEY]: { budget: { maxLimit: 20, currentUsage: 20, resetDuration: '1d' } } });
    const f = repaired(gw.url);
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(1);
    expect(checkOf(r, 'gateway-quota')).toMatchObject({ status: 'problem', message: expect.stringMatching(/budget exhausted: 20 of 20 used, resets every 1d/) });
    gw.set({ virtualKeys: { [KEY]: { budget: { maxLimit: 20, currentUsage: 19 } } } });
    const w = await f.doctor(['--json']);
    expect(w.code).toBe(0);
    expect(checkOf(w, 'gateway-quota')).toMatchObject({ status: 'warning', message: expect.stringMatching(/budget 95% used/) });
  });

  it('an inactive key: models refused (403) and the quota says inactive', async () => {
    const gw = await gateway({}, { [KEY]: { active: false, name: 'team-x' } });
    const f = repaired(gw.url);
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(1);
    expect(checkOf(r, 'gateway-models')).toMatchObject({ status: 'problem', message: expect.stringMatching(/: 403/) });
    expect(checkOf(r, 'gateway-quota')).toMatchObject({ status: 'problem', message: 'virtual key "team-x" is inactive — the gateway refuses it' });
  });

  it('clock: 10 minutes of skew is a problem, 1 minute a warning', async () => {
    const gw = await gateway({ clockOffsetMs: 10 * 60_000 });
    const f = repaired(gw.url);
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(1);
    expect(checkOf(r, 'clock')).toMatchObject({ status: 'problem', message: expect.stringMatching(/behind the gateway's/) });
    gw.set({ clockOffsetMs: -60_000 });
    const w = await f.doctor(['--json']);
    expect(w.code).toBe(0);
    expect(checkOf(w, 'clock')).toMatchObject({ status: 'warning', message: expect.stringMatching(/ahead of the gateway's/) });
  });
});

describe('doctor: TLS with a private CA', () => {
  let ca: PrivateCa;
  beforeEach(() => {
    ca = makePrivateCa();
    cleanups.push(() => ca.cleanup());
  });

  it('without --ca: "certificate signed by unknown authority — pass --ca"; with --ca: every check ok', async () => {
    const gw = await gateway({ tls: { key: ca.key, cert: ca.cert } });
    expect(gw.url).toMatch(/^https:/);
    const f = repaired(gw.url);
    const bad = await f.doctor(['--json']);
    expect(bad.code).toBe(1);
    expect(checkOf(bad, 'gateway-reachable')).toMatchObject({ status: 'problem', message: expect.stringMatching(/certificate signed by unknown authority .*pass --ca/) });
    const good = await f.doctor(['--json', '--ca', ca.caCertPath]);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    for (const code of GATEWAY_CHECKS) expect(checkOf(good, code).status, code).toBe('ok');
  });

  it('--ca with the wrong CA still fails; a missing or garbage --ca file is a usage error (exit 2)', async () => {
    const other = makePrivateCa();
    cleanups.push(() => other.cleanup());
    const gw = await gateway({ tls: { key: ca.key, cert: ca.cert } });
    const f = repaired(gw.url);
    const wrong = await f.doctor(['--json', '--ca', other.caCertPath]);
    expect(checkOf(wrong, 'gateway-reachable').status).toBe('problem');
    const missing = await f.doctor(['--ca', `${ca.dir}/nope.pem`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^ccfleet: USAGE: --ca .*ENOENT/);
    const garbage = await f.doctor(['--ca', ca.keyPath]);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/^ccfleet: USAGE: --ca .*no PEM certificate/);
    const broken = f.put('/broken.pem', '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    const b = await f.doctor(['--ca', broken]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/does not parse/);
    // The wrong CA never got past the handshake, and usage errors send nothing.
    expect(gw.requests).toEqual([]);
  });
});

describe('doctor: local checks and other gateways', () => {
  it('before repair: user-env is a problem telling to run ccfleet repair; a user file with a comment is a files-strict warning', async () => {
    const gw = await gateway();
    const f = machine(gw.url);
    f.put('/home/alice/.claude/settings.json', '{\n  // mine\n  "model": "opus"\n}\n');
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(1);
    expect(checkOf(r, 'user-env')).toMatchObject({ status: 'problem', target: 'alice', users: ['alice'], message: expect.stringMatching(/ANTHROPIC_BASE_URL is unset .* run ccfleet repair$/) });
    expect(checkOf(r, 'files-strict')).toMatchObject({ status: 'warning', message: expect.stringContaining('/home/alice/.claude/settings.json') });
    expect(checkOf(r, 'gateway-models').status).toBe('ok');
  });

  it('a broken managed-settings.json is a files-strict problem', async () => {
    const gw = await gateway();
    const f = repaired(gw.url);
    f.put('/etc/claude-code/managed-settings.json', '{ "env": { ');
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(1);
    expect(checkOf(r, 'files-strict')).toMatchObject({ status: 'problem', message: expect.stringMatching(/managed-settings\.json/) });
  });

  it('a user pointed at another gateway: that one is probed too, but never sent the policy\'s key', async () => {
    const gw = await gateway();
    const rogue = await startFakeGateway({ basePath: '/rogue' });
    cleanups.push(() => rogue.close());
    const f = machine(gw.url, { enforceIn: 'user' });
    f.put('/home/alice/.claude/settings.json', JSON.stringify({ env: { ANTHROPIC_BASE_URL: rogue.url } }));
    f.put('/home/alice/.claude.json', JSON.stringify({ projects: { '/home/alice/p': {} } }));
    f.put('/home/alice/p/.claude/settings.local.json', JSON.stringify({ env: { ANTHROPIC_BASE_URL: rogue.url } }));
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(1);
    expect(checkOf(r, 'user-env').message).toContain(`ANTHROPIC_BASE_URL is ${rogue.url} from user`);
    const reach = (r.json.checks as Array<{ code: string; target: string; status: string; users?: string[] }>).filter((c) => c.code === 'gateway-reachable');
    expect(reach.map((c) => [c.target, c.status, c.users])).toEqual([[gw.url, 'ok', undefined], [rogue.url, 'ok', ['alice']]]);
    const rogueModels = (r.json.checks as Array<{ code: string; target: string; status: string }>).find((c) => c.code === 'gateway-models' && c.target === rogue.url);
    expect(rogueModels?.status).toBe('skipped');
    expect(rogue.requests.map((q) => q.route)).toEqual(['health']);
    expect(rogue.requests.every((q) => q.authorization === undefined && q.apiKey === undefined)).toBe(true);
  });

  it('a policy that does not lint (placeholder key) is a policy-lint problem', async () => {
    const gw = await gateway();
    const f = machine(gw.url, { env: { ANTHROPIC_AUTH_TOKEN: 'your-virtual-key' } });
    const r = await f.doctor(['--json']);
    expect(r.code).toBe(1);
    expect(checkOf(r, 'policy-lint')).toMatchObject({ status: 'problem', message: expect.stringContaining('placeholder-key') });
  });

  it('an apiKeyHelper is never run under --root: models and quota are skipped with the reason', async () => {
    const gw = await gateway();
    const f = repaired(gw.url, { env: { ANTHROPIC_AUTH_TOKEN: undefined }, managedSettings: { apiKeyHelper: '/usr/bin/whoami' } });
    const r = await f.doctor(['--json']);
    expect(checkOf(r, 'gateway-models')).toMatchObject({ status: 'skipped', message: 'apiKeyHelper is never run under --root' });
    expect(checkOf(r, 'gateway-quota').status).toBe('skipped');
    expect(gw.requests.map((q) => q.route)).toEqual(['health']);
  });
});

describe('doctor: usage errors (exit 2)', () => {
  it.each([['abc'], ['0'], ['-5'], ['120001'], ['1.5'], ['']])('--timeout %j', async (t) => {
    const f = machine('http://127.0.0.1:9/anthropic');
    const r = await f.doctor(['--timeout', t]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ccfleet: USAGE: /);
  });

  it('no policy, an unknown user, --dry-run', async () => {
    const f = machine('http://127.0.0.1:9/anthropic');
    const { runAsync } = await import('./doctor-fixture.js');
    const none = await runAsync(['doctor', '--root', f.root, '--platform', 'linux']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/POLICY_NOT_FOUND/);
    expect((await f.doctor(['--user', 'mallory'])).code).toBe(2);
    expect((await f.doctor(['--dry-run'])).code).toBe(2);
    const help = await runAsync(['doctor', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--timeout <ms>/);
  });
});

/** A port nothing listens on: listen, note the port, close. */
function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
