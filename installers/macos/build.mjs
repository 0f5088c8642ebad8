#!/usr/bin/env node
// Builds the macOS product archive dist/installers/ccfleet-<version>.pkg and the configuration profiles
// in dist/installers/macos-profiles/.
//
//   node installers/macos/build.mjs [--binaries <dir>] [--out <dir>] [--version <v>]
//                                   [--allow-unsigned] [--update-samples]
//
// --binaries   folder holding ccfleet-darwin-x64 and ccfleet-darwin-arm64 (default dist/)
// --out        output folder (default dist/installers)
// --allow-unsigned  accept binaries that are not ad-hoc signed Mach-O files (tests' placeholders);
//              without it such a binary fails the build — arm64 Macs refuse unsigned code
// --update-samples  also rewrite the committed profiles in installers/macos/profiles/
//
// The logic (Bom, cpio Payload/Scripts, PackageInfo, Distribution, profiles) is TypeScript in
// src/ship/{bom,cpio,plist,pkg,mobileconfig}; this script reads inputs, runs Debian's bsdtar
// (libarchive-tools) to write the xar container, and checks the result by reading it back.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { loadTs } from '../../scripts/ship/load-ts.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

function parseArgs(argv) {
  const o = { binaries: join(root, 'dist'), out: join(root, 'dist', 'installers'), version: undefined, allowUnsigned: false, updateSamples: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--binaries') o.binaries = resolve(value());
    else if (a === '--out') o.out = resolve(value());
    else if (a === '--version') o.version = value();
    else if (a === '--allow-unsigned') o.allowUnsigned = true;
    else if (a === '--update-samples') o.updateSamples = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function bsdtar(args, opts = {}) {
  return execFileSync('bsdtar', args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

export async function buildMacosPkg(options) {
  const o = { ...parseArgs([]), ...options };
  const m = await loadTs('src/ship/pkg/macos-build.ts', 'macos-build');
  const version = o.version ?? JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  if (!/^[0-9A-Za-z.+-]+$/.test(version)) throw new Error(`version ${JSON.stringify(version)} is not usable in a file name`);
  const mtime = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) : Math.floor(Date.now() / 1000);

  const binaries = {};
  const cdhashes = [];
  for (const arch of m.ARCHES) {
    const file = join(o.binaries, `ccfleet-darwin-${arch}`);
    if (!existsSync(file)) throw new Error(`${file} is missing (npm run build:exe builds it)`);
    const bin = readFileSync(file);
    binaries[arch] = bin;
    let report;
    try {
      report = m.verifyAdhoc(bin);
    } catch (e) {
      if (!(e instanceof m.MachoError) || !o.allowUnsigned) throw new Error(`${file}: ${e.message}`);
      console.error(`macos: ${file} is not a Mach-O file (allowed by --allow-unsigned); no cdhash profile`);
      continue;
    }
    if (!report.ok) {
      const problems = report.slices.flatMap((s) => s.problems.map((p) => `${s.arch}: ${p.code} ${p.message}`));
      if (!o.allowUnsigned) throw new Error(`${file} is not validly ad-hoc signed: ${problems.join('; ')}`);
      console.error(`macos: ${file} is not validly ad-hoc signed (allowed by --allow-unsigned)`);
      continue;
    }
    for (const s of report.slices) {
      for (const cd of s.codeDirectories) {
        // The identifier-based Full Disk Access profile matches only this signing identifier.
        if (cd.identifier !== m.SIGNING_IDENTIFIER) throw new Error(`${file} is signed as ${JSON.stringify(cd.identifier)}, not ${m.SIGNING_IDENTIFIER}`);
        cdhashes.push(cd.cdhash);
      }
    }
  }

  const product = m.productFiles({
    version,
    mtime,
    binaries,
    launchdPlist: m.launchdPlist(),
    uninstallScript: readFileSync(join(here, 'uninstall.sh'), 'utf8'),
    preinstall: readFileSync(join(here, 'scripts', 'preinstall'), 'utf8'),
    postinstall: readFileSync(join(here, 'scripts', 'postinstall'), 'utf8'),
  });

  mkdirSync(o.out, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'ccfleet-macos-pkg-'));
  const pkgPath = join(o.out, `ccfleet-${version}.pkg`);
  try {
    const comp = join(stage, m.COMPONENT_NAME);
    mkdirSync(comp, { mode: 0o755 });
    const names = Object.keys(product.files).sort();
    for (const name of names) {
      const p = join(stage, name);
      writeFileSync(p, product.files[name], { mode: 0o644 });
      chmodSync(p, 0o644);
      utimesSync(p, mtime, mtime);
    }
    utimesSync(comp, mtime, mtime);
    const tmp = `${pkgPath}.tmp-${process.pid}`;
    // Explicit list without recursion: a fixed order (Distribution first, as productbuild writes it).
    const list = ['Distribution', m.COMPONENT_NAME, ...names.filter((n) => n.startsWith(`${m.COMPONENT_NAME}/`))];
    bsdtar(['--format', 'xar', '--options', 'xar:compression=none,xar:toc-checksum=sha1', '--uid', '0', '--gid', '0', '--uname', 'root', '--gname', 'wheel', '-n', '-cf', tmp, '-C', stage, ...list]);
    renameSync(tmp, pkgPath);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }

  // Read the package back: the listing, then the Bom against the Payload.
  const listing = bsdtar(['-tf', pkgPath], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const want of ['Distribution', `${m.COMPONENT_NAME}/PackageInfo`, `${m.COMPONENT_NAME}/Bom`, `${m.COMPONENT_NAME}/Payload`, `${m.COMPONENT_NAME}/Scripts`]) {
    if (!listing.includes(want)) throw new Error(`${pkgPath}: ${want} missing from the xar (${listing.join(', ')})`);
  }
  const bom = m.readBom(bsdtar(['-xOf', pkgPath, `${m.COMPONENT_NAME}/Bom`], { maxBuffer: 1 << 26 }));
  const payload = m.readCpioOdc(gunzipSync(bsdtar(['-xOf', pkgPath, `${m.COMPONENT_NAME}/Payload`], { maxBuffer: 1 << 30 })));
  const bomPaths = bom.entries.map((e) => e.path).sort().join('\n');
  const payloadPaths = payload.map((e) => e.path).sort().join('\n');
  if (bomPaths !== payloadPaths) throw new Error(`${pkgPath}: Bom and Payload list different paths`);

  const profileDir = join(o.out, 'macos-profiles');
  mkdirSync(profileDir, { recursive: true });
  const profiles = m.buildProfiles(cdhashes);
  for (const [name, text] of Object.entries(profiles)) writeFileSync(join(profileDir, name), text, { mode: 0o644 });
  if (cdhashes.length === 0) rmSync(join(profileDir, 'ccfleet-full-disk-access-cdhash.mobileconfig'), { force: true });
  const uninstall = join(o.out, 'ccfleet-macos-uninstall.sh');
  writeFileSync(uninstall, readFileSync(join(here, 'uninstall.sh')), { mode: 0o755 });
  chmodSync(uninstall, 0o755);
  if (o.updateSamples) {
    for (const [name, text] of Object.entries(m.committedProfiles())) writeFileSync(join(here, 'profiles', name), text);
  }

  const bytes = readFileSync(pkgPath);
  const result = {
    pkg: pkgPath,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    payloadEntries: payload.length,
    cdhashes,
    profiles: Object.keys(profiles).map((n) => join(profileDir, n)),
  };
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const r = await buildMacosPkg(parseArgs(process.argv.slice(2)));
    console.log(JSON.stringify(r));
  } catch (e) {
    console.error(`macos: ${e.message}`);
    process.exit(1);
  }
}
