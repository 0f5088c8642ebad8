// The Linux installers: .deb and .rpm for x86_64 and aarch64, and a tar.gz with install.sh per target.
//
//   node installers/linux/build.mjs [--bin-dir dist] [--out dist/installers] [--arch x64,arm64] [--formats deb,rpm,tar]
//
// Packages dist/ccfleet-linux-x64 and dist/ccfleet-linux-arm64 (npm run build:exe); a missing one is
// built first with scripts/build-exe.mjs --targets linux-<arch>. Needs dpkg-deb, rpmbuild and GNU tar
// (Debian: apt-get install dpkg rpm tar). Outputs, version from package.json:
//   ccfleet_<v>_amd64.deb  ccfleet_<v>_arm64.deb  ccfleet-<v>-1.x86_64.rpm  ccfleet-<v>-1.aarch64.rpm
//   ccfleet-<v>-linux-x64.tar.gz  ccfleet-<v>-linux-arm64.tar.gz
// The logic lives in src/ship/linux/ (typechecked and tested); this file only parses arguments.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTs } from '../../scripts/ship/load-ts.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function parseArgs(argv) {
  const o = { binDir: join(root, 'dist'), out: join(root, 'dist', 'installers'), arches: ['x64', 'arm64'], formats: ['deb', 'rpm', 'tar'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--bin-dir') o.binDir = resolve(value());
    else if (a === '--out') o.out = resolve(value());
    else if (a === '--arch') o.arches = value().split(',');
    else if (a === '--formats') o.formats = value().split(',');
    else throw new Error(`unknown argument ${a}`);
  }
  for (const x of o.arches) if (!['x64', 'arm64'].includes(x)) throw new Error(`--arch: ${x} is not x64 or arm64`);
  for (const f of o.formats) if (!['deb', 'rpm', 'tar'].includes(f)) throw new Error(`--formats: ${f} is not deb, rpm or tar`);
  return o;
}

try {
  const o = parseArgs(process.argv.slice(2));
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const binaries = Object.fromEntries(o.arches.map((a) => [a, join(o.binDir, `ccfleet-linux-${a}`)]));
  const missing = o.arches.filter((a) => !existsSync(binaries[a]));
  if (missing.length) {
    const buildExe = join(root, 'scripts', 'build-exe.mjs');
    if (!existsSync(buildExe)) throw new Error(`missing ${missing.map((a) => binaries[a]).join(', ')} and no scripts/build-exe.mjs to build them`);
    console.log(`building ${missing.map((a) => `linux-${a}`).join(', ')} first`);
    execFileSync(process.execPath, [buildExe, '--targets', missing.map((a) => `linux-${a}`).join(','), '--out', o.binDir], { stdio: 'inherit' });
  }
  const { buildLinuxPackages } = await loadTs('src/ship/linux/build-packages.ts', 'linux-packages');
  buildLinuxPackages({ version, binaries, outDir: o.out, formats: o.formats, log: (l) => console.log(l) });
} catch (e) {
  console.error(`installers/linux/build.mjs: ${e.message}`);
  process.exit(1);
}
