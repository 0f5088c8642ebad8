// The service managers (src/service/manager-*.ts) and the plan runner (run-plan.ts): plans as data for
// systemd, launchd and Windows/NSSM, status parsed from each manager's own output, run with fake runners;
// files written under a temp root with their modes; failures stop the plan; --root never runs live commands.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchdManager } from '../../src/service/manager-launchd.js';
import { systemdManager } from '../../src/service/manager-systemd.js';
import type { ManagerEnv, RunResult, Step } from '../../src/service/manager-types.js';
import { windowsManager } from '../../src/service/manager-windows.js';
import { runPlan } from '../../src/service/run-plan.js';
import { systemdUnit } from '../../src/service/systemd-unit.js';
import { launchdPlist } from '../../src/service/launchd-plist.js';
import { nssmInstallCommands } from '../../src/service/windows-service.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));
const tempRoot = () => {
  const r = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-svc-'));
  roots.push(r);
  return r;
};

/** A fake runner answering by the command line's first words; records every call. */
function fakeRunner(answers: Record<string, RunResult | RunResult[]> = {}) {
  const calls: string[][] = [];
  const run = (argv: readonly string[]): RunResult => {
    calls.push([...argv]);
    const key = Object.keys(answers).filter((k) => argv.join(' ').startsWith(k)).sort((a, b) => b.length - a.length)[0];
    const a = key === undefined ? { status: 0, stdout: '', stderr: '' } : answers[key]!;
    return Array.isArray(a) ? (a.length > 1 ? a.shift()! : a[0]!) : a;
  };
  return { run, calls };
}
const ok = (stdout = ''): RunResult => ({ status: 0, stdout, stderr: '' });
const fail = (status: number, stderr = ''): RunResult => ({ status, stdout: '', stderr });

function env(root: string | null, present: string[] = [], run = fakeRunner().run): ManagerEnv {
  return { root, run, exists: (p) => present.includes(p) };
}
const argvs = (steps: Step[]) => steps.filter((s) => s.kind === 'run').map((s) => (s as { argv: string[] }).argv.join(' '));

describe('systemd', () => {
  it('install by hand: the three unit files (the shared builders\' text) in /etc/systemd/system, then daemon-reload, enable, restart', () => {
    const steps = systemdManager(env(null), { binary: '/opt/ccfleet/ccfleet' }).planInstall();
    const writes = steps.filter((s) => s.kind === 'write') as Extract<Step, { kind: 'write' }>[];
    expect(writes.map((w) => [w.path, w.mode])).toEqual([
      ['/etc/systemd/system/ccfleet.service', 0o644],
      ['/etc/systemd/system/ccfleet-config.path', 0o644],
      ['/etc/systemd/system/ccfleet-config.service', 0o644],
    ]);
    expect(writes[0]!.content).toBe(systemdUnit({ binary: '/opt/ccfleet/ccfleet' }));
    expect(writes[0]!.content).toContain('ExecStart=/opt/ccfleet/ccfleet daemon');
    expect(argvs(steps)).toEqual(['systemctl daemon-reload', 'systemctl enable ccfleet.service', 'systemctl restart ccfleet.service ccfleet-config.path']);
  });

  it('the package\'s units present: none written, only enabled and restarted; uninstall leaves them to the package', () => {
    const m = systemdManager(env(null, ['/usr/lib/systemd/system/ccfleet.service']));
    const steps = m.planInstall();
    expect(steps.filter((s) => s.kind === 'write')).toEqual([]);
    expect(steps[0]).toMatchObject({ kind: 'skip', why: expect.stringContaining('/usr/lib/systemd/system') });
    expect(argvs(steps)).toContain('systemctl enable ccfleet.service');
    const un = m.planUninstall();
    expect(un.filter((s) => s.kind === 'remove')).toEqual([]);
    expect(argvs(un)).toEqual(['systemctl disable --now ccfleet.service ccfleet-config.path', 'systemctl daemon-reload']);
  });

  it('uninstall by hand: disable --now (tolerated when not loaded), remove the files that exist, daemon-reload', () => {
    const un = systemdManager(env(null, ['/etc/systemd/system/ccfleet.service', '/etc/systemd/system/ccfleet-config.path'])).planUninstall();
    expect(un[0]).toMatchObject({ kind: 'run', allowFailure: true });
    expect(un.filter((s) => s.kind === 'remove').map((s) => (s as { path: string }).path)).toEqual(['/etc/systemd/system/ccfleet.service', '/etc/systemd/system/ccfleet-config.path']);
  });

  it('--root: files under the root, `systemctl --root=<dir> enable` only, the live steps skipped', () => {
    const steps = systemdManager(env('/img')).planInstall();
    expect(argvs(steps)).toEqual(['systemctl --root=/img enable ccfleet.service']);
    expect(steps.some((s) => s.kind === 'skip')).toBe(true);
    expect(argvs(systemdManager(env('/img', ['/etc/systemd/system/ccfleet.service'])).planUninstall())).toEqual(['systemctl --root=/img disable ccfleet.service ccfleet-config.path']);
  });

  it('status from systemctl show: installed/enabled/running; not found; systemctl missing', () => {
    const show = (s: string) => systemdManager(env(null, ['/etc/systemd/system/ccfleet.service'], fakeRunner({ 'systemctl show': ok(s) }).run)).status();
    expect(show('LoadState=loaded\nUnitFileState=enabled\nActiveState=active\nSubState=running\nMainPID=4242\n')).toMatchObject({ installed: true, enabled: true, running: true, detail: [expect.any(String), expect.stringContaining('MainPID=4242')] });
    expect(show('LoadState=loaded\nUnitFileState=disabled\nActiveState=failed\nSubState=failed\nMainPID=0\n')).toMatchObject({ installed: true, enabled: false, running: false });
    expect(show('LoadState=not-found\nUnitFileState=\nActiveState=inactive\nSubState=dead\nMainPID=0\n')).toMatchObject({ installed: false, enabled: false, running: false });
    const none = systemdManager(env(null, [], () => null)).status();
    expect(none).toMatchObject({ installed: false, enabled: null, running: null, detail: ['no unit file', 'systemctl not found'] });
    const r = fakeRunner();
    const rooted = systemdManager(env('/img', ['/etc/systemd/system/ccfleet.service', '/etc/systemd/system/multi-user.target.wants/ccfleet.service'], r.run)).status();
    expect(rooted).toMatchObject({ installed: true, enabled: true, running: null });
    expect(r.calls).toEqual([]); // nothing live asked under --root
  });
});

