/**
 * The WSL pass through a fake wsl.exe (wsl-fake.cjs, via the real spawnRunner) whose distributions run the
 * real CLI bundle on fixture trees of their own: listing, skipping, per-distribution outcomes, isolation
 * of failures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listDistros } from '../../src/agent/wsl/distros.js';
import { runInDistro } from '../../src/agent/wsl/run-distro.js';
import { wslPass } from '../../src/agent/wsl/wsl-pass.js';
import { repoRoot } from '../support/cli.js';
import { drift, fakeWsl, LINUX_EXE, type FakeWsl } from './wsl-fixture.js';

const policy = fs.readFileSync(path.join(repoRoot, 'policies', 'alias-routing.jsonc'));
let fakes: FakeWsl[] = [];
afterEach(() => {
  fakes.forEach((f) => f.cleanup());
  fakes = [];
});
const make = (...a: Parameters<typeof fakeWsl>) => {
  const f = fakeWsl(...a);
  fakes.push(f);
  return f;
};
const base = { mode: 'repair' as const, linuxExe: LINUX_EXE, policy, timeoutMs: 60_000 };

describe('listing', () => {
  it.each([
    ['UTF-16LE, BOM, CRLF, NULs', { bom: true, crlf: true, nuls: true }],
    ['UTF-16LE, LF, default marker', { crlf: false, marker: true }],
    ['UTF-8 (WSL_UTF8=1) with BOM', { encoding: 'utf8' as const, bom: true }],
  ])('%s', async (_what, list) => {
    const f = make([{ name: 'Ubuntu-24.04' }, { name: 'docker-desktop' }, { name: 'docker-desktop-data' }, { name: 'Debian', running: false }, { name: 'kali-linux', exe: 'missing' }], list);
    const running = await listDistros(f.runner, { selection: 'running', exclude: ['KALI-LINUX'] });
    expect(running).toEqual({
      distros: ['Ubuntu-24.04'],
      skipped: [
        { name: 'docker-desktop', reason: 'docker-desktop' },
        { name: 'docker-desktop-data', reason: 'docker-desktop' },
        { name: 'kali-linux', reason: 'excluded' },
      ],
      problem: null,
    });
    expect((await listDistros(f.runner, { selection: 'all' })).distros).toEqual(['Ubuntu-24.04', 'Debian', 'kali-linux']);
    expect(f.calls()).toEqual([['-l', '--running', '-q'], ['-l', '-q']]);
  });

  it('no distributions (running or at all) is an empty list, a wsl.exe that cannot start is a problem', async () => {
    const f = make([{ name: 'Debian', running: false, exe: 'missing' }]);
    expect(await listDistros(f.runner, { selection: 'running' })).toEqual({ distros: [], skipped: [], problem: null });
    const none = make([]);
    expect(await listDistros(none.runner, { selection: 'all' })).toEqual({ distros: [], skipped: [], problem: null });
    const { spawnRunner } = await import('../../src/agent/wsl/runner.js');
    const gone = await listDistros(spawnRunner({ command: [path.join(f.dir, 'no-such-wsl.exe')] }), { selection: 'all' });
    expect(gone.distros).toEqual([]);
    expect(gone.problem).toMatch(/could not be started \(ENOENT\)/);
  });
});

describe('a pass', () => {
  it('repairs the non-compliant distribution, leaves the compliant one compliant, skips docker-desktop, boots nothing', async () => {
    const f = make([{ name: 'Ubuntu' }, { name: 'docker-desktop' }, { name: 'Debian', automount: '/' }, { name: 'Stopped', running: false }]);
    const ubuntu = f.machine('Ubuntu');
    const drifted = drift(ubuntu);
    // Debian: made compliant first (a repair of its own), so the pass finds nothing to do there
    const debian = f.machine('Debian');
    const first = await runInDistro(f.runner, 'Debian', base);
    expect(first.kind).toBe('ok');

    const r = await wslPass({ runner: f.runner, selection: 'running', ...base });
    expect(r.list.skipped).toEqual([{ name: 'docker-desktop', reason: 'docker-desktop' }]);
    expect(r.outcomes.map((o) => [o.distro, o.kind])).toEqual([
      ['Ubuntu', 'ok'],
      ['Debian', 'ok'],
    ]);
    const [u, d] = r.outcomes;
    if (u?.kind !== 'ok' || d?.kind !== 'ok') throw new Error('expected two verdicts');
    expect(u.report.compliant).toBe(true);
    expect(u.report.files.find((x) => x.path === drifted)).toMatchObject({ state: 'repaired', user: 'alice' });
    expect(JSON.parse(ubuntu.read(drifted))).toEqual({ theme: 'dark' });
    expect(ubuntu.exists('/etc/claude-code/managed-settings.d/50-ccfleet.json')).toBe(true);
    expect(d.report.compliant).toBe(true);
    expect(d.report.files.filter((x) => x.state === 'repaired')).toEqual([]);
    expect(debian.exists('/etc/claude-code/managed-settings.d/50-ccfleet.json')).toBe(true);
    expect(u.kernel).not.toBeNull();
    // docker-desktop and the stopped distribution were never entered (nothing booted)
    expect(f.ranIn()).toEqual(['Debian', 'Ubuntu', 'Debian']);
    // as root, with the script on stdin and the policy never on the command line
    const call = f.calls().find((a) => a.includes('--exec'))!;
    expect(call.slice(0, 8)).toEqual(['-d', 'Debian', '-u', 'root', '--exec', 'sh', '-s', LINUX_EXE]);
    expect(call.slice(9)).toEqual(['repair', '--json', '--platform', 'wsl']);
  }, 60_000);

  it('check mode changes nothing and reports the drift', async () => {
    const f = make([{ name: 'Ubuntu' }]);
    const m = f.machine('Ubuntu');
    const file = drift(m);
    const before = m.read(file);
    const r = await wslPass({ runner: f.runner, selection: 'running', ...base, mode: 'check' });
    const o = r.outcomes[0]!;
    expect(o.kind === 'ok' && o.report.compliant).toBe(false);
    expect(o.kind === 'ok' && o.exitCode).toBe(1);
    expect(m.read(file)).toBe(before);
  }, 30_000);

  it('a distribution whose executable fails, prints garbage or is missing is an error of its own; the others still run', async () => {
    const f = make([{ name: 'Garbage', exe: 'garbage' }, { name: 'Fails', exe: 'fail' }, { name: 'Ubuntu' }, { name: 'NoExe', exe: 'missing' }, { name: 'Debian' }]);
    drift(f.machine('Ubuntu'));
    drift(f.machine('Debian'));
    const r = await wslPass({ runner: f.runner, selection: 'running', ...base });
    const by = Object.fromEntries(r.outcomes.map((o) => [o.distro, o.kind === 'ok' ? `ok:${o.report.compliant}` : `${o.code}`]));
    expect(by).toEqual({ Garbage: 'wsl-bad-output', Fails: 'wsl-agent-failed', Ubuntu: 'ok:true', NoExe: 'wsl-exe-missing', Debian: 'ok:true' });
    const fails = r.outcomes.find((o) => o.distro === 'Fails')!;
    expect(fails.kind === 'error' && fails.message).toContain('POLICY_INVALID');
    const garbage = r.outcomes.find((o) => o.distro === 'Garbage')!;
    expect(garbage.kind === 'error' && garbage.message).toMatch(/^not JSON/);
    const noExe = r.outcomes.find((o) => o.distro === 'NoExe')!;
    expect(noExe.kind === 'error' && noExe.message).toContain('no Linux executable at');
  }, 60_000);

  it('a distribution that does not answer in time is wsl-timeout (killed), and the next one still runs', async () => {
    const f = make([{ name: 'Hangs', exe: 'hang' }, { name: 'Ubuntu' }]);
    const file = drift(f.machine('Ubuntu'));
    // 6 s: the hang is cut there (by the runner, or by `timeout` inside at 5 s); the real run takes well under a second
    const r = await wslPass({ runner: f.runner, selection: 'running', ...base, timeoutMs: 6_000 });
    expect(r.outcomes.map((o) => [o.distro, o.kind === 'ok' ? 'ok' : o.code])).toEqual([
      ['Hangs', 'wsl-timeout'],
      ['Ubuntu', 'ok'],
    ]);
    expect(JSON.parse(f.machine('Ubuntu').read(file))).toEqual({ theme: 'dark' });
  }, 60_000);

  it('a distribution that vanished between the listing and the run is wsl-start-failed with wsl.exe\'s words', async () => {
    const f = make([{ name: 'Ubuntu' }]);
    const o = await runInDistro(f.runner, 'Gone', base);
    expect(o).toMatchObject({ distro: 'Gone', kind: 'error', code: 'wsl-start-failed' });
    expect(o.kind === 'error' && o.message).toContain('There is no distribution with the supplied name');
  });

  it('--distro names a stopped distribution explicitly: it is run (booted) even though not listed as running', async () => {
    const f = make([{ name: 'Stopped', running: false }]);
    const r = await wslPass({ runner: f.runner, selection: 'running', only: ['Stopped'], ...base });
    expect(r.outcomes.map((o) => [o.distro, o.kind])).toEqual([['Stopped', 'ok']]);
    expect(f.calls().some((a) => a[0] === '-l')).toBe(false);
  }, 30_000);
});
