// `ccfleet service install | uninstall | status` through the built CLI under --root (never the live
// service manager): files written with their modes, the offline systemctl call (a fake systemctl first on
// PATH records it), dry runs that write nothing, status, usage errors; and the root check in-process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceCommand } from '../../src/cli/commands/service-cmd.js';
import { CcfleetError } from '../../src/core/errors.js';
import { launchdPlist } from '../../src/service/launchd-plist.js';
import { systemdUnit } from '../../src/service/systemd-unit.js';
import { cli } from '../support/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const temp = (p: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
  dirs.push(d);
  return d;
};

/** A fake systemctl: records its arguments; `--root=<dir> enable` creates the wants link as systemctl would. */
function fakeSystemctl() {
  const bin = temp('ccfleet-fakesystemctl-');
  const log = path.join(bin, 'calls');
  fs.writeFileSync(
    path.join(bin, 'systemctl'),
    `#!/bin/sh
echo "$*" >> "${log}"
case "$1" in --root=*) r="\${1#--root=}"; shift;; *) r="";; esac
if [ "$1" = enable ] && [ -n "$r" ]; then mkdir -p "$r/etc/systemd/system/multi-user.target.wants" && ln -sf /etc/systemd/system/ccfleet.service "$r/etc/systemd/system/multi-user.target.wants/ccfleet.service"; fi
if [ "$1" = disable ] && [ -n "$r" ]; then rm -f "$r/etc/systemd/system/multi-user.target.wants/ccfleet.service"; fi
exit 0
`,
    { mode: 0o755 },
  );
  return { env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` }, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []) };
}

describe('ccfleet service (CLI, --root)', () => {
  it('linux: install writes the units 0644 and enables offline; status installed+enabled; uninstall removes and disables', () => {
    const root = temp('ccfleet-svc-root-');
    const fake = fakeSystemctl();
    const args = ['--root', root, '--platform', 'linux'];
    const install = cli(['service', 'install', '--binary', '/opt/ccfleet/ccfleet', ...args], { env: fake.env });
    expect([install.code, install.stderr]).toEqual([0, '']);
    expect(install.stdout).toMatch(/^service install \(systemd\): done\n/);
    const unit = path.join(root, 'etc/systemd/system/ccfleet.service');
    expect(fs.readFileSync(unit, 'utf8')).toBe(systemdUnit({ binary: '/opt/ccfleet/ccfleet' }));
    expect(fs.statSync(unit).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(path.join(root, 'etc/systemd/system')).sort()).toEqual(['ccfleet-config.path', 'ccfleet-config.service', 'ccfleet.service', 'multi-user.target.wants']);
    expect(fake.calls()).toEqual([`--root=${root} enable ccfleet.service`]);

    const status = cli(['service', 'status', '--json', ...args], { env: fake.env });
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({ manager: 'systemd', name: 'ccfleet.service', installed: true, enabled: true, running: null });

    const un = cli(['service', 'uninstall', ...args], { env: fake.env });
    expect(un.code).toBe(0);
    expect(fs.readdirSync(path.join(root, 'etc/systemd/system'))).toEqual(['multi-user.target.wants']);
    expect(fake.calls()[1]).toBe(`--root=${root} disable ccfleet.service ccfleet-config.path`);
    const after = cli(['service', 'status', ...args], { env: fake.env });
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/^ccfleet\.service \(systemd\): NOT installed, NOT enabled, unknown\n/);
  });

  it('darwin --dry-run --json: the plan with the plist text, nothing written; install then writes plist 0644 and the log folder 0700', () => {
    const root = temp('ccfleet-svc-mac-');
    const dry = cli(['service', 'install', '--dry-run', '--json', '--root', root, '--platform', 'darwin']);
    expect(dry.code).toBe(0);
    expect(dry.json).toMatchObject({ action: 'install', manager: 'launchd', dryRun: true, ok: true });
    const write = dry.json.steps.find((s: { kind: string }) => s.kind === 'write');
    expect(write).toMatchObject({ path: '/Library/LaunchDaemons/com.ccfleet.agent.plist', mode: '0644', outcome: 'planned', content: launchdPlist() });
    expect(fs.readdirSync(root)).toEqual([]);
    const install = cli(['service', 'install', '--root', root, '--platform', 'darwin']);
    expect(install.code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'Library/LaunchDaemons/com.ccfleet.agent.plist'), 'utf8')).toBe(launchdPlist());
    expect(fs.statSync(path.join(root, 'Library/Logs/ccfleet')).mode & 0o777).toBe(0o700);
    expect(install.stdout).toContain('skipped  launchctl: not on a --root image');
    expect(cli(['service', 'status', '--json', '--root', root, '--platform', 'darwin']).json).toMatchObject({ installed: true, enabled: true, running: null });
  });

  it('windows --root: nothing can be registered offline (skipped, exit 0)', () => {
    const root = temp('ccfleet-svc-win-');
    const r = cli(['service', 'install', '--root', root, '--platform', 'windows']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/skipped\s+Windows services live in the live registry/);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('usage errors: no action, an unknown one, --dry-run on status, options that do not apply, a relative --binary', () => {
    const root = temp('ccfleet-svc-usage-');
    for (const args of [['service'], ['service', 'start'], ['service', 'status', 'extra'], ['service', 'status', '--dry-run'], ['service', 'install', '--policy', 'p.json'], ['service', 'install', '--binary', 'ccfleet', '--root', root, '--platform', 'linux']]) {
      const r = cli(args);
      expect([r.code, r.stdout, r.stderr], args.join(' ')).toEqual([2, '', expect.stringMatching(/^ccfleet: USAGE: /)]);
    }
  });
});

describe('ccfleet service (in-process)', () => {
  it('live install or uninstall without root rights is refused before anything runs (WRITE_REFUSED); the dry run is allowed', async () => {
    const calls: string[][] = [];
    const deps = { run: (a: readonly string[]) => (calls.push([...a]), { status: 0, stdout: '', stderr: '' }), sleep: () => undefined, selfBinary: null, isAdmin: false };
    const opts = { users: [], json: false, dryRun: false, help: false, platform: 'linux' as const };
    await expect(serviceCommand(['install'], opts, {}, deps)).rejects.toMatchObject({ code: 'WRITE_REFUSED' });
    await expect(serviceCommand(['uninstall'], opts, {}, deps)).rejects.toBeInstanceOf(CcfleetError);
    expect(calls).toEqual([]);
    const dry = await serviceCommand(['install'], { ...opts, dryRun: true }, {}, deps);
    expect(dry.exitCode).toBe(0);
    expect(calls).toEqual([]);
  });

  it('a failing step: exit 1, the step named FAILED with the manager\'s words, the later steps not run', async () => {
    const root = temp('ccfleet-svc-fail-');
    const deps = { run: () => ({ status: 1, stdout: '', stderr: 'Failed to enable unit: Unit file ccfleet.service does not exist.' }), sleep: () => undefined, selfBinary: '/opt/ccfleet/ccfleet', isAdmin: true };
    const r = await serviceCommand(['install'], { users: [], json: false, dryRun: false, help: false, platform: 'linux', root }, {}, deps);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^service install \(systemd\): FAILED\n/);
    expect(r.stdout).toMatch(/FAILED\s+run systemctl --root=.* enable ccfleet\.service .*\[exit 1: Failed to enable unit: Unit file ccfleet\.service does not exist\.\]/);
    expect(fs.readFileSync(path.join(root, 'etc/systemd/system/ccfleet.service'), 'utf8')).toContain('ExecStart=/opt/ccfleet/ccfleet daemon'); // the running single executable by default
  });
});