describe('launchd', () => {
  it('install: log folder 0700, the plist (the shared builder\'s text), bootout tolerated, enable, bootstrap retried', () => {
    const steps = launchdManager(env(null), { binary: '/Library/Application Support/ccfleet/bin/ccfleet' }).planInstall();
    expect(steps[0]).toEqual({ kind: 'mkdir', path: '/Library/Logs/ccfleet', mode: 0o700, why: expect.any(String) });
    expect(steps[1]).toMatchObject({ kind: 'write', path: '/Library/LaunchDaemons/com.ccfleet.agent.plist', mode: 0o644, content: launchdPlist({ binary: '/Library/Application Support/ccfleet/bin/ccfleet' }) });
    expect(steps.slice(2)).toEqual([
      { kind: 'run', argv: ['/bin/launchctl', 'bootout', 'system/com.ccfleet.agent'], why: expect.any(String), allowFailure: true },
      { kind: 'run', argv: ['/bin/launchctl', 'enable', 'system/com.ccfleet.agent'], why: expect.any(String) },
      { kind: 'run', argv: ['/bin/launchctl', 'bootstrap', 'system', '/Library/LaunchDaemons/com.ccfleet.agent.plist'], why: expect.any(String), attempts: 5 },
    ]);
    expect(argvs(launchdManager(env('/img')).planInstall())).toEqual([]);
  });

  it('uninstall: bootout tolerated, remove the plist when present', () => {
    const un = launchdManager(env(null, ['/Library/LaunchDaemons/com.ccfleet.agent.plist'])).planUninstall();
    expect(un.map((s) => s.kind)).toEqual(['run', 'remove']);
    expect(launchdManager(env(null)).planUninstall().map((s) => s.kind)).toEqual(['run']);
  });

  it('status from launchctl print / print-disabled', () => {
    const plist = ['/Library/LaunchDaemons/com.ccfleet.agent.plist'];
    const st = (print: RunResult, disabled: string) => launchdManager(env(null, plist, fakeRunner({ '/bin/launchctl print system/': print, '/bin/launchctl print-disabled': ok(disabled) }).run)).status();
    const running = ok('system/com.ccfleet.agent = {\n\tactive count = 1\n\tstate = running\n\tpid = 812\n}\n');
    expect(st(running, 'disabled services = {\n\t"com.apple.ftpd" => disabled\n}\n')).toMatchObject({ installed: true, enabled: true, running: true, detail: expect.arrayContaining(['loaded, state = running, pid 812']) });
    expect(st(running, 'disabled services = {\n\t"com.ccfleet.agent" => disabled\n}\n')).toMatchObject({ enabled: false, running: true });
    expect(st(running, 'disabled services = {\n\t"com.ccfleet.agent" => true\n}\n')).toMatchObject({ enabled: false });
    expect(st(fail(113, 'Could not find service "com.ccfleet.agent" in domain for system'), '')).toMatchObject({ installed: true, enabled: true, running: false, detail: expect.arrayContaining([expect.stringContaining('Could not find service')]) });
    expect(st(ok('system/com.ccfleet.agent = {\n\tstate = not running\n}\n'), '')).toMatchObject({ running: false });
  });
});

