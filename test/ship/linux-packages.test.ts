/**
 * The Linux installers built from placeholder binaries (a shell script printing a version): what dpkg-deb,
 * rpm and tar say is inside, the scripts' syntax, and the maintainer scripts run against a temp root
 * (dpkg's DPKG_ROOT; the real `systemctl --root` for enable/disable, a fake systemctl for a "running"
 * manager). Nothing here touches the machine's own files; test/ship/linux-install.test.ts does, in CI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../src/agent/agent-config.js';
import { buildLinuxPackages, linuxPackageNames, stageRoot, type BuiltPackage } from '../../src/ship/linux/build-packages.js';
import { linuxEntries } from '../../src/ship/linux/layout.js';
import { debScripts } from '../../src/ship/linux/deb-scripts.js';
import { DEFAULT_AGENT_CONFIG } from '../../src/ship/linux/default-config.js';
import { rpmScriptlets, rpmSpec } from '../../src/ship/linux/rpm-spec.js';
import { tarballScripts } from '../../src/ship/linux/tarball-scripts.js';
import { linuxVersions } from '../../src/ship/linux/versions.js';

const REQUIRED = process.env.CCFLEET_SHIP === 'require';
const has = (cmd: string, arg = '--version') => spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
const TOOLS = { 'dpkg-deb': has('dpkg-deb'), rpmbuild: has('rpmbuild'), rpm: has('rpm'), systemctl: has('systemctl') };
const missing = Object.entries(TOOLS).filter(([, ok]) => !ok).map(([t]) => t);
if (missing.length) {
  process.stderr.write(`linux packages test: ${missing.join(', ')} not found — ${REQUIRED ? 'FAILING (CCFLEET_SHIP=require)' : 'those parts skipped (apt-get install dpkg rpm systemd)'}\n`);
}
const VERSION = '1.2.3';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-linux-pkg-test-'));
const sh = (file: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync('/bin/sh', [file, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
const mode = (p: string) => (fs.statSync(p).mode & 0o7777).toString(8);
const need = (ctx: { skip: () => void }, ...tools: (keyof typeof TOOLS)[]) => {
  const absent = tools.filter((t) => !TOOLS[t]);
  if (absent.length === 0) return false;
  if (REQUIRED) throw new Error(`CCFLEET_SHIP=require but ${absent.join(', ')} is missing`);
  ctx.skip();
  return true;
};
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('default agent.json', () => {
  it('is a valid agent config that names no policy source', () => {
    const f = path.join(tmp, 'agent.json');
    fs.writeFileSync(f, DEFAULT_AGENT_CONFIG);
    expect(loadAgentConfig(f, true)).toEqual({});
    // Uncommenting the documented keys gives a valid config too (the comments are not stale).
    fs.writeFileSync(f, DEFAULT_AGENT_CONFIG.replace(/^(\s+)\/\/ ("(server|policy|logLevel)":)/gm, '$1$2').replace(/"info"\n/, '"info",\n'));
    expect(loadAgentConfig(f, true)).toMatchObject({ server: 'https://fleet.example.com', policy: 'https://cdn.example.com/claude-code-policy.json', logLevel: 'info' });
  });
});

describe('versions', () => {
  it('map semver pre-releases to ~ (sorted before the release) and refuse non-semver', () => {
    expect(linuxVersions('1.2.3')).toMatchObject({ deb: '1.2.3', rpm: '1.2.3', rpmRelease: '1' });
    expect(linuxVersions('1.2.3-rc.1')).toMatchObject({ deb: '1.2.3~rc.1', rpm: '1.2.3~rc.1' });
    expect(() => linuxVersions('1.2')).toThrow(/not semver/);
    expect(() => linuxVersions('1.2.3; rm -rf /')).toThrow(/not semver/);
    expect(linuxPackageNames('1.2.3', 'arm64')).toEqual({ deb: 'ccfleet_1.2.3_arm64.deb', rpm: 'ccfleet-1.2.3-1.aarch64.rpm', tar: 'ccfleet-1.2.3-linux-arm64.tar.gz' });
  });
});

describe('shell scripts', () => {
  const all = {
    ...Object.fromEntries(Object.entries(debScripts()).map(([k, v]) => [`deb ${k}`, v])),
    ...Object.fromEntries(Object.entries(rpmScriptlets()).map(([k, v]) => [`rpm ${k}`, v])),
    ...Object.fromEntries(Object.entries(tarballScripts('x64')).map(([k, v]) => [`tar ${k}`, v])),
  };
  it.each(Object.keys(all))('%s passes sh -n and dash -n', (name) => {
    const f = path.join(tmp, name.replace(' ', '-'));
    fs.writeFileSync(f, all[name]!);
    for (const shell of ['/bin/sh', ...(fs.existsSync('/bin/dash') ? ['/bin/dash'] : [])]) {
      const r = spawnSync(shell, ['-n', f], { encoding: 'utf8' });
      expect(r.stderr, `${shell} -n ${name}`).toBe('');
      expect(r.status).toBe(0);
    }
  });
  it('sh -n catches a broken script (the check above can fail)', () => {
    const f = path.join(tmp, 'broken.sh');
    fs.writeFileSync(f, debScripts().postinst.replace('esac', ''));
    expect(spawnSync('/bin/sh', ['-n', f]).status).not.toBe(0);
  });
});

describe('built packages', () => {
  const out = path.join(tmp, 'out');
  let built: BuiltPackage[] = [];
  const file = (format: string, arch: string) => built.find((b) => b.format === format && b.arch === arch)!.file;

  beforeAll(() => {
    if (!TOOLS['dpkg-deb'] || !TOOLS.rpmbuild) return;
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    for (const a of ['x64', 'arm64']) fs.writeFileSync(path.join(bin, `ccfleet-linux-${a}`), `#!/bin/sh\necho ${VERSION}\n`, { mode: 0o755 });
    built = buildLinuxPackages({ version: VERSION, binaries: { x64: path.join(bin, 'ccfleet-linux-x64'), arm64: path.join(bin, 'ccfleet-linux-arm64') }, outDir: out });
  });

  it('writes the six files with the agreed names', (ctx) => {
    if (need(ctx, 'dpkg-deb', 'rpmbuild')) return;
    expect(fs.readdirSync(out).sort()).toEqual([
      'ccfleet-1.2.3-1.aarch64.rpm', 'ccfleet-1.2.3-1.x86_64.rpm', 'ccfleet-1.2.3-linux-arm64.tar.gz', 'ccfleet-1.2.3-linux-x64.tar.gz',
      'ccfleet_1.2.3_amd64.deb', 'ccfleet_1.2.3_arm64.deb',
    ]);
  });

  it.for([['x64', 'amd64'], ['arm64', 'arm64']] as const)('.deb %s: control fields, no conffile, files owned by root with their modes', ([arch, debArch], ctx) => {
    if (need(ctx, 'dpkg-deb', 'rpmbuild')) return;
    const deb = file('deb', arch);
    const field = (f: string) => execFileSync('dpkg-deb', ['-f', deb, f], { encoding: 'utf8' }).trim();
    expect(field('Package')).toBe('ccfleet');
    expect(field('Version')).toBe(VERSION);
    expect(field('Architecture')).toBe(debArch);
    expect(field('Depends')).toContain('libc6 (>= 2.28)');
    // An ar archive: debian-binary, control.tar.*, data.tar.xz (the member names are in the headers).
    expect(fs.readFileSync(deb).subarray(0, 4096).toString('latin1')).toMatch(/data\.tar\.xz/);
    const listing = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/))
      .map((c) => `${c[0]} ${c[1]} ${c.slice(5).join(' ')}`);
    expect(listing).toEqual(expect.arrayContaining([
      'drwxr-xr-x root/root ./usr/lib/ccfleet/',
      '-rwxr-xr-x root/root ./usr/lib/ccfleet/ccfleet',
      'lrwxrwxrwx root/root ./usr/bin/ccfleet -> ../lib/ccfleet/ccfleet',
      '-rw-r--r-- root/root ./usr/share/ccfleet/agent.json.default',
      '-rw-r--r-- root/root ./usr/lib/systemd/system/ccfleet.service',
      '-rw-r--r-- root/root ./usr/lib/systemd/system/ccfleet-config.path',
      '-rw-r--r-- root/root ./usr/lib/systemd/system/ccfleet-config.service',
    ]));
    expect(listing.every((l) => l.split(' ')[1] === 'root/root')).toBe(true);
    // Nothing under /var or /etc/ccfleet: state, logs and the config are made by the scripts, so `remove`
    // keeps them and dpkg never prompts about a config IT wrote first.
    expect(listing.filter((l) => l.includes('./var') || l.includes('./etc/ccfleet'))).toEqual([]);
    const ctl = path.join(tmp, `ctl-${arch}`);
    execFileSync('dpkg-deb', ['-e', deb, ctl]);
    expect(fs.existsSync(path.join(ctl, 'conffiles'))).toBe(false);
    for (const s of ['postinst', 'prerm', 'postrm']) {
      expect(mode(path.join(ctl, s))).toBe('755');
      expect(spawnSync('/bin/sh', ['-n', path.join(ctl, s)]).status).toBe(0);
    }
    const x = path.join(tmp, `x-${arch}`);
    execFileSync('dpkg-deb', ['-x', deb, x]);
    expect(execFileSync(path.join(x, 'usr/lib/ccfleet/ccfleet'), { encoding: 'utf8' }).trim()).toBe(VERSION);
    expect(fs.readFileSync(path.join(x, 'usr/share/ccfleet/agent.json.default'), 'utf8')).toBe(DEFAULT_AGENT_CONFIG);
    expect(fs.readFileSync(path.join(x, 'usr/lib/systemd/system/ccfleet.service'), 'utf8')).toMatch(/^ExecStart=\/usr\/lib\/ccfleet\/ccfleet daemon$/m);
  });

  it.for([['x64', 'x86_64'], ['arm64', 'aarch64']] as const)('.rpm %s: header, files with modes, agent.json a %ghost %config, scriptlets', ([arch, rpmArch], ctx) => {
    if (need(ctx, 'dpkg-deb', 'rpmbuild', 'rpm')) return;
    const rpm = file('rpm', arch);
    const q = (...a: string[]) => execFileSync('rpm', ['-qp', ...a, rpm], { encoding: 'utf8' });
    expect(q('--qf', '%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{PAYLOADCOMPRESSOR}')).toBe(`ccfleet ${VERSION} 1 ${rpmArch} xz`);
    const files = q('--qf', '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\\n]').trim().split('\n');
    expect(files.sort()).toEqual([
      '-rw------- root:root /etc/ccfleet/agent.json',
      '-rw-r--r-- root:root /usr/lib/systemd/system/ccfleet-config.path',
      '-rw-r--r-- root:root /usr/lib/systemd/system/ccfleet-config.service',
      '-rw-r--r-- root:root /usr/lib/systemd/system/ccfleet.service',
      '-rw-r--r-- root:root /usr/share/ccfleet/agent.json.default',
      '-rwxr-xr-x root:root /usr/lib/ccfleet/ccfleet',
      'drwxr-xr-x root:root /usr/lib/ccfleet',
      'drwxr-xr-x root:root /usr/share/ccfleet',
      'lrwxrwxrwx root:root /usr/bin/ccfleet',
    ]);
    expect(q('-l').trim().split('\n').sort()).toEqual(['/etc/ccfleet/agent.json', '/usr/bin/ccfleet', '/usr/lib/ccfleet', '/usr/lib/ccfleet/ccfleet',
      '/usr/lib/systemd/system/ccfleet-config.path', '/usr/lib/systemd/system/ccfleet-config.service', '/usr/lib/systemd/system/ccfleet.service',
      '/usr/share/ccfleet', '/usr/share/ccfleet/agent.json.default']);
    expect(q('-c').trim()).toBe('/etc/ccfleet/agent.json');
    // c = %config, g = %ghost (no content: rpm never writes it), m = missingok, n = noreplace.
    expect(q('--qf', '[%{FILENAMES} %{FILEFLAGS:fflags} %{FILESIZES}\\n]')).toMatch(/^\/etc\/ccfleet\/agent\.json cmng 0$/m);
    // Automatic dependencies off: only the soname versions we name (and rpmlib/sh ones rpm adds).
    const requires = q('-R').trim().split('\n').map((l) => l.trim());
    expect(requires.filter((r) => !r.startsWith('rpmlib(') && r !== '/bin/sh').sort()).toEqual([
      'libc.so.6(GLIBC_2.28)(64bit)', 'libgcc_s.so.1(GCC_3.0)(64bit)', 'libstdc++.so.6(CXXABI_1.3.9)(64bit)', 'libstdc++.so.6(GLIBCXX_3.4.21)(64bit)',
    ]);
    const scripts = q('--scripts');
    expect(scripts).toMatch(/postinstall scriptlet[\s\S]*make_dirs\nseed_config\nprotect_config\nif \[ "\$1" -eq 1 \]; then\n  enable_units/);
    expect(scripts).toMatch(/preuninstall scriptlet[\s\S]*if \[ "\$1" -eq 0 \]; then\n  stop_units\n  disable_units/);
    expect(scripts).toMatch(/postuninstall scriptlet[\s\S]*if \[ "\$1" -ge 1 \]; then\n  restart_units/);
    expect(scripts).not.toContain('%%'); // rpm un-escaped every %
  });

  it.for(['x64', 'arm64'] as const)('tar.gz %s: one folder, root-owned, with install.sh and uninstall.sh', (arch, ctx) => {
    if (need(ctx, 'dpkg-deb', 'rpmbuild')) return;
    const listing = execFileSync('tar', ['-tvzf', file('tar', arch)], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split(/\s+/)).map((c) => `${c[0]} ${c[1]} ${c[5]}`);
    const d = `ccfleet-${VERSION}-linux-${arch}`;
    expect(listing.sort()).toEqual([
      `-rw-r--r-- 0/0 ${d}/README.txt`,
      `-rw-r--r-- 0/0 ${d}/agent.json.default`,
      `-rw-r--r-- 0/0 ${d}/systemd/ccfleet-config.path`,
      `-rw-r--r-- 0/0 ${d}/systemd/ccfleet-config.service`,
      `-rw-r--r-- 0/0 ${d}/systemd/ccfleet.service`,
      `-rwxr-xr-x 0/0 ${d}/ccfleet`,
      `-rwxr-xr-x 0/0 ${d}/install.sh`,
      `-rwxr-xr-x 0/0 ${d}/uninstall.sh`,
      `drwxr-xr-x 0/0 ${d}/`,
      `drwxr-xr-x 0/0 ${d}/systemd/`,
    ]);
  });
});

/**
 * A fake systemctl: records its arguments (one call per line) and answers like the real one; with
 * FAKE_FAIL=start it fails `start` (an install must not fail with it).
 */
