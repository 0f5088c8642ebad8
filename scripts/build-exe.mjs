// npm run build:exe — the single executables (Node SEA), one per target, from one SEA blob:
//
//   node scripts/build-exe.mjs [--targets linux-x64,darwin-arm64] [--no-bundle] [--out <dir>] [--v8-flags <a,b>|none]
//
// 1. `npm run build` → dist/ccfleet.cjs (skipped with --no-bundle: the existing bundle is used);
// 2. the SEA blob, made once with Node 22.23.2 itself (the host's official binary) — code cache and
//    snapshot off, so the same blob serves every target;
// 3. per target: copy the official Node binary (scripts/sea/fetch-node.mjs), strip a Linux one BEFORE
//    injecting (after injection it segfaults), drop Node's Authenticode signature from the Windows one,
//    inject with postject, ad-hoc sign a Mach-O (src/ship/macho/adhoc-sign.ts; arm64 macOS kills an
//    unsigned binary), optionally Authenticode-sign the Windows one (osslsigncode; see
//    src/ship/sea/win-sign.ts for the environment), rename into place;
// 4. dist/SHA256SUMS over every executable in the output folder.
// Outputs: dist/ccfleet-linux-x64, -linux-arm64, -darwin-x64, -darwin-arm64, -windows-x64.exe.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, NODE_VERSION } from './sea/fetch-node.mjs';
import { loadTs } from './ship/load-ts.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const sea = await loadTs('src/ship/sea/index.ts', 'sea');

function parseArgs(argv) {
  const o = { targets: undefined, bundle: true, out: join(root, 'dist'), v8Flags: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--targets' || a.startsWith('--targets=')) o.targets = value();
    else if (a === '--no-bundle') o.bundle = false;
    else if (a === '--out' || a.startsWith('--out=')) o.out = resolve(value());
    else if (a === '--v8-flags' || a.startsWith('--v8-flags=')) {
      const v = value();
      o.v8Flags = v === 'none' || v === '' ? [] : v.split(',');
    } else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/build-exe.mjs [--targets linux-x64,linux-arm64,darwin-x64,darwin-arm64,windows-x64] [--no-bundle] [--out <dir>] [--v8-flags <a,b>|none]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v "$1" >/dev/null 2>&1`, 'sh', cmd]).status === 0;
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const warnings = [];
function warn(msg) {
  warnings.push(msg);
  console.error(`\n!!! WARNING: ${msg}\n`);
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} exit ${r.status ?? r.signal}):\n${(r.stderr || r.stdout || r.error?.message || '').slice(-4000)}`);
  return r;
}

/** Node 22.23.2 for this machine: the host's official binary (the blob format is Node's own). */
async function blobNode() {
  const host = sea.hostTarget(process.platform, process.arch);
  if (host) return nodeBinary(host.node);
  if (process.version === `v${NODE_VERSION}`) return process.execPath;
  throw new Error(`cannot make the SEA blob on ${process.platform}-${process.arch}: run with Node ${NODE_VERSION}`);
}

async function makeBlob(v8Flags) {
  const dir = join(root, '.cache', 'sea');
  mkdirSync(dir, { recursive: true });
  const blob = join(dir, 'ccfleet.blob');
  const config = join(dir, 'sea-config.json');
  writeFileSync(config, `${JSON.stringify(sea.seaConfig(join(root, 'dist', 'ccfleet.cjs'), blob, v8Flags), null, 2)}\n`);
  run(await blobNode(), ['--experimental-sea-config', config], 'making the SEA blob');
  return blob;
}

async function signMacho(file) {
  const src = join(root, 'src', 'ship', 'macho', 'adhoc-sign.ts');
  if (!existsSync(src)) {
    warn(`${file}: NOT SIGNED — src/ship/macho/adhoc-sign.ts does not exist; macOS arm64 will refuse to run it`);
    return 'UNSIGNED';
  }
  try {
    const { adhocSign, verifyAdhoc } = await loadTs(src, 'adhoc-sign');
    const signed = adhocSign(new Uint8Array(readFileSync(file)), 'com.ccfleet.agent');
    const report = verifyAdhoc(signed);
    if (report && report.ok === false) throw new Error(`verifyAdhoc rejects the result: ${JSON.stringify(report).slice(0, 500)}`);
    writeFileSync(file, signed);
    return 'ad-hoc signed';
  } catch (e) {
    warn(`${file}: NOT SIGNED — ad-hoc signing failed: ${e?.message ?? e}; macOS arm64 will refuse to run it`);
    return 'UNSIGNED';
  }
}

