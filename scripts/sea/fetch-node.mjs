// The official Node binaries the single executables are built from, fetched from the npm registry with
// `npm pack` (the only network the build may use) and checked against the sha512 integrity pinned in
// node-binaries.json before anything is unpacked.
//
//   nodeBinary(target) → absolute path of .cache/node-dist/<target>/<node|node.exe>
//
// Cached twice: the verified tarball in .cache/node-dist/tgz/ and the unpacked binary next to a stamp
// holding the integrity it came from, so a rerun (offline too) costs two stat calls. Every step writes to
// a temporary name and renames, so two builds racing for the same target both end with a whole binary.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const pins = JSON.parse(readFileSync(new URL('./node-binaries.json', import.meta.url), 'utf8'));

/** Node version every executable is built from. */
export const NODE_VERSION = pins.version;
/** linux-x64, linux-arm64, darwin-x64, darwin-arm64, win-x64. */
export const NODE_TARGETS = Object.keys(pins.targets);

const distDir = join(root, '.cache', 'node-dist');

/** The pinned entry for a target; throws on an unknown target. */
export function nodePin(target) {
  const pin = pins.targets[target];
  if (!pin) throw new Error(`unknown Node target "${target}" (known: ${NODE_TARGETS.join(', ')})`);
  return { ...pin, version: pins.version };
}

/** Absolute path of the unpacked Node binary for `target`, fetching and verifying it first if needed. */
export async function nodeBinary(target) {
  const pin = nodePin(target);
  const dir = join(distDir, target);
  const bin = join(dir, basename(pin.binary));
  const stamp = join(dir, '.integrity');
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === pin.integrity) return bin;

  const tgz = fetchTarball(pin);
  const tmp = mkdtempSync(join(distDir, `.${target}-`));
  try {
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, `package/${pin.binary}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    const unpacked = join(tmp, 'package', pin.binary);
    chmodSync(unpacked, 0o755);
    mkdirSync(dir, { recursive: true });
    renameSync(unpacked, bin);
    writeFileSync(join(tmp, 'stamp'), pin.integrity);
    renameSync(join(tmp, 'stamp'), stamp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

/** Path of the verified tarball, packing it from the registry when the cached one is absent or wrong. */
function fetchTarball(pin) {
  const tgzDir = join(distDir, 'tgz');
  mkdirSync(tgzDir, { recursive: true });
  const tgz = join(tgzDir, `${pin.package}-${pin.version}.tgz`);
  if (existsSync(tgz) && integrityOf(tgz) === pin.integrity) return tgz;

  const tmp = mkdtempSync(join(tgzDir, '.pack-'));
  try {
    const spec = `${pin.package}@${pin.version}`;
    const out = execFileSync('npm', ['pack', spec, '--pack-destination', tmp, '--json', '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      shell: process.platform === 'win32',
    });
    const packed = join(tmp, JSON.parse(out)[0].filename);
    const got = integrityOf(packed);
    if (got !== pin.integrity) {
      throw new Error(`${spec}: tarball integrity ${got} does not match the pinned ${pin.integrity} (scripts/sea/node-binaries.json)`);
    }
    renameSync(packed, tgz);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return tgz;
}

function integrityOf(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

// `node scripts/sea/fetch-node.mjs [target...]` fetches (all by default) and prints the paths.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const target of process.argv.length > 2 ? process.argv.slice(2) : NODE_TARGETS) {
    console.log(`${target}\t${await nodeBinary(target)}`);
  }
}