function fakeSystemctl(dir: string, log: string): string {
  const bin = path.join(dir, 'fakebin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${log}\ncase "$*" in *is-enabled*) exit 1 ;; start*) [ "$FAKE_FAIL" != start ] || exit 1 ;; esac\nexit 0\n`, { mode: 0o755 });
  return bin;
}

describe('deb maintainer scripts against a temp root', () => {
  let root = '';
  let scripts = '';
  const run = (name: string, ...args: string[]) => sh(path.join(scripts, name), args, { DPKG_ROOT: root });
  const wants = () => (fs.existsSync(path.join(root, 'etc/systemd/system/multi-user.target.wants')) ? fs.readdirSync(path.join(root, 'etc/systemd/system/multi-user.target.wants')).sort() : []);

  beforeAll(() => {
    root = path.join(tmp, 'debroot');
    scripts = path.join(tmp, 'debscripts');
    fs.mkdirSync(path.join(root, 'usr/lib/systemd/system'), { recursive: true });
    fs.mkdirSync(scripts);
    for (const [n, t] of Object.entries(debScripts())) fs.writeFileSync(path.join(scripts, n), t, { mode: 0o755 });
    // The payload dpkg would have unpacked (the units are what systemctl --root reads).
    for (const n of ['ccfleet.service', 'ccfleet-config.path', 'ccfleet-config.service']) {
      fs.writeFileSync(path.join(root, 'usr/lib/systemd/system', n), n.endsWith('.service') && n !== 'ccfleet-config.service' ? '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nAlso=ccfleet-config.path\n' : n.endsWith('.path') ? '[Path]\nPathChanged=/etc/ccfleet/agent.json\n[Install]\nWantedBy=multi-user.target\n' : '[Service]\nExecStart=/bin/true\n');
    }
  });

  it('install enables (as files, systemd not running), makes the folders; remove disables and keeps them; reinstall re-enables; purge clears', (ctx) => {
    if (need(ctx, 'systemctl')) return;
    // A config preseeded world-readable (it holds the enrollment secret) is made private.
    fs.mkdirSync(path.join(root, 'etc/ccfleet'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/ccfleet/agent.json'), '{}', { mode: 0o644 });
    fs.chmodSync(path.join(root, 'etc/ccfleet/agent.json'), 0o644);
    let r = run('postinst', 'configure', '');
    expect(r.status, r.stderr).toBe(0);
    expect(mode(path.join(root, 'etc/ccfleet/agent.json'))).toBe('600');
    expect(r.stdout).toContain('installed under');
    expect(wants()).toEqual(['ccfleet-config.path', 'ccfleet.service']);
    expect(mode(path.join(root, 'var/lib/ccfleet'))).toBe('700');
    expect(mode(path.join(root, 'var/log/ccfleet'))).toBe('700');
    expect(mode(path.join(root, 'etc/claude-code'))).toBe('755');

    // An admin's own files in the managed folder survive everything; the daemon's drop-in goes on purge.
    fs.mkdirSync(path.join(root, 'etc/claude-code/managed-settings.d'));
    fs.writeFileSync(path.join(root, 'etc/claude-code/managed-settings.json'), '{}');
    fs.writeFileSync(path.join(root, 'etc/claude-code/managed-settings.d/50-ccfleet.json'), '{}');
    fs.writeFileSync(path.join(root, 'var/lib/ccfleet/device-id'), 'x');

    r = run('prerm', 'remove');
    expect(r.status, r.stderr).toBe(0);
    expect(wants()).toEqual([]);
    r = run('postrm', 'remove');
    expect(r.status, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(root, 'var/lib/ccfleet/device-id'))).toBe(true);

    // Reinstall after remove (dpkg passes the old version): enabled again because it was enabled before.
    r = run('postinst', 'configure', '1.2.2');
    expect(r.status, r.stderr).toBe(0);
    expect(wants()).toEqual(['ccfleet-config.path', 'ccfleet.service']);

    // An upgrade keeps an admin's disable.
    execFileSync('systemctl', [`--root=${root}`, 'disable', 'ccfleet.service'], { stdio: 'ignore' });
    r = run('postinst', 'configure', '1.2.3');
    expect(r.status, r.stderr).toBe(0);
    expect(wants()).toEqual([]);

    fs.writeFileSync(path.join(root, 'etc/ccfleet/agent.json.dpkg-old'), '{}');
    r = run('postrm', 'purge');
    expect(r.status, r.stderr).toBe(0);
    for (const gone of ['var/lib/ccfleet', 'var/log/ccfleet', 'etc/ccfleet', 'etc/claude-code/managed-settings.d']) expect(fs.existsSync(path.join(root, gone)), gone).toBe(false);
    expect(fs.readFileSync(path.join(root, 'etc/claude-code/managed-settings.json'), 'utf8')).toBe('{}');
  });

  it('with a running manager: start on install, try-restart on upgrade, stop on removal — and a failing systemctl never fails the script', () => {
    const dir = path.join(tmp, 'live');
    const log = path.join(dir, 'calls');
    const probe = path.join(dir, 'run-systemd-system');
    fs.mkdirSync(probe, { recursive: true });
    const bin = fakeSystemctl(dir, log);
    const s = debScripts({ root: `"${path.join(dir, 'root')}"`, probe, liveUnderRoot: true });
    for (const [n, t] of Object.entries(s)) fs.writeFileSync(path.join(dir, n), t);
    const go = (name: string, args: string[], env: Record<string, string> = {}) => {
      fs.rmSync(log, { force: true });
      const r = sh(path.join(dir, name), args, { PATH: `${bin}:${process.env.PATH}`, ...env });
      expect(r.status, r.stderr).toBe(0);
      return { out: r.stdout, calls: fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [] };
    };
    const root = path.join(dir, 'root');
    let r = go('postinst', ['configure', '']);
    expect(r.calls).toEqual([`--root=${root} enable ccfleet.service ccfleet-config.path`, 'daemon-reload', 'start ccfleet.service ccfleet-config.path']);
    r = go('postinst', ['configure', '1.2.2']);
    expect(r.calls).toEqual(['daemon-reload', 'try-restart ccfleet.service ccfleet-config.path']);
    r = go('prerm', ['remove']);
    expect(r.calls).toEqual([`--root=${root} is-enabled --quiet ccfleet.service`, 'stop ccfleet.service ccfleet-config.path ccfleet-config.service', `--root=${root} disable ccfleet.service ccfleet-config.path`]);
    r = go('prerm', ['upgrade', '1.2.4']);
    expect(r.calls).toEqual([]); // nothing: the new postinst restarts
    r = go('postinst', ['configure', ''], { FAKE_FAIL: 'start' });
    expect(r.out).toContain("'systemctl start ccfleet.service ccfleet-config.path' failed (ignored)");
  });

  it('without systemctl at all: installs, says what to do, exits 0', () => {
    const dir = path.join(tmp, 'nosystemctl');
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    for (const t of ['install', 'rm', 'rmdir']) fs.symlinkSync(execFileSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim(), path.join(bin, t));
    const f = path.join(dir, 'postinst');
    fs.writeFileSync(f, debScripts().postinst);
    const r = sh(f, ['configure', ''], { PATH: bin, DPKG_ROOT: path.join(dir, 'root') });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('systemctl not found');
    expect(mode(path.join(dir, 'root/var/lib/ccfleet'))).toBe('700');
  });
});

describe('the default /etc/ccfleet/agent.json (deb postinst and rpm %post against a temp root)', () => {
  const SCRIPTS = {
    deb: (root: string) => ({ text: debScripts({ root: `"${root}"` }).postinst, args: ['configure', ''] }),
    rpm: (root: string) => ({ text: rpmScriptlets({ root: `"${root}"` }).post, args: ['1'] }),
  };
  let n = 0;
  /** A fresh root holding the package payload's default (unless `withDefault` is false); `prepare` runs before the script. */
  const install = (kind: keyof typeof SCRIPTS, prepare: (root: string) => void, withDefault = true) => {
    const dir = path.join(tmp, `seed-${kind}-${n++}`);
    const root = path.join(dir, 'root');
    fs.mkdirSync(root, { recursive: true });
    if (withDefault) {
      fs.mkdirSync(path.join(root, 'usr/share/ccfleet'), { recursive: true });
      fs.writeFileSync(path.join(root, 'usr/share/ccfleet/agent.json.default'), DEFAULT_AGENT_CONFIG, { mode: 0o644 });
    }
    prepare(root);
    const s = SCRIPTS[kind](root);
    fs.writeFileSync(path.join(dir, 'script'), s.text);
    const r = sh(path.join(dir, 'script'), s.args, { PATH: `${fakeSystemctl(dir, path.join(dir, 'calls'))}:${process.env.PATH}` });
    expect(r.status, r.stderr).toBe(0);
    return { root, out: r.stdout, cfg: path.join(root, 'etc/ccfleet/agent.json'), dir: path.join(root, 'etc/ccfleet') };
  };

  it.for(['deb', 'rpm'] as const)('%s: absent → the default, 0600, written once (a second run and an edit are left alone)', (kind) => {
    const r = install(kind, () => {});
    expect(fs.readFileSync(r.cfg, 'utf8')).toBe(DEFAULT_AGENT_CONFIG);
    expect(mode(r.cfg)).toBe('600');
    expect(fs.statSync(r.cfg).nlink).toBe(1); // the temp name is gone
    expect(fs.readdirSync(r.dir)).toEqual(['agent.json']);
    expect(mode(r.dir)).toBe('755');
    expect(r.out).toContain('wrote the default /etc/ccfleet/agent.json');
    // Re-run (upgrade, reinstall): an edited file keeps its bytes and its inode.
    fs.writeFileSync(r.cfg, '{ "policy": "/p.json" }\n');
    const ino = fs.statSync(r.cfg).ino;
    const s = SCRIPTS[kind](r.root);
    const again = path.join(tmp, `seed-again-${kind}`);
    fs.writeFileSync(again, s.text);
    const rr = sh(again, kind === 'deb' ? ['configure', '1.2.2'] : ['2'], { PATH: `${fakeSystemctl(path.join(tmp, `seed-again-${kind}-bin`), path.join(tmp, `seed-again-${kind}-calls`))}:${process.env.PATH}` });
    expect(rr.status, rr.stderr).toBe(0);
    expect(fs.readFileSync(r.cfg, 'utf8')).toBe('{ "policy": "/p.json" }\n');
    expect(fs.statSync(r.cfg).ino).toBe(ino);
    expect(rr.stdout).not.toContain('wrote the default');
  });

  it.for(['deb', 'rpm'] as const)('%s: a file IT wrote first is kept byte for byte, only made private', (kind) => {
    const mine = '// from the MDM\n{ "server": "https://fleet.example.com", "enrollSecret": "s3cret" }\n';
    const r = install(kind, (root) => {
      fs.mkdirSync(path.join(root, 'etc/ccfleet'), { recursive: true, mode: 0o750 });
      fs.chmodSync(path.join(root, 'etc/ccfleet'), 0o750);
      fs.writeFileSync(path.join(root, 'etc/ccfleet/agent.json'), mine);
      fs.chmodSync(path.join(root, 'etc/ccfleet/agent.json'), 0o644);
    });
    expect(fs.readFileSync(r.cfg, 'utf8')).toBe(mine);
    expect(mode(r.cfg)).toBe('600');
    expect(mode(r.dir)).toBe('750'); // the folder is IT's too
    expect(fs.readdirSync(r.dir)).toEqual(['agent.json']);
    expect(r.out).not.toContain('wrote the default');
  });

  it('never writes or chmods through a symlink: a symlinked /etc/ccfleet, a dangling or a live agent.json link', () => {
    const elsewhere = path.join(tmp, 'seed-elsewhere');
    fs.mkdirSync(elsewhere);
    let r = install('deb', (root) => {
      fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
      fs.symlinkSync(elsewhere, path.join(root, 'etc/ccfleet'));
    });
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    expect(r.out).toContain('is a symlink: no default agent.json written through it');

    const target = path.join(tmp, 'seed-target.json');
    r = install('deb', (root) => {
      fs.mkdirSync(path.join(root, 'etc/ccfleet'), { recursive: true });
      fs.symlinkSync(target, path.join(root, 'etc/ccfleet/agent.json')); // dangling
    });
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readlinkSync(r.cfg)).toBe(target);

    fs.writeFileSync(target, '{}');
    fs.chmodSync(target, 0o644);
    r = install('rpm', (root) => {
      fs.mkdirSync(path.join(root, 'etc/ccfleet'), { recursive: true });
      fs.symlinkSync(target, path.join(root, 'etc/ccfleet/agent.json'));
    });
    expect(mode(target)).toBe('644');
    expect(fs.readFileSync(target, 'utf8')).toBe('{}');

    // And the existing file behind a symlinked folder is not re-moded either.
    const linked = path.join(tmp, 'seed-linked');
    fs.mkdirSync(linked);
    fs.writeFileSync(path.join(linked, 'agent.json'), '{}', { mode: 0o644 });
    fs.chmodSync(path.join(linked, 'agent.json'), 0o644);
    install('rpm', (root) => {
      fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
      fs.symlinkSync(linked, path.join(root, 'etc/ccfleet'));
    });
    expect(mode(path.join(linked, 'agent.json'))).toBe('644');
  });

  it('without the shipped default: says so, writes nothing, the install still succeeds', () => {
    const r = install('deb', () => {}, false);
    expect(r.out).toContain('agent.json.default is missing');
    expect(fs.existsSync(r.cfg)).toBe(false);
  });
});

describe('rpm scriptlets by $1 count, against a running (fake) manager', () => {
  it('install enables+starts, upgrade restarts from %postun, erase stops+disables', () => {
    const dir = path.join(tmp, 'rpmlive');
    const log = path.join(dir, 'calls');
    const probe = path.join(dir, 'probe');
    fs.mkdirSync(probe, { recursive: true });
    const bin = fakeSystemctl(dir, log);
    const root = path.join(dir, 'root');
    const s = rpmScriptlets({ root: `"${root}"`, probe, liveUnderRoot: true });
    const go = (name: keyof typeof s, arg: string) => {
      fs.rmSync(log, { force: true });
      const f = path.join(dir, name);
      fs.writeFileSync(f, s[name]);
      const r = sh(f, [arg], { PATH: `${bin}:${process.env.PATH}` });
      expect(r.status, r.stderr).toBe(0);
      return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
    };
    expect(go('post', '1')).toEqual([`--root=${root} enable ccfleet.service ccfleet-config.path`, 'daemon-reload', 'start ccfleet.service ccfleet-config.path']);
    expect(mode(path.join(root, 'var/lib/ccfleet'))).toBe('700');
    // Upgrade: new %post (2), old %preun (1), old %postun (1).
    expect(go('post', '2')).toEqual(['daemon-reload']);
    expect(go('preun', '1')).toEqual([]);
    expect(go('postun', '1')).toEqual(['daemon-reload', 'try-restart ccfleet.service ccfleet-config.path']);
    // Erase.
    expect(go('preun', '0')).toEqual(['stop ccfleet.service ccfleet-config.path ccfleet-config.service', `--root=${root} disable ccfleet.service ccfleet-config.path`]);
    expect(go('postun', '0')).toEqual(['daemon-reload']);
    expect(fs.existsSync(path.join(root, 'var/lib/ccfleet'))).toBe(true); // rpm has no purge
  });
});

const isRoot = process.getuid?.() === 0;
describe('tar.gz install.sh / uninstall.sh --root', () => {
  it('installs (the default config only when absent), keeps an edited config on re-run (upgrade), uninstalls, purges', (ctx) => {
    if (!isRoot) return ctx.skip(); // install.sh refuses to run as non-root
    if (need(ctx, 'dpkg-deb', 'rpmbuild', 'systemctl')) return;
    const x = path.join(tmp, 'tarx');
    fs.mkdirSync(x);
    const out = path.join(tmp, 'out', `ccfleet-${VERSION}-linux-x64.tar.gz`);
    execFileSync('tar', ['-xzf', out, '-C', x]);
    const pkg = path.join(x, `ccfleet-${VERSION}-linux-x64`);
    const root = path.join(tmp, 'tarroot');
    fs.mkdirSync(root);
    let r = sh(path.join(pkg, 'install.sh'), ['--root', root]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`installed ${VERSION} at /usr/lib/ccfleet/ccfleet`);
    expect(mode(path.join(root, 'usr/lib/ccfleet/ccfleet'))).toBe('755');
    expect(fs.readlinkSync(path.join(root, 'usr/bin/ccfleet'))).toBe('../lib/ccfleet/ccfleet');
    expect(mode(path.join(root, 'etc/ccfleet/agent.json'))).toBe('600');
    expect(fs.readFileSync(path.join(root, 'etc/ccfleet/agent.json'), 'utf8')).toBe(DEFAULT_AGENT_CONFIG);
    expect(mode(path.join(root, 'usr/share/ccfleet/agent.json.default'))).toBe('644');
    expect(mode(path.join(root, 'etc/systemd/system/ccfleet.service'))).toBe('644');
    expect(fs.readdirSync(path.join(root, 'etc/systemd/system/multi-user.target.wants')).sort()).toEqual(['ccfleet-config.path', 'ccfleet.service']);
    expect(mode(path.join(root, 'var/lib/ccfleet'))).toBe('700');

    fs.writeFileSync(path.join(root, 'etc/ccfleet/agent.json'), '{ "server": "https://fleet.example.com" }\n');
    r = sh(path.join(pkg, 'install.sh'), ['--root', root]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(root, 'etc/ccfleet/agent.json'), 'utf8')).toContain('fleet.example.com');

    r = sh(path.join(pkg, 'uninstall.sh'), ['--root', root]);
    expect(r.status, r.stderr).toBe(0);
    for (const gone of ['usr/lib/ccfleet', 'usr/bin/ccfleet', 'usr/share/ccfleet', 'etc/systemd/system/ccfleet.service', 'etc/systemd/system/multi-user.target.wants/ccfleet.service']) {
      expect(fs.existsSync(path.join(root, gone)), gone).toBe(false);
    }
    expect(fs.existsSync(path.join(root, 'etc/ccfleet/agent.json'))).toBe(true);
    r = sh(path.join(pkg, 'uninstall.sh'), ['--purge', '--root', root]);
    expect(r.status, r.stderr).toBe(0);
    for (const gone of ['etc/ccfleet', 'var/lib/ccfleet', 'var/log/ccfleet']) expect(fs.existsSync(path.join(root, gone)), gone).toBe(false);
    expect(sh(path.join(pkg, 'install.sh'), ['--bogus']).status).toBe(2);

    // A config IT wrote before the first install.sh: kept byte for byte, made private.
    const pre = path.join(tmp, 'tarroot-preseeded');
    const mine = '{ "server": "https://fleet.example.com", "enrollSecret": "s3cret" }\n';
    fs.mkdirSync(path.join(pre, 'etc/ccfleet'), { recursive: true });
    fs.writeFileSync(path.join(pre, 'etc/ccfleet/agent.json'), mine, { mode: 0o644 });
    fs.chmodSync(path.join(pre, 'etc/ccfleet/agent.json'), 0o644);
    r = sh(path.join(pkg, 'install.sh'), ['--root', pre]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(pre, 'etc/ccfleet/agent.json'), 'utf8')).toBe(mine);
    expect(mode(path.join(pre, 'etc/ccfleet/agent.json'))).toBe('600');
    expect(fs.readdirSync(path.join(pre, 'etc/ccfleet'))).toEqual(['agent.json']);
  });
});

