/** `ccfleet wsl list|check|repair` through the built CLI bundle, with the fake wsl.exe (--wsl-exe). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cli, repoRoot } from '../support/cli.js';
import { testBundle, testNode } from '../support/runtime.js';
import { startFakeServer } from './report-fake-server.js';
import { drift, fakeWsl, LINUX_EXE, type FakeWsl } from './wsl-fixture.js';

const policy = path.join(repoRoot, 'policies', 'alias-routing.jsonc');
let fake: FakeWsl | null = null;
let dir = '';
afterEach(() => {
  fake?.cleanup();
  fake = null;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function setup(...a: Parameters<typeof fakeWsl>) {
  fake = fakeWsl(...a);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wsl-cli-'));
  const config = path.join(dir, 'agent.json');
  fs.writeFileSync(config, JSON.stringify({ wsl: { linuxExecutable: LINUX_EXE, exclude: ['Excluded'] } }));
  return { f: fake, common: ['--wsl-exe', fake.exe, '--config', config, '--state-dir', path.join(dir, 'state')] };
}

/** The CLI as a child without blocking this process (the fake server answers from here). */
function cliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(testNode, [testBundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ccfleet wsl', () => {
  it('repair: the drifted distribution repaired, exit 0; check afterwards exit 0; JSON per distribution', () => {
    const { f, common } = setup([{ name: 'Ubuntu' }, { name: 'docker-desktop' }, { name: 'Debian' }, { name: 'Excluded' }], { bom: true });
    const file = drift(f.machine('Ubuntu'));
    const before = cli(['wsl', 'check', '--policy', policy, '--json', ...common]);
    expect(before.code, before.stderr).toBe(1);
    expect(before.json.distributions.map((d: { name: string; compliant: boolean }) => [d.name, d.compliant])).toEqual([
      ['Ubuntu', false],
      ['Debian', false],
    ]);
    const rep = cli(['wsl', 'repair', '--policy', policy, '--json', ...common]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.json.compliant).toBe(true);
    expect(rep.json.skipped).toEqual([
      { name: 'docker-desktop', reason: 'docker-desktop' },
      { name: 'Excluded', reason: 'excluded' },
    ]);
    const ubuntu = rep.json.distributions.find((d: { name: string }) => d.name === 'Ubuntu');
    expect(ubuntu.report.files.find((x: { path: string }) => x.path === file).state).toBe('repaired');
    expect(JSON.parse(f.machine('Ubuntu').read(file))).toEqual({ theme: 'dark' });
    const after = cli(['wsl', 'check', '--policy', policy, ...common]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/Ubuntu\s+compliant/);
    expect(after.stdout).toContain('Skipped: docker-desktop (docker-desktop), Excluded (excluded).');
  }, 60_000);

  it('a broken distribution makes the exit 1 and is shown with its code; --distro limits the run', () => {
    const { f, common } = setup([{ name: 'Ubuntu' }, { name: 'Broken', exe: 'fail' }]);
    const r = cli(['wsl', 'repair', '--policy', policy, ...common]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Broken\s+ERROR\s+wsl-agent-failed: .*POLICY_INVALID/);
    expect(r.stdout).toMatch(/Ubuntu\s+compliant/);
    const only = cli(['wsl', 'repair', '--policy', policy, '--distro', 'Ubuntu', '--json', ...common]);
    expect(only.code, only.stderr).toBe(0);
    expect(only.json.distributions.map((d: { name: string }) => d.name)).toEqual(['Ubuntu']);
    expect(f.ranIn().filter((n) => n === 'Broken')).toHaveLength(1);
  }, 60_000);

  it('list: running by default, --all for every one; usage errors exit 2', () => {
    const { common } = setup([{ name: 'Ubuntu' }, { name: 'Stopped', running: false }]);
    expect(cli(['wsl', 'list', '--json', ...common]).json.distributions.map((d: { name: string }) => d.name)).toEqual(['Ubuntu']);
    const all = cli(['wsl', 'list', '--all', ...common]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/Ubuntu\s+-/);
    expect(all.stdout).toMatch(/Stopped\s+-/);
    for (const bad of [['wsl'], ['wsl', 'fix'], ['wsl', 'list', '--distro', 'x'], ['wsl', 'check', '--root', '/tmp'], ['wsl', 'check', '--timeout', '5'], ['wsl', 'check', 'extra']]) {
      const r = cli([...bad, ...common]);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^ccfleet: USAGE: /);
    }
  }, 60_000);

  it('--report: each distribution enrolls and reports as its own device; --report needs a server', async () => {
    const server = await startFakeServer({ enrollSecret: 'cli-secret' });
    try {
      const { f, common } = setup([{ name: 'Ubuntu' }, { name: 'Broken', exe: 'garbage' }]);
      drift(f.machine('Ubuntu'));
      const noServer = cli(['wsl', 'repair', '--report', '--policy', policy, ...common]);
      expect(noServer.code).toBe(2);
      expect(noServer.stderr).toMatch(/^ccfleet: CONFIG_INVALID: --report needs "server"/);
      const config = path.join(dir, 'with-server.json');
      fs.writeFileSync(config, JSON.stringify({ server: server.url, enrollSecret: 'cli-secret', wsl: { linuxExecutable: LINUX_EXE } }));
      const args = ['wsl', 'repair', '--report', '--json', '--policy', policy, '--wsl-exe', f.exe, '--config', config, '--state-dir', path.join(dir, 'state')];
      const r = await cliAsync(args);
      expect(r.code, r.stderr).toBe(1); // Broken is not compliant
      expect(JSON.parse(r.stdout).reports).toEqual({ built: 2, pending: 0 });
      const reports = [...server.reports.values()];
      expect(reports.map((x) => [x.hostname.split('/')[1], x.compliant, x.os.platform]).sort()).toEqual([
        ['Broken', false, 'wsl'],
        ['Ubuntu', true, 'wsl'],
      ]);
      const hostId = fs.readFileSync(path.join(dir, 'state', 'device-id'), 'utf8').trim();
      expect(reports.map((x) => x.deviceId).sort()).toEqual([`${hostId}:wsl:broken`, `${hostId}:wsl:ubuntu`]);
      expect(reports.find((x) => x.hostname.endsWith('/Ubuntu'))!.events.some((e) => e.kind === 'drift-repaired')).toBe(true);
      // a second run reuses each distribution's token (no new enrollment)
      const again = await cliAsync(args);
      expect(again.code, again.stderr).toBe(1);
      expect(server.requests.filter((q) => q.path === '/v1/enroll')).toHaveLength(2);
      expect(server.reports.size).toBe(4);
    } finally {
      await server.close();
    }
  }, 60_000);
});
