/** `ccfleet wsl list|check|repair` through the built CLI bundle, with the fake wsl.exe (--wsl-exe). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, repoRoot } from '../support/cli.js';
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
});