describe('rpm keeps /etc/ccfleet/agent.json (files only: rpm --root, no scriptlets)', () => {
  it('through an upgrade from the %config layout, a same-layout upgrade and rpm -e; never an .rpmsave or .rpmnew', (ctx) => {
    if (!isRoot) return ctx.skip(); // rpm chowns what it unpacks
    if (need(ctx, 'dpkg-deb', 'rpmbuild', 'rpm')) return;
    const dir = path.join(tmp, 'rpmfate');
    const bin = path.join(dir, 'ccfleet');
    fs.mkdirSync(dir);
    fs.writeFileSync(bin, '#!/bin/sh\necho old\n', { mode: 0o755 });
    // The previous layout: agent.json shipped with content as %config(noreplace), version 1.2.2.
    const top = path.join(dir, 'top');
    const stage = path.join(dir, 'stage');
    for (const d of ['BUILD', 'RPMS', 'SPECS', 'tmp']) fs.mkdirSync(path.join(top, d), { recursive: true });
    fs.mkdirSync(stage);
    stageRoot(stage, linuxEntries(), bin);
    fs.mkdirSync(path.join(stage, 'etc/ccfleet'), { recursive: true });
    fs.writeFileSync(path.join(stage, 'etc/ccfleet/agent.json'), DEFAULT_AGENT_CONFIG, { mode: 0o600 });
    const spec = rpmSpec({ versions: linuxVersions('1.2.2'), entries: linuxEntries(), stage, summary: 's', description: 'd', license: 'l', payload: 'w1.gzdio' });
    expect(spec).toContain('%ghost %config(missingok,noreplace) %attr(0600,root,root) /etc/ccfleet/agent.json');
    fs.writeFileSync(path.join(top, 'SPECS/old.spec'), spec.replace('%ghost %config(missingok,noreplace)', '%config(noreplace)'));
    execFileSync('rpmbuild', ['-bb', '--quiet', '--target', 'x86_64', '--define', `_topdir ${top}`, '--define', `_tmppath ${path.join(top, 'tmp')}`, path.join(top, 'SPECS/old.spec')], { stdio: 'ignore' });
    const oldRpm = path.join(top, 'RPMS/x86_64/ccfleet-1.2.2-1.x86_64.rpm');
    const [built] = buildLinuxPackages({ version: VERSION, binaries: { x64: bin }, outDir: path.join(dir, 'new'), formats: ['rpm'], quick: true });
    const newRpm = built!.file;
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    const rpm = (...a: string[]) => {
      const r = spawnSync('rpm', ['--root', root, ...a], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout + r.stderr.replace(/^rpm: .*(Alien|you know what).*\n/gm, '');
    };
    const cfg = path.join(root, 'etc/ccfleet/agent.json');
    const mine = '{ "server": "https://fleet.example.com" }\n';
    rpm('--initdb');
    rpm('-i', '--nodeps', '--noscripts', '--ignorearch', oldRpm);
    expect(fs.readFileSync(cfg, 'utf8')).toBe(DEFAULT_AGENT_CONFIG);
    fs.writeFileSync(cfg, mine);
    for (const step of [['-U', newRpm], ['-U', '--replacepkgs', newRpm]]) {
      expect(rpm(step[0]!, '--nodeps', '--noscripts', '--ignorearch', ...step.slice(1))).not.toMatch(/saved as|created as/);
      expect(fs.readFileSync(cfg, 'utf8')).toBe(mine);
    }
    expect(rpm('-qf', '/etc/ccfleet/agent.json').trim()).toBe('ccfleet-1.2.3-1.x86_64');
    expect(rpm('-e', '--nodeps', '--noscripts', 'ccfleet')).not.toMatch(/saved as/);
    expect(fs.readFileSync(cfg, 'utf8')).toBe(mine);
    expect(fs.readdirSync(path.join(root, 'etc/ccfleet'))).toEqual(['agent.json']);
    expect(fs.existsSync(path.join(root, 'usr/lib/ccfleet/ccfleet'))).toBe(false);
  }, 120_000);
});

// The real executable must come out of every package byte for byte: rpmbuild strips ELF files unless told
// not to, and a stripped SEA binary no longer finds its blob (it segfaults or runs plain node).
const REAL = path.resolve(__dirname, '../../dist/ccfleet-linux-x64');
describe('the real dist/ccfleet-linux-x64 in each package', () => {
  it('is unchanged in the .deb, the .rpm and the tar.gz', (ctx) => {
    if (!fs.existsSync(REAL)) {
      process.stderr.write('linux packages test: dist/ccfleet-linux-x64 absent — byte-for-byte check skipped (npm run build:exe)\n');
      return ctx.skip();
    }
    if (need(ctx, 'dpkg-deb', 'rpmbuild', 'rpm')) return;
    const out = path.join(tmp, 'real');
    const built = buildLinuxPackages({ version: VERSION, binaries: { x64: REAL }, outDir: out, quick: true });
    const want = fs.readFileSync(REAL);
    const same = (f: string) => expect(fs.readFileSync(f).equals(want), f).toBe(true);
    const x = (name: string) => fs.mkdirSync(path.join(out, name), { recursive: true }) ?? path.join(out, name);
    const deb = x('deb');
    execFileSync('dpkg-deb', ['-x', built.find((b) => b.format === 'deb')!.file, deb]);
    same(path.join(deb, 'usr/lib/ccfleet/ccfleet'));
    const rpm = x('rpm');
    execFileSync('sh', ['-c', `rpm2cpio "$1" | cpio -idm --quiet`, 'sh', built.find((b) => b.format === 'rpm')!.file], { cwd: rpm });
    same(path.join(rpm, 'usr/lib/ccfleet/ccfleet'));
    const tar = x('tar');
    execFileSync('tar', ['-xzf', built.find((b) => b.format === 'tar')!.file, '-C', tar]);
    same(path.join(tar, `ccfleet-${VERSION}-linux-x64`, 'ccfleet'));
  }, 300_000);
});