describe('Windows (NSSM)', () => {
  it('install: stop tolerated, nssm install tolerated, every nssm set from windows-service.ts, start; --root: nothing', () => {
    const steps = windowsManager(env(null), { installDir: 'D:\\Apps\\ccfleet' }).planInstall();
    const cmds = nssmInstallCommands({ installDir: 'D:\\Apps\\ccfleet' });
    expect(steps[0]).toMatchObject({ kind: 'run', argv: ['D:\\Apps\\ccfleet\\nssm.exe', 'stop', 'ccfleet'], allowFailure: true });
    expect(steps[1]).toMatchObject({ kind: 'run', argv: cmds[0], allowFailure: true });
    expect(steps.slice(2, -1).map((s) => (s as { argv: string[] }).argv)).toEqual(cmds.slice(1));
    expect(steps.slice(2, -1).every((s) => !(s as { allowFailure?: boolean }).allowFailure)).toBe(true);
    expect(steps.at(-1)).toMatchObject({ kind: 'run', argv: ['D:\\Apps\\ccfleet\\nssm.exe', 'start', 'ccfleet'] });
    expect(windowsManager(env('/img')).planInstall()).toEqual([{ kind: 'skip', why: expect.any(String) }]);
    expect(argvs(windowsManager(env(null)).planUninstall())).toEqual(['C:\\Program Files\\ccfleet\\nssm.exe stop ccfleet', 'C:\\Program Files\\ccfleet\\nssm.exe remove ccfleet confirm']);
  });

  it('status from sc query / sc qc: running and automatic; stopped and manual; no such service (1060)', () => {
    const st = (q: RunResult, qc: RunResult) => windowsManager(env(null, [], fakeRunner({ 'C:\\Windows\\System32\\sc.exe query': q, 'C:\\Windows\\System32\\sc.exe qc': qc }).run)).status();
    const query = (n: string, w: string) => ok(`\r\nSERVICE_NAME: ccfleet\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        STATE              : ${n}  ${w}\r\n`);
    const qc = (n: string, w: string) => ok(`[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: ccfleet\r\n        START_TYPE         : ${n}   ${w}\r\n`);
    expect(st(query('4', 'RUNNING'), qc('2', 'AUTO_START'))).toMatchObject({ installed: true, enabled: true, running: true });
    expect(st(query('1', 'STOPPED'), qc('3', 'DEMAND_START'))).toMatchObject({ installed: true, enabled: false, running: false });
    expect(st(fail(1060, '[SC] EnumQueryServicesStatus:OpenService FAILED 1060'), ok())).toMatchObject({ installed: false, enabled: false, running: false });
  });
});

