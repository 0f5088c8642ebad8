/**
 * CI only: installs the .deb built from the REAL dist/ccfleet-linux-x64 on this machine with dpkg, upgrades
 * it, removes and purges it — also over an agent.json IT wrote first (the MDM order) and over the previous
 * layout (agent.json a conffile), with stdin closed as under an MDM agent. It changes the machine
 * (/usr/lib/ccfleet, /etc/ccfleet, /var/lib/ccfleet, the units...), so it runs only with CCFLEET_SHIP=require,
 * as root, and refuses to start when a ccfleet package is already installed; afterAll purges whatever is
 * left, even after a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLinuxPackages } from '../../src/ship/linux/build-packages.js';
import { DEFAULT_AGENT_CONFIG } from '../../src/ship/linux/default-config.js';
import { linuxVersions } from '../../src/ship/linux/versions.js';

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
/** `dpkg -i` the way an MDM agent runs it: no terminal, stdin closed (a conffile prompt fails at once). */
const dpkgInstall = (deb: string) =>
  spawnSync('/bin/sh', ['-c', 'exec dpkg -i "$1" <&-', 'sh', deb], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
const status = () => spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}${Version}', 'ccfleet'], { encoding: 'utf8' }).stdout.trim();
const conffiles = () => spawnSync('dpkg-query', ['-W', '-f', '${Conffiles}', 'ccfleet'], { encoding: 'utf8' }).stdout.trim();
const CONFIG = '/etc/ccfleet/agent.json';
/** What dpkg leaves beside a conffile it asked about (or would have). */
const dpkgLeftovers = () => (fs.existsSync('/etc/ccfleet') ? fs.readdirSync('/etc/ccfleet').filter((f) => f !== 'agent.json') : []);
const stat = (p: string) => {
  const s = fs.lstatSync(p);
  return `${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid}`;
};
const OURS = ['/usr/lib/ccfleet', '/usr/bin/ccfleet', '/usr/share/ccfleet', '/etc/ccfleet', '/var/lib/ccfleet', '/var/log/ccfleet',
  ...['ccfleet.service', 'ccfleet-config.path', 'ccfleet-config.service'].map((u) => `/usr/lib/systemd/system/${u}`)];
const WANTS = '/etc/systemd/system/multi-user.target.wants';
/** Purges the package and removes whatever of ours is left: every scenario starts from a clean machine. */
function clean(): void {
  if (status() !== '') dpkg('--purge', 'ccfleet');
  for (const p of OURS) fs.rmSync(p, { recursive: true, force: true });
  for (const u of ['ccfleet.service', 'ccfleet-config.path']) fs.rmSync(path.join(WANTS, u), { force: true });
}
/** Writes agent.json as an MDM script would before the package: its own folder, a world-readable file. */
function preseed(text: string): void {
  fs.mkdirSync('/etc/ccfleet', { mode: 0o755 });
  fs.writeFileSync(CONFIG, text);
  fs.chmodSync(CONFIG, 0o644);
}
/**
 * The previous layout, rebuilt from a new .deb: /etc/ccfleet/agent.json shipped as a conffile (the default
 * text), no /usr/share/ccfleet, version `<v>~oldlayout` (sorts before <v>). Its scripts are the new ones;
 * their seeding does nothing here because dpkg has unpacked the conffile before postinst runs.
 */
