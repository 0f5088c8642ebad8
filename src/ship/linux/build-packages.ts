/**
 * Builds the Linux installers from the single executables: for each target (x64, arm64) a .deb
 * (dpkg-deb, xz, root:root), an .rpm (rpmbuild with the generated spec) and a tar.gz with install.sh and
 * uninstall.sh. Everything is staged in a temp folder; only finished files land in `outDir`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debControl } from './deb-control.js';
import { debScripts } from './deb-scripts.js';
import { linuxEntries, LOCAL_UNIT_DIR, PACKAGE_UNIT_DIR, type Entry } from './layout.js';
import { DEFAULT_AGENT_CONFIG } from './default-config.js';
import { rpmSpec } from './rpm-spec.js';
import { tarballScripts } from './tarball-scripts.js';
import { LINUX_ARCHES, linuxVersions, type LinuxArch } from './versions.js';

export type LinuxFormat = 'deb' | 'rpm' | 'tar';

export interface BuildLinuxOptions {
  /** package.json version (semver). */
  version: string;
  /** The executable of each target to package. */
  binaries: Partial<Record<LinuxArch, string>>;
  outDir: string;
  formats?: readonly LinuxFormat[];
  maintainer?: string;
  /** gzip -1 instead of xz -6 for the .deb and .rpm (tests and local iteration: seconds instead of a minute). */
  quick?: boolean;
  log?: (line: string) => void;
}

export interface BuiltPackage {
  format: LinuxFormat;
  arch: LinuxArch;
  file: string;
  bytes: number;
}

export const SUMMARY = "Keeps Claude Code on the company's gateway (ccfleet agent)";
export const DESCRIPTION = `ccfleet keeps every developer's Claude Code pointed at the company's
Bifrost gateway: a root daemon (systemd unit ccfleet.service) enforces the
central policy in Claude Code's managed settings, repairs drift in users'
settings files within moments and reports compliance to the ccfleet server.

Nothing is enforced until /etc/ccfleet/agent.json names a server or policy.`;