describe('runPlan', () => {
  const host = (root: string) => (p: string) => path.join(root, p);
  const noSleep = () => undefined;

  it('writes files atomically with their modes and folders, removes, runs — and a dry run touches nothing', () => {
    const root = tempRoot();
    const steps: Step[] = [
      { kind: 'mkdir', path: '/Library/Logs/ccfleet', mode: 0o700, why: '' },
      { kind: 'write', path: '/etc/systemd/system/ccfleet.service', content: 'A\n', mode: 0o644, why: '' },
      { kind: 'remove', path: '/etc/old', why: '' },
      { kind: 'run', argv: ['systemctl', 'daemon-reload'], why: '' },
      { kind: 'skip', why: 'not here' },
    ];
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc', 'old'), 'x');
    const dry = fakeRunner();
    expect(runPlan(steps, { host: host(root), run: dry.run, sleep: noSleep, dryRun: true }).results.map((r) => r.outcome)).toEqual(['planned', 'planned', 'planned', 'planned', 'skipped']);
    expect(dry.calls).toEqual([]);
    expect(fs.existsSync(path.join(root, 'Library'))).toBe(false);
    const r = fakeRunner();
    const out = runPlan(steps, { host: host(root), run: r.run, sleep: noSleep, dryRun: false });
    expect(out.ok).toBe(true);
    expect(fs.statSync(path.join(root, 'Library/Logs/ccfleet')).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(path.join(root, 'etc/systemd/system/ccfleet.service'), 'utf8')).toBe('A\n');
    expect(fs.statSync(path.join(root, 'etc/systemd/system/ccfleet.service')).mode & 0o777).toBe(0o644);
    expect(fs.existsSync(path.join(root, 'etc/old'))).toBe(false);
    expect(fs.readdirSync(path.join(root, 'etc/systemd/system'))).toEqual(['ccfleet.service']); // no temp file left
    expect(r.calls).toEqual([['systemctl', 'daemon-reload']]);
  });

  it('stops at the first failure (later steps "not-run"); a tolerated failure goes on; a missing program always fails; retries with a pause', () => {
    const root = tempRoot();
    const steps: Step[] = [
      { kind: 'run', argv: ['a'], why: '', allowFailure: true },
      { kind: 'run', argv: ['b'], why: '' },
      { kind: 'write', path: '/x', content: '', mode: 0o644, why: '' },
    ];
    const r = fakeRunner({ a: fail(3, 'no such unit'), b: fail(1, 'boom\nmore') });
    const out = runPlan(steps, { host: host(root), run: r.run, sleep: noSleep, dryRun: false });
    expect(out.ok).toBe(false);
    expect(out.results.map((x) => [x.outcome, x.note])).toEqual([['ok', 'exit 3: no such unit (tolerated)'], ['failed', 'exit 1: boom'], ['not-run', undefined]]);
    expect(fs.existsSync(path.join(root, 'x'))).toBe(false);
    const missing = runPlan([{ kind: 'run', argv: ['nope'], why: '', allowFailure: true }], { host: host(root), run: () => null, sleep: noSleep, dryRun: false });
    expect(missing.results[0]).toMatchObject({ outcome: 'failed', note: 'nope: not found' });
    const pauses: number[] = [];
    const flaky = fakeRunner({ boot: [fail(5, 'Input/output error'), fail(5, 'Input/output error'), ok()] });
    const retried = runPlan([{ kind: 'run', argv: ['boot'], why: '', attempts: 5 }], { host: host(root), run: flaky.run, sleep: (ms) => pauses.push(ms), dryRun: false });
    expect(retried.ok).toBe(true);
    expect(flaky.calls).toHaveLength(3);
    expect(pauses).toEqual([1000, 1000]);
    const never = runPlan([{ kind: 'run', argv: ['boot'], why: '', attempts: 3 }], { host: host(root), run: fakeRunner({ boot: fail(5, 'x') }).run, sleep: noSleep, dryRun: false });
    expect(never.results[0]).toMatchObject({ outcome: 'failed', note: 'exit 5: x (attempt 3 of 3)' });
  });

  it('refuses to write through a symlinked target or folder', () => {
    const root = tempRoot();
    const elsewhere = tempRoot();
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(root, 'etc', 'systemd'));
    const viaDir = runPlan([{ kind: 'write', path: '/etc/systemd/u.service', content: 'x', mode: 0o644, why: '' }], { host: host(root), run: fakeRunner().run, sleep: () => undefined, dryRun: false });
    expect(viaDir.results[0]).toMatchObject({ outcome: 'failed', note: 'ELOOP' });
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    fs.symlinkSync(path.join(elsewhere, 'target'), path.join(root, 'etc', 'link.service'));
    const viaFile = runPlan([{ kind: 'write', path: '/etc/link.service', content: 'x', mode: 0o644, why: '' }], { host: host(root), run: fakeRunner().run, sleep: () => undefined, dryRun: false });
    expect(viaFile.results[0]).toMatchObject({ outcome: 'failed', note: 'ELOOP' });
    expect(fs.existsSync(path.join(elsewhere, 'target'))).toBe(false);
  });
});