function oldLayoutDeb(newDeb: string, dir: string): string {
  const raw = path.join(dir, 'raw');
  execFileSync('dpkg-deb', ['-R', newDeb, raw]);
  fs.rmSync(path.join(raw, 'usr/share/ccfleet'), { recursive: true });
  fs.mkdirSync(path.join(raw, 'etc/ccfleet'), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(raw, 'etc/ccfleet/agent.json'), DEFAULT_AGENT_CONFIG, { mode: 0o600 });
  fs.writeFileSync(path.join(raw, 'DEBIAN/conffiles'), `${CONFIG}\n`, { mode: 0o644 });
  const control = path.join(raw, 'DEBIAN/control');
  fs.writeFileSync(control, fs.readFileSync(control, 'utf8').replace(/^Version: .*$/m, `Version: ${OLD}`));
  const out = path.join(dir, `ccfleet_${OLD}_amd64.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', raw, out], { stdio: 'ignore' });
  fs.rmSync(raw, { recursive: true, force: true });
  return out;
}
const OLD = `${linuxVersions(VERSION).deb}~oldlayout`;

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
    debs[OLD] = oldLayoutDeb(debs[VERSION]!, tmp);
  }, 300_000);

  afterAll(() => {
    clean();
    if (!managedExisted) spawnSync('rmdir', ['/etc/claude-code/managed-settings.d', '/etc/claude-code']);
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  const MINE = '// written by the MDM before the package\n{ "server": "https://fleet.example.com", "enrollSecret": "s3cret" }\n';

  it('the previous layout (a conffile) fails without a terminal when agent.json was written first — the bug this layout fixes', () => {
    clean();
    preseed(MINE);
    const r = dpkgInstall(debs[OLD]!);
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/conffile prompt/);
    clean();
  });

  it('agent.json written BEFORE the first dpkg -i: no prompt, kept byte for byte, made private; purge removes it', () => {
    clean();
    preseed(MINE);
    const r = dpkgInstall(debs[VERSION]!);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).not.toContain('wrote the default');
    expect(status()).toBe(`ii ${VERSION}`);
    expect(fs.readFileSync(CONFIG, 'utf8')).toBe(MINE);
    expect(stat(CONFIG)).toBe('600 0:0');
    expect(dpkgLeftovers()).toEqual([]);
    expect(conffiles()).toBe('');
    expect(spawnSync('dpkg-query', ['-S', CONFIG]).status).not.toBe(0); // no package owns it
    const p = dpkg('-P', 'ccfleet');
    expect(p.status, p.stderr + p.stdout).toBe(0);
    expect(fs.existsSync('/etc/ccfleet')).toBe(false);
    clean();
  });

  it('dpkg -i installs the files root-owned with their modes, enables the unit, and ccfleet --version works', () => {
    clean();
    const r = dpkgInstall(debs[VERSION]!);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(status()).toBe(`ii ${VERSION}`);
    expect(stat('/usr/lib/ccfleet')).toBe('755 0:0');
    expect(stat('/usr/lib/ccfleet/ccfleet')).toBe('755 0:0');
    expect(fs.readlinkSync('/usr/bin/ccfleet')).toBe('../lib/ccfleet/ccfleet');
    expect(stat('/etc/ccfleet/agent.json')).toBe('600 0:0');
    expect(fs.readFileSync(CONFIG, 'utf8')).toBe(DEFAULT_AGENT_CONFIG);
    expect(r.stdout).toContain('wrote the default /etc/ccfleet/agent.json');
    expect(stat('/usr/share/ccfleet/agent.json.default')).toBe('644 0:0');
    expect(conffiles()).toBe('');
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
    const r = dpkgInstall(debs[NEXT]!);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(status()).toBe(`ii ${NEXT}`);
    expect(fs.readFileSync('/etc/ccfleet/agent.json', 'utf8')).toBe(edited);
    expect(dpkgLeftovers()).toEqual([]);
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
  it('upgrading from the previous layout keeps the admin\'s edited agent.json (an obsolete conffile) through upgrade and remove; purge removes it', () => {
    clean();
    let r = dpkgInstall(debs[OLD]!);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(conffiles()).toMatch(/^\/etc\/ccfleet\/agent\.json [0-9a-f]{32}$/);
    fs.writeFileSync(CONFIG, MINE);
    for (const v of [VERSION, NEXT]) {
      r = dpkgInstall(debs[v]!);
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(status()).toBe(`ii ${v}`);
      expect(fs.readFileSync(CONFIG, 'utf8')).toBe(MINE);
      expect(stat(CONFIG)).toBe('600 0:0');
      expect(dpkgLeftovers()).toEqual([]);
      // dpkg keeps a conffile the new version no longer ships, marked obsolete (removed on purge only).
      expect(conffiles()).toMatch(/^\/etc\/ccfleet\/agent\.json [0-9a-f]{32} obsolete$/);
    }
    r = dpkg('-r', 'ccfleet');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(fs.readFileSync(CONFIG, 'utf8')).toBe(MINE);
    r = dpkg('-P', 'ccfleet');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(status()).toBe('');
    for (const p of OURS) expect(fs.existsSync(p), p).toBe(false);
  });
});