export function linuxPackageNames(version: string, arch: LinuxArch): Record<LinuxFormat, string> {
  const v = linuxVersions(version);
  const a = LINUX_ARCHES[arch];
  return {
    deb: `ccfleet_${v.deb}_${a.deb}.deb`,
    rpm: `ccfleet-${v.rpm}-${v.rpmRelease}.${a.rpm}.rpm`,
    tar: `ccfleet-${version}-linux-${arch}.tar.gz`,
  };
}

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr || err.stdout || err.message).trim()}`);
  }
}

/** Writes the entries under `dir` (a file-system root) with their modes; returns the payload size in bytes. */
export function stageRoot(dir: string, entries: readonly Entry[], binary: string): number {
  let bytes = 0;
  // Parents the package does not list (/usr, /usr/bin, /etc, ...) are plain 0755 folders.
  const parent = (p: string) => {
    const missing: string[] = [];
    for (let d = path.dirname(p); d !== '/' && !fs.existsSync(path.join(dir, d)); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) {
      fs.mkdirSync(path.join(dir, d));
      fs.chmodSync(path.join(dir, d), 0o755);
    }
  };
  for (const e of entries) {
    const to = path.join(dir, e.path);
    parent(e.path);
    if (e.kind === 'dir') fs.mkdirSync(to, { mode: e.mode });
    else if (e.kind === 'symlink') fs.symlinkSync(e.target, to);
    else if ('source' in e) fs.copyFileSync(binary, to);
    else fs.writeFileSync(to, e.text);
    if (e.kind !== 'symlink') fs.chmodSync(to, e.mode);
    if (e.kind === 'file') bytes += fs.statSync(to).size;
  }
  return bytes;
}

function buildDeb(work: string, arch: LinuxArch, binary: string, o: BuildLinuxOptions, out: string): void {
  const root = path.join(work, 'deb');
  fs.mkdirSync(root, { mode: 0o755 });
  fs.chmodSync(root, 0o755);
  const entries = linuxEntries(PACKAGE_UNIT_DIR);
  const bytes = stageRoot(root, entries, binary);
  const meta = path.join(root, 'DEBIAN');
  fs.mkdirSync(meta, { mode: 0o755 });
  fs.chmodSync(meta, 0o755);
  const control = debControl({
    version: linuxVersions(o.version).deb,
    arch: LINUX_ARCHES[arch].deb,
    installedSizeKiB: bytes / 1024 + entries.length,
    maintainer: o.maintainer ?? 'ccfleet <ccfleet@localhost>',
    summary: SUMMARY,
    description: DESCRIPTION,
  });
  fs.writeFileSync(path.join(meta, 'control'), control, { mode: 0o644 });
  for (const [name, text] of Object.entries(debScripts())) {
    fs.writeFileSync(path.join(meta, name), text);
    fs.chmodSync(path.join(meta, name), 0o755);
  }
  run('dpkg-deb', ['--root-owner-group', ...(o.quick ? ['-Zgzip', '-z1'] : ['-Zxz']), '--build', root, out]);
}

function buildRpm(work: string, arch: LinuxArch, binary: string, o: BuildLinuxOptions, out: string): void {
  const top = path.join(work, 'rpm');
  const stage = path.join(work, 'rpm-root');
  for (const d of ['BUILD', 'RPMS', 'SOURCES', 'SPECS', 'SRPMS', 'BUILDROOT', 'tmp']) fs.mkdirSync(path.join(top, d), { recursive: true });
  fs.mkdirSync(stage, { mode: 0o755 });
  const entries = linuxEntries(PACKAGE_UNIT_DIR);
  stageRoot(stage, entries, binary);
  const versions = linuxVersions(o.version);
  const spec = path.join(top, 'SPECS', 'ccfleet.spec');
  fs.writeFileSync(spec, rpmSpec({ versions, entries, stage, summary: SUMMARY, description: DESCRIPTION, license: 'Proprietary', ...(o.quick ? { payload: 'w1.gzdio' } : {}) }));
  const target = LINUX_ARCHES[arch].rpm;
  run('rpmbuild', ['-bb', '--target', target, '--define', `_topdir ${top}`, '--define', `_tmppath ${path.join(top, 'tmp')}`, spec]);
  const built = path.join(top, 'RPMS', target, `ccfleet-${versions.rpm}-${versions.rpmRelease}.${target}.rpm`);
  fs.copyFileSync(built, out);
}

function buildTar(work: string, arch: LinuxArch, binary: string, o: BuildLinuxOptions, out: string, fileName: string): void {
  const name = fileName.replace(/\.tar\.gz$/, '');
  const base = path.join(work, 'tar');
  const dir = path.join(base, name);
  fs.mkdirSync(path.join(dir, 'systemd'), { recursive: true, mode: 0o755 });
  const put = (rel: string, mode: number, data: string | null) => {
    const to = path.join(dir, rel);
    if (data === null) fs.copyFileSync(binary, to);
    else fs.writeFileSync(to, data);
    fs.chmodSync(to, mode);
  };
  put('ccfleet', 0o755, null);
  put('agent.json.default', 0o644, DEFAULT_AGENT_CONFIG);
  for (const e of linuxEntries(LOCAL_UNIT_DIR)) {
    if (e.kind === 'file' && 'text' in e && e.path.startsWith(`${LOCAL_UNIT_DIR}/`)) put(`systemd/${path.basename(e.path)}`, 0o644, e.text);
  }
  const s = tarballScripts(arch);
  put('install.sh', 0o755, s.install);
  put('uninstall.sh', 0o755, s.uninstall);
  put('README.txt', 0o644, `ccfleet ${o.version} for linux-${arch}\n\nsudo ./install.sh            install or upgrade (writes /etc/ccfleet/agent.json only when there is none)\nsudo ./uninstall.sh [--purge]  remove (--purge: also config, state and logs)\n\nThen set "server" or "policy" in /etc/ccfleet/agent.json. See docs/install-linux.md.\n`);
  for (const d of [dir, path.join(dir, 'systemd')]) fs.chmodSync(d, 0o755);
  run('tar', ['--owner=0', '--group=0', '--numeric-owner', '--sort=name', '-czf', out, '-C', base, name]);
}

const BUILDERS: Record<LinuxFormat, typeof buildTar> = { deb: buildDeb, rpm: buildRpm, tar: buildTar };

export function buildLinuxPackages(o: BuildLinuxOptions): BuiltPackage[] {
  const formats = o.formats ?? ['deb', 'rpm', 'tar'];
  linuxVersions(o.version); // fail early on a version no format can take
  fs.mkdirSync(o.outDir, { recursive: true });
  const built: BuiltPackage[] = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-linux-pkg-'));
  try {
    for (const arch of Object.keys(LINUX_ARCHES) as LinuxArch[]) {
      const binary = o.binaries[arch];
      if (!binary) continue;
      if (!fs.statSync(binary).isFile()) throw new Error(`${binary}: not a file`);
      const names = linuxPackageNames(o.version, arch);
      for (const format of formats) {
        const dir = path.join(work, `${arch}-${format}`);
        fs.mkdirSync(dir);
        const out = path.resolve(o.outDir, names[format]);
        // Built beside its final name, then renamed: a reader never sees half a package.
        const partial = path.join(path.dirname(out), `.${names[format]}.${process.pid}.partial`);
        try {
          BUILDERS[format](dir, arch, binary, o, partial, names[format]);
          fs.renameSync(partial, out);
        } finally {
          fs.rmSync(partial, { force: true });
          fs.rmSync(dir, { recursive: true, force: true }); // a ~110 MB binary per stage: free it at once
        }
        const bytes = fs.statSync(out).size;
        built.push({ format, arch, file: out, bytes });
        o.log?.(`${path.relative(process.cwd(), out) || out} (${(bytes / 1048576).toFixed(1)} MiB)`);
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return built;
}
