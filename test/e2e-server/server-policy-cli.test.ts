/**
 * `check`, `repair` and the MDM formats on a machine whose agent config names only the server (what the MSI,
 * the packages and the MDM profiles leave: SERVER_URL + ENROLL_SECRET + pinned keys): the policy comes from
 * `<server>/v1/policy` as the daemon gets it — enrolling first when there is no token, verified against the
 * pinned key, cached — and from the last-known-good copy while the server is down. Once this answered
 * POLICY_NOT_FOUND, so every Jamf EA and Intune detection on such a machine said "Error".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliAsync } from '../cli/e2e-fixture.js';
import { agentMachine, DROPIN, fleet, policyFile, SETTINGS, signingKeys, startServer, type AgentMachine, type ServerProcess } from './support.js';

describe('check / repair with only a server in the agent config', () => {
  let dir: string;
  let s: ServerProcess;
  let a: AgentMachine;
  const run = (...args: string[]) => cliAsync([...args, '--root', a.root, '--platform', 'linux', '--config', a.config]);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-server-policy-cli-'));
    const keys = signingKeys(dir, 'fleet');
    s = await startServer({ store: path.join(dir, 'store.sqlite'), policy: policyFile(dir, 1), key: keys.keyFile });
    a = agentMachine(s.url, keys.publicKey);
  });
  afterAll(async () => {
    await s?.kill();
    a?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('check enrolls, fetches and verifies the server policy, and reports the machine against it', async () => {
    expect(fs.existsSync(a.tokenFile)).toBe(false);
    const c = await run('check', '--json');
    expect(c.code, c.stderr).toBe(1);
    expect(c.json.policy).toEqual({ id: 'e2e-fleet', version: 1 });
    expect(fs.statSync(a.tokenFile).mode & 0o777).toBe(0o600);
    const devices = await fleet.devices(s);
    expect(devices.map((d) => d.id)).toEqual([a.deviceId()]);
  });

  it('repair enforces it; check --format jamf and intune then say compliant; still one device on the server', async () => {
    const r = await run('repair', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(a.json(SETTINGS)).toEqual({ theme: 'dark' });
    expect(a.json(DROPIN)).toMatchObject({ env: { ANTHROPIC_BASE_URL: 'https://gw-v1.example.com/anthropic' } });
    const jamf = await run('check', '--format', 'jamf');
    expect(jamf.code).toBe(0);
    expect(jamf.stdout).toMatch(/^<result>Compliant/);
    const intune = await run('check', '--format', 'intune');
    expect(intune.code, intune.stdout).toBe(0);
    expect((await fleet.devices(s)).length).toBe(1);
  });

  it('with the server down: the last-known-good policy (drift still found), not an error', async () => {
    await s.kill();
    a.rewrite(SETTINGS, { theme: 'dark', model: 'opus' });
    const c = await run('check', '--json');
    expect(c.code, c.stderr).toBe(1);
    expect(c.json.policy).toEqual({ id: 'e2e-fleet', version: 1 });
    const jamf = await run('check', '--format', 'jamf');
    expect(jamf.stdout).toMatch(/^<result>Non-compliant/);
    const r = await run('repair', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(a.json(SETTINGS)).toEqual({ theme: 'dark' });
  });

  it('no server, no policy: POLICY_NOT_FOUND naming both settings', async () => {
    const bare = path.join(dir, 'bare.json');
    fs.writeFileSync(bare, '{}');
    const c = await cliAsync(['check', '--root', a.root, '--platform', 'linux', '--config', bare]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/POLICY_NOT_FOUND.*"policy" or "server"/);
  });
});