function signWindows(file, creds) {
  if (!has('osslsigncode')) throw new Error('Authenticode signing requested (CCFLEET_WIN_*) but osslsigncode is not installed (apt-get install osslsigncode)');
  const tmpDir = mkdtempSync(join(root, '.cache', 'winsign-'));
  try {
    let passFile;
    if (creds.pass !== undefined) {
      passFile = join(tmpDir, 'pass');
      writeFileSync(passFile, creds.pass, { mode: 0o600 });
    }
    const signing = creds.pfx ? { kind: 'pfx', pfx: creds.pfx, passFile, timestampUrl: creds.timestampUrl } : { kind: 'pem', cert: creds.cert, key: creds.key, passFile, timestampUrl: creds.timestampUrl };
    const out = join(tmpDir, 'signed.exe');
    run('osslsigncode', sea.osslsigncodeSignArgs(signing, file, out), 'Authenticode signing');
    renameSync(out, file);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return 'Authenticode signed';
}

async function buildTarget(t, blob, outDir, winCreds) {
  const t0 = performance.now();
  const final = join(outDir, t.file);
  const tmp = join(outDir, `.${t.file}.tmp-${process.pid}`);
  const notes = [];
  try {
    copyFileSync(await nodeBinary(t.node), tmp);
    chmodSync(tmp, 0o755);
    if (t.format === 'elf') {
      const strip = sea.stripCommand(t.arch, process.arch, has);
      if (strip) {
        run(strip.command, [...strip.args, tmp], `stripping ${t.file}`);
        notes.push(`stripped (${strip.command})`);
      } else {
        warn(`${t.file}: not stripped — no strip for ${t.arch} ELF here (apt-get install binutils-${t.arch === 'arm64' ? 'aarch64' : 'x86-64'}-linux-gnu or llvm)`);
        notes.push('not stripped');
      }
    }
    if (t.format === 'pe') {
      // Node's own Authenticode signature no longer matches once the blob is in: remove it.
      if (has('osslsigncode')) {
        const bare = `${tmp}.bare`;
        run('osslsigncode', ['remove-signature', '-in', tmp, '-out', bare], `removing Node's signature from ${t.file}`);
        renameSync(bare, tmp);
      } else {
        warn(`${t.file}: Node's (now invalid) Authenticode signature left in place — osslsigncode is not installed`);
      }
    }
    const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
    const macho = t.format === 'macho' ? ['--macho-segment-name', sea.SEA_MACHO_SEGMENT] : [];
    run(process.execPath, [postject, tmp, sea.SEA_RESOURCE, blob, '--sentinel-fuse', sea.SEA_FUSE, ...macho], `injecting into ${t.file}`);
    if (t.format === 'macho') notes.push(await signMacho(tmp));
    if (t.format === 'pe' && winCreds) notes.push(signWindows(tmp, winCreds));
    chmodSync(tmp, 0o755);
    renameSync(tmp, final);
  } finally {
    rmSync(tmp, { force: true });
  }
  return { target: t.name, file: final, bytes: statSync(final).size, seconds: (performance.now() - t0) / 1000, notes };
}

function writeSums(outDir) {
  const entries = sea.SHIP_TARGETS.map((t) => t.file)
    .filter((name) => existsSync(join(outDir, name)))
    .map((name) => ({ name, sha256: createHash('sha256').update(readFileSync(join(outDir, name))).digest('hex') }));
  writeFileSync(join(outDir, 'SHA256SUMS'), sea.sha256sumsText(entries));
  return entries.length;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const targets = sea.parseTargets(o.targets);
  const winCreds = targets.some((t) => t.format === 'pe') ? sea.winSigningEnv(process.env) : null;
  if (o.bundle) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  }
  if (!existsSync(join(root, 'dist', 'ccfleet.cjs'))) throw new Error('dist/ccfleet.cjs is missing: run npm run build');
  mkdirSync(o.out, { recursive: true });
  const blob = await makeBlob(o.v8Flags ?? sea.V8_FLAGS);
  console.log(`SEA blob ${mb(statSync(blob).size)} (Node ${NODE_VERSION}; V8 flags: ${(o.v8Flags ?? sea.V8_FLAGS).join(' ') || 'none'})`);
  const built = [];
  for (const t of targets) {
    const r = await buildTarget(t, blob, o.out, winCreds);
    built.push(r);
    console.log(`${r.file}  ${mb(r.bytes)}  ${r.seconds.toFixed(1)} s  ${r.notes.join(', ')}`);
  }
  const n = writeSums(o.out);
  console.log(`${join(o.out, 'SHA256SUMS')}  (${n} executables)`);
  if (warnings.length) console.error(`\n${warnings.length} warning(s):\n${warnings.map((w) => `  - ${w}`).join('\n')}`);
}

main().catch((e) => {
  console.error(`build-exe: ${e?.message ?? e}`);
  process.exit(1);
});
