/**
 * The daemon's policy over HTTP, signed, through one real server on 127.0.0.1 and the built CLI. The agent
 * config pins a key and refreshes every second (`policyRefresh.cron` "* * * * * *", no jitter; v2 is
 * picked up that way, later steps also send SIGHUP to save the wait), so each step only changes what the
 * server serves and waits for the outcome:
 *   v1 (signature in the ccfleet-signature header) applied → v2 (signature at <url>.sig) applied →
 *   tampered bytes, a rolled-back version, unsigned, signed by an unknown key: each rejected with its
 *   code while v2 stays enforced (a deleted drop-in comes back as v2) → v3, signed but past its
 *   `expiresAt`: applied and still enforced, `policy-expired` → server down: `policy-unreachable`, v3 kept →
 *   daemon restarted with the server still down: the last-known-good v3 enforced from the cache.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../src/agent/policy-signing.js';
import { agentConfig, daemonMachine, dropinBaseUrl, eventsOf, gatewayEnv, logText, policyDoc, startDaemon, waitFor, type DaemonMachine, type DaemonProcess } from './support/harness.js';
import { signed, startPolicyServer, type PolicyServer } from './support/policy-server.js';

const SECRET = 'sk-bf-daemon-http-0d6c2b9e4f1a7358-SECRET';
/** A CDN-style access token in the policy URL's query: never logged either. */
const URL_TOKEN = 'sk-cdn-query-token-5e4d3c2b1a09';
const USER = '/home/alice/.claude/settings.json';

let m: DaemonMachine;
let server: PolicyServer;
let key: KeyPair;
let other: KeyPair;
let config: string;
let d: DaemonProcess;

const doc = (version: number, extra?: Record<string, unknown>) => policyDoc({ version, env: gatewayEnv(`v${version}`, SECRET), ...(extra ? { extra } : {}) });
const url = (v: number) => `https://gw.example.com/v${v}/anthropic`;
const now = () => new Date().toISOString();

/** Asks for a refresh now (SIGHUP) rather than waiting for the next second's. */
const refreshNow = () => d.child.kill('SIGHUP');

/** Waits for a policy-rejected event with this code, after `since`; the drop-in still holds `keep`. */
async function expectRejected(code: string, since: string, keep: number): Promise<void> {
  refreshNow();
  await waitFor(() => eventsOf(m.status(), 'policy-rejected', { since }).some((e) => e.codes?.includes(code)), `policy-rejected ${code} in status.json`, { detail: () => d.stderr().slice(-2000) });
  const s = m.status();
  expect(s.policy?.version).toBe(keep);
  expect(eventsOf(s, 'policy-applied', { since })).toHaveLength(0);
  expect(dropinBaseUrl(m)).toBe(url(keep));
  expect(d.stderr()).toMatch(new RegExp(`policy rejected \\(${code}\\).*the last-known-good policy stays in force`));
}

beforeAll(async () => {
  key = generateKeyPair();
  other = generateKeyPair();
  server = await startPolicyServer();
  server.serve(signed(doc(1), key.privateKeyPem, 'header'));
  m = daemonMachine({ users: { alice: [] } });
  m.rewrite(USER, { model: 'opus' });
  config = agentConfig(m, {
    policy: `${server.url}?token=${URL_TOKEN}`,
    policyPublicKeys: [key.publicKey],
    policyRefresh: { cron: '* * * * * *', jitterSeconds: 0 },
  });
  d = await startDaemon(m, ['--config', config]);
});

afterAll(async () => {
  d?.kill();
  await server?.close();
  m?.cleanup();
});

