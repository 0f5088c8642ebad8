/**
 * The Windows daemon's WSL module (createDaemonWsl → WslService + WslReporting) against a fake wsl.exe and
 * a fake ccfleet server: each distribution enrolls and reports as a device of its own (derived id,
 * `<host>/<distro>` hostname), a failure is that distribution's non-compliant report, nothing is re-run
 * before it is due, a new policy makes every distribution due, docker-desktop never reports.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/agent/agent-config.js';
import { createLogger } from '../../src/agent/log.js';
import { policyCacheDir, writePolicyCache } from '../../src/agent/policy-cache.js';
import { reportingParts } from '../../src/agent/report/setup.js';
import { realClock, type Clock } from '../../src/agent/scheduler.js';
import { createDaemonWsl } from '../../src/agent/wsl/daemon-wsl.js';
import { wslStatusPath } from '../../src/agent/wsl/wsl-service.js';
import type { WslPassResult } from '../../src/agent/wsl/wsl-pass.js';
import { repoRoot } from '../support/cli.js';
import { startFakeServer, type FakeServer } from './report-fake-server.js';
import { drift, fakeWsl, LINUX_EXE, type FakeWsl } from './wsl-fixture.js';

const SECRET = 'enroll-secret-for-tests';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function putPolicy(stateDir: string, file: string, version: number): string {
  const text = fs.readFileSync(path.join(repoRoot, 'policies', file), 'utf8').replace(/"version":\s*\d+/, `"version": ${version}`);
  const bytes = Buffer.from(text);
  const digest = createHash('sha256').update(bytes).digest('hex');
  writePolicyCache(policyCacheDir(stateDir), bytes, null, { etag: null, source: 'test', digest, version, id: 'x', keyId: null, appliedAt: new Date().toISOString(), highestVersion: {}, highestDigest: {} });
  return digest;
}

async function setup(fake: FakeWsl, wsl: AgentConfig['wsl'] = {}) {
  const server = await startFakeServer({ enrollSecret: SECRET });
  cleanups.push(() => server.close());
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wsl-state-'));
  cleanups.push(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  const log = createLogger({ logDir: null, console: false, level: 'debug' });
  const config: AgentConfig = { server: server.url, enrollSecret: SECRET, wsl: { linuxExecutable: LINUX_EXE, ...wsl } };
  const parts = reportingParts({ config, stateDir, platform: 'windows', agentVersion: '9.9.9', userAgent: 'test', log });
  let digest: string | null = null;
  const passes: WslPassResult[] = [];
  // real timers, a clock that can be moved forward
  let skew = 0;
  const clock: Clock = { ...realClock, now: () => realClock.now() + skew };
  const service = createDaemonWsl({ platform: 'windows', root: null, config, stateDir, log, digest: () => digest, reporting: parts, agentVersion: '9.9.9', runner: fake.runner, clock, onPass: (r) => passes.push(r) })!;
  cleanups.push(() => service.stop());
  return { server, stateDir, service, passes, hostId: parts.identity().deviceId, setDigest: (d: string | null) => (digest = d), advance: (ms: number) => (skew += ms) };
}

const reportsOf = (s: FakeServer) => [...s.reports.values()];

describe('the daemon\'s WSL pass', () => {
  it('reports each distribution as its own device; a broken one is a non-compliant report with the error code', async () => {
    const fake = fakeWsl([{ name: 'Ubuntu' }, { name: 'docker-desktop' }, { name: 'Broken', exe: 'garbage' }, { name: 'Debian', running: false }], { bom: true, nuls: true });
    cleanups.push(() => fake.cleanup());
    const file = drift(fake.machine('Ubuntu'));
    const t = await setup(fake);

    await t.service.runNow(); // no policy enforced yet: nothing
    expect(fake.calls()).toEqual([]);

    t.setDigest(putPolicy(t.stateDir, 'alias-routing.jsonc', 3));
    await t.service.runNow();
    expect(fake.ranIn()).toEqual(['Ubuntu', 'Broken']);
    expect(JSON.parse(fake.machine('Ubuntu').read(file))).toEqual({ theme: 'dark' });

    const enrolls = t.server.requests.filter((r) => r.path === '/v1/enroll').map((r) => JSON.parse(r.body) as { deviceId: string; hostname: string });
    expect(enrolls.map((e) => [e.deviceId, e.hostname]).sort()).toEqual([
      [`${t.hostId}:wsl:broken`, `${os.hostname()}/Broken`],
      [`${t.hostId}:wsl:ubuntu`, `${os.hostname()}/Ubuntu`],
    ]);
    const reports = reportsOf(t.server);
    expect(reports).toHaveLength(2);
    const ubuntu = reports.find((r) => r.hostname.endsWith('/Ubuntu'))!;
    expect(ubuntu).toMatchObject({ deviceId: `${t.hostId}:wsl:ubuntu`, compliant: true, os: { platform: 'wsl', arch: 'x64' }, agentVersion: '9.9.9', policy: { id: 'bifrost-alias-routing', version: 3 } });
    expect(ubuntu.policy?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(ubuntu.users.map((u) => [u.name, u.compliant])).toEqual([['alice', true]]);
    expect(ubuntu.events.map((e) => [e.kind, e.path])).toEqual([
      ['drift-repaired', '/etc/claude-code/managed-settings.d/50-ccfleet.json'],
      ['drift-repaired', file],
    ]);
    const broken = reports.find((r) => r.hostname.endsWith('/Broken'))!;
    expect(broken).toMatchObject({ deviceId: `${t.hostId}:wsl:broken`, compliant: false, users: [], files: [] });
    expect(broken.managed.findings.map((f) => [f.code, f.blocking])).toEqual([['wsl-bad-output', true]]);
    expect(broken.events.map((e) => [e.kind, e.codes])).toEqual([['wsl-error', ['wsl-bad-output']]]);

    // the status file `ccfleet wsl list` reads
    const status = JSON.parse(fs.readFileSync(wslStatusPath(t.stateDir), 'utf8')) as { distributions: Record<string, { kind: string; compliant: boolean; code?: string }> };
    expect(Object.entries(status.distributions).map(([n, s]) => [n, s.kind, s.compliant, s.code ?? null])).toEqual([
      ['Ubuntu', 'ok', true, null],
      ['Broken', 'error', false, 'wsl-bad-output'],
    ]);
    // each distribution's token and spool are its own, private
    expect((fs.statSync(path.join(t.stateDir, 'wsl', 'ubuntu')).mode & 0o777).toString(8)).toBe('700');
    expect(fs.existsSync(path.join(t.stateDir, 'wsl', 'ubuntu', 'device-token'))).toBe(true);

    // nothing is due again before everyMinutes: no run, no report
    await t.service.runNow();
    expect(fake.ranIn()).toEqual(['Ubuntu', 'Broken']);
    expect(reportsOf(t.server)).toHaveLength(2);

    // a new policy makes every distribution due; the changed digest is reported
    t.setDigest(putPolicy(t.stateDir, 'alias-routing.jsonc', 4));
    await t.service.runNow();
    expect(fake.ranIn()).toEqual(['Ubuntu', 'Broken', 'Ubuntu', 'Broken']);
    const after = reportsOf(t.server);
    expect(after).toHaveLength(4);
    expect(after.filter((r) => r.policy?.version === 4).map((r) => r.hostname.split('/')[1]).sort()).toEqual(['Broken', 'Ubuntu']);
    // docker-desktop never ran and never reported
    expect(after.some((r) => r.hostname.includes('docker'))).toBe(false);
  }, 60_000);

  it('an unchanged distribution looked at again is not re-reported before the heartbeat; start() runs a pass at once', async () => {
    const fake = fakeWsl([{ name: 'Ubuntu' }]);
    cleanups.push(() => fake.cleanup());
    const t = await setup(fake, { everyMinutes: 1 });
    t.setDigest(putPolicy(t.stateDir, 'alias-routing.jsonc', 1));
    t.service.start();
    await expect.poll(() => t.passes.length, { timeout: 20_000 }).toBeGreaterThan(0);
    await t.service.runNow(); // in flight or done: settled either way
    expect(reportsOf(t.server)).toHaveLength(1);
    // make it due without changing anything: the report is the same picture, so it waits for the heartbeat
    t.advance(120_000);
    await t.service.runNow();
    expect(fake.ranIn()).toEqual(['Ubuntu', 'Ubuntu']);
    expect(reportsOf(t.server)).toHaveLength(1);
  }, 60_000);

  it('stop() kills the distribution run in flight and sends nothing for it', async () => {
    const fake = fakeWsl([{ name: 'Hangs', exe: 'hang' }]);
    cleanups.push(() => fake.cleanup());
    const t = await setup(fake, { timeoutSeconds: 600 });
    t.setDigest(putPolicy(t.stateDir, 'alias-routing.jsonc', 1));
    t.service.start();
    await expect.poll(() => fake.ranIn(), { timeout: 20_000 }).toEqual(['Hangs']);
    await t.service.stop(); // a 600 s deadline: only the abort can end this run (the test's own timeout is 30 s)
    expect(t.passes.map((p) => p.outcomes.length)).toEqual([0]);
    expect(reportsOf(t.server)).toEqual([]);
  }, 30_000);

  it('is off on other platforms, under --root and with wsl.enabled false', () => {
    const log = createLogger({ logDir: null, console: false, level: 'error' });
    const base = { root: null, config: {}, stateDir: os.tmpdir(), log, digest: () => null, reporting: null, agentVersion: '1' };
    expect(createDaemonWsl({ ...base, platform: 'linux' })).toBeNull();
    expect(createDaemonWsl({ ...base, platform: 'wsl' })).toBeNull();
    expect(createDaemonWsl({ ...base, platform: 'windows', config: { wsl: { enabled: false } } })).toBeNull();
    expect(createDaemonWsl({ ...base, platform: 'windows', root: '/tmp/some-tree' })).toBeNull();
    expect(createDaemonWsl({ ...base, platform: 'windows' })).not.toBeNull();
  });

  it('says once at start-up when the service account cannot see any distribution (LocalSystem)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wsl-log-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const log = createLogger({ logDir: dir, console: false, level: 'info' });
    cleanups.push(() => log.close());
    const base = { platform: 'windows' as const, root: null, config: {}, stateDir: dir, log, digest: () => null, reporting: null, agentVersion: '1' };
    createDaemonWsl({ ...base, account: 'alice' });
    createDaemonWsl({ ...base, account: 'SYSTEM' });
    const text = () => (fs.existsSync(path.join(dir, 'ccfleet.log')) ? fs.readFileSync(path.join(dir, 'ccfleet.log'), 'utf8') : '');
    await expect.poll(text).toMatch(/runs as SYSTEM, which sees no WSL distributions/);
    expect(text()).not.toMatch(/runs as alice/);
  });
});
