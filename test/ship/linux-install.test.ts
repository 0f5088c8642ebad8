/**
 * CI only: installs the .deb built from the REAL dist/ccfleet-linux-x64 on this machine with dpkg, upgrades
 * it, removes and purges it. It changes the machine (/usr/lib/ccfleet, /etc/ccfleet, /var/lib/ccfleet, the
 * units...), so it runs only with CCFLEET_SHIP=require, as root, and refuses to start when a ccfleet
 * package is already installed; afterAll purges whatever is left, even after a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLinuxPackages } from '../../src/ship/linux/build-packages.js';

const repo = path.resolve(__dirname, '../..');
const BINARY = path.join(repo, 'dist', 'ccfleet-linux-x64');
const VERSION = (JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const NEXT = VERSION.replace(/^(\d+)\.(\d+)\.(\d+).*$/, (_, a: string, b: string, c: string) => `${a}.${b}.${Number(c) + 1}`);

const why =
  process.env.CCFLEET_SHIP !== 'require' ? 'changes this machine: runs only with CCFLEET_SHIP=require (CI)'
  : process.getuid?.() !== 0 ? 'needs root (dpkg -i)'
  : process.arch !== 'x64' ? 'the amd64 .deb installs only on x64'
  : spawnSync('dpkg', ['--version'], { stdio: 'ignore' }).status !== 0 ? 'dpkg not found'
  : !fs.existsSync(BINARY) ? `${path.relative(repo, BINARY)} is missing (npm run build:exe)`
  : null;
if (why) process.stderr.write(`linux install test: skipped — ${why}\n`);

const dpkg = (...args: string[]) => spawnSync('dpkg', args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
const status = () => spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}${Version}', 'ccfleet'], { encoding: 'utf8' }).stdout.trim();
const stat = (p: string) => {
  const s = fs.lstatSync(p);
  return `${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid}`;
};
const OURS = ['/usr/lib/ccfleet', '/usr/bin/ccfleet', '/etc/ccfleet', '/var/lib/ccfleet', '/var/log/ccfleet',
  ...['ccfleet.service', 'ccfleet-config.path', 'ccfleet-config.service'].map((u) => `/usr/lib/systemd/system/${u}`)];
const WANTS = '/etc/systemd/system/multi-user.target.wants';

describe.skipIf(why !== null)('dpkg install of the real amd64 .deb', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-linux-install-'));
  const managedExisted = fs.existsSync('/etc/claude-code');
  const debs: Record<string, string> = {};

  beforeAll(() => {
    const already = status();
    if (already !== '') throw new Error(`a ccfleet package is already on this machine (${already}): refusing to test over it`);
    for (const p of OURS) if (fs.existsSync(p)) throw new Error(`${p} exists before the test: refusing to test over it`);
    for (const v of [VERSION, NEXT]) {
      const [b] = buildLinuxPackages({ version: v, binaries: { x64: BINARY }, outDir: path.join(tmp, v), formats: ['deb'], quick: true });
      debs[v] = b!.file;
    }
  }, 300_000);

  afterAll(() => {
    if (status() !== '') dpkg('--purge', 'ccfleet');
    for (const p of OURS) fs.rmSync(p, { recursive: true, force: true });
    for (const u of ['ccfleet.service', 'ccfleet-config.path']) fs.rmSync(path.join(WANTS, u), { force: true });
    if (!managedExisted) spawnSync('rmdir', ['/etc/claude-code/managed-settings.d', '/etc/claude-code']);
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  it('dpkg -i installs the files root-owned with their modes, enables the unit, and ccfleet --version works', () => {
    const r = dpkg('-i', debs[VERSION]!);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(status()).toBe(`ii ${VERSION}`);
    expect(stat('/usr/lib/ccfleet')).toBe('755 0:0');
    expect(stat('/usr/lib/ccfleet/ccfleet')).toBe('755 0:0');
    expect(fs.readlinkSync('/usr/bin/ccfleet')).toBe('../lib/ccfleet/ccfleet');
    expect(stat('/etc/ccfleet/agent.json')).toBe('600 0:0');
    expect(stat('/var/lib/ccfleet')).toBe('700 0:0');
    expect(stat('/var/log/ccfleet')).toBe('700 0:0');
    for (const u of ['ccfleet.service', 'ccfleet-config.path', 'ccfleet-config.service']) expect(stat(`/usr/lib/systemd/system/${u}`)).toBe('644 0:0');
    expect(fs.readFileSync('/usr/lib/systemd/system/ccfleet.service', 'utf8')).toMatch(/^ExecStart=\/usr\/lib\/ccfleet\/ccfleet daemon$/m);
    expect(fs.realpathSync(path.join(WANTS, 'ccfleet.service'))).toBe(fs.realpathSync('/usr/lib/systemd/system/ccfleet.service'));
    if (!fs.existsSync('/run/systemd/system')) expect(r.stdout).toContain('systemd is not running');
    expect(execFileSync('/usr/bin/ccfleet', ['--version'], { encoding: 'utf8' }).trim()).toBe(`ccfleet ${VERSION}`);
    // The installed default config is valid and names no policy source: the daemon stops at once with exit 2
    // (which the unit does not restart) instead of crash-looping.
    const d = spawnSync('/usr/bin/ccfleet', ['daemon'], { encoding: 'utf8', timeout: 60_000 });
    expect(d.status).toBe(2);
    expect(d.stderr).toContain('POLICY_NOT_FOUND');
  });

  it('an upgrade keeps an edited /etc/ccfleet/agent.json', () => {
    const edited = '{ "policy": "/etc/ccfleet/policy.json" }\n';
    fs.writeFileSync('/etc/ccfleet/agent.json', edited);
    const r = dpkg('-i', debs[NEXT]!);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(status()).toBe(`ii ${NEXT}`);
    expect(fs.readFileSync('/etc/ccfleet/agent.json', 'utf8')).toBe(edited);
    expect(fs.existsSync('/etc/ccfleet/agent.json.dpkg-dist')).toBe(false);
    expect(fs.realpathSync(path.join(WANTS, 'ccfleet.service'))).toBe(fs.realpathSync('/usr/lib/systemd/system/ccfleet.service'));
  });

  it('dpkg -r removes the program and units and keeps config and state; dpkg -P removes everything', () => {
    fs.writeFileSync('/var/lib/ccfleet/device-id', 'test\n');
    let r = dpkg('-r', 'ccfleet');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(status()).toBe(`rc ${NEXT}`);
    for (const gone of ['/usr/lib/ccfleet', '/usr/bin/ccfleet', '/usr/lib/systemd/system/ccfleet.service', path.join(WANTS, 'ccfleet.service')]) {
      expect(fs.existsSync(gone), gone).toBe(false);
    }
    expect(fs.existsSync('/etc/ccfleet/agent.json')).toBe(true);
    expect(fs.existsSync('/var/lib/ccfleet/device-id')).toBe(true);
    r = dpkg('-P', 'ccfleet');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(status()).toBe('');
    for (const p of OURS) expect(fs.existsSync(p), p).toBe(false);
  });
});