describe('daemon: signed policies over HTTP', () => {
  it('applies v1 signed in the ccfleet-signature header', async () => {
    await waitFor(() => dropinBaseUrl(m) === url(1), 'drop-in carries v1');
    const s = await waitFor(() => (m.status().policy?.version === 1 ? m.status() : null), 'status shows v1');
    expect(s.policy).toMatchObject({ id: 'daemon-e2e', keyId: key.keyId, expired: false });
    await waitFor(() => !('model' in m.json(USER)), 'user file repaired');
  });

  it('applies v2 published on the server with a <url>.sig signature, without a restart', async () => {
    const since = now();
    server.serve(signed(doc(2), key.privateKeyPem, 'file'));
    await waitFor(() => dropinBaseUrl(m) === url(2), 'drop-in carries v2');
    await waitFor(() => eventsOf(m.status(), 'policy-applied', { since }).length === 1, 'one policy-applied event');
    expect(m.status().policy).toMatchObject({ version: 2, keyId: key.keyId });
  });

  it('rejects tampered bytes (bad-signature) and keeps enforcing v2', async () => {
    const since = now();
    const good = signed(doc(3), key.privateKeyPem);
    server.serve({ ...good, body: Buffer.from(good.body.toString('utf8').replace(url(3), 'https://attacker.example.com/anthropic')) });
    await expectRejected('bad-signature', since, 2);
    // Still enforced, not just still cached: a deleted drop-in comes back as v2.
    fs.unlinkSync(m.host(m.dropin));
    await waitFor(() => dropinBaseUrl(m) === url(2), 'deleted drop-in restored as v2');
  });

  it('rejects a validly signed older version (rollback)', async () => {
    const since = now();
    server.serve(signed(doc(1), key.privateKeyPem));
    await expectRejected('rollback', since, 2);
  });

  it('rejects an unsigned policy when a key is pinned', async () => {
    const since = now();
    server.serve({ body: Buffer.from(doc(3)), sig: null });
    await expectRejected('unsigned', since, 2);
  });

  it('rejects a policy signed by a key that is not pinned', async () => {
    const since = now();
    server.serve(signed(doc(3), other.privateKeyPem));
    await expectRejected('unknown-key', since, 2);
  });

  it('applies and keeps enforcing a validly signed policy past its expiresAt, reporting policy-expired', async () => {
    const since = now();
    server.serve(signed(doc(3, { expiresAt: '2020-01-01T00:00:00Z' }), key.privateKeyPem));
    refreshNow();
    await waitFor(() => dropinBaseUrl(m) === url(3), 'drop-in carries the expired v3 (fail-static, never fail-open)');
    const s = await waitFor(() => {
      const st = m.status();
      return st.policy?.version === 3 && eventsOf(st, 'policy-expired', { since }).length > 0 ? st : null;
    }, 'status shows v3 expired with a policy-expired event');
    expect(s.policy?.expired).toBe(true);
    // Reported once, not on every refresh that finds the same policy.
    const hits = server.hits();
    await waitFor(() => server.hits() >= hits + 2, 'two more refreshes');
    expect(eventsOf(m.status(), 'policy-expired', { since })).toHaveLength(1);
    m.rewrite(USER, { model: 'opus' });
    await waitFor(() => !('model' in m.json(USER)), 'drift repaired under the expired policy');
  });

  it('server unreachable: policy-unreachable, the last-known-good policy kept and enforced', async () => {
    const since = now();
    await server.close();
    refreshNow();
    await waitFor(() => eventsOf(m.status(), 'policy-unreachable', { since }).length > 0, 'policy-unreachable event');
    expect(m.status().policy?.version).toBe(3);
    fs.unlinkSync(m.host(m.dropin));
    await waitFor(() => dropinBaseUrl(m) === url(3), 'deleted drop-in restored as v3 with the server down');
  });

  it('restarted with the server still down: enforces the cached last-known-good policy', async () => {
    const r = await d.stop('SIGTERM');
    expect(r.code).toBe(0);
    fs.unlinkSync(m.host(m.dropin));
    m.rewrite(USER, { model: 'opus' });
    const since = now();
    d = await startDaemon(m, ['--config', config]);
    expect(d.stderr()).toMatch(/enforcing the last-known-good policy id=daemon-e2e version=3/);
    await waitFor(() => dropinBaseUrl(m) === url(3), 'drop-in restored from the cached v3');
    await waitFor(() => !('model' in m.json(USER)), 'user file repaired with the cached v3');
    const s = await waitFor(() => {
      const st = m.status();
      return eventsOf(st, 'policy-unreachable', { since }).length > 0 ? st : null;
    }, 'status shows the server unreachable');
    expect(s.policy).toMatchObject({ version: 3, keyId: key.keyId, expired: true });
    expect(eventsOf(s, 'policy-expired', { since })).toHaveLength(1);
    // Live drift is still repaired.
    m.rewrite(USER, { model: 'sonnet' });
    await waitFor(() => !('model' in m.json(USER)), 'drift repaired after the restart');
  });

  it('never logs the policy token or the URL\'s query token', async () => {
    const r = await d.stop('SIGINT');
    expect(r.code).toBe(0);
    const logs = logText(m);
    expect(logs).toContain('policy rejected (bad-signature)'); // the log did cover this run
    for (const secret of [SECRET, URL_TOKEN]) {
      expect(logs.includes(secret), `${secret.slice(0, 8)}… in the log files`).toBe(false);
      expect(d.stderr().includes(secret), `${secret.slice(0, 8)}… on stderr`).toBe(false);
    }
  });
});
