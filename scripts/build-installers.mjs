// npm run build:installers — every installer, from the single executables:
//
//   node scripts/build-installers.mjs [--only linux,macos,windows] [--rebuild-exe]
//
// 1. builds the executables that are missing from dist/ (scripts/build-exe.mjs --targets <missing>;
//    all of them with --rebuild-exe);
// 2. runs each platform's builder that exists — installers/linux/build.mjs, installers/macos/build.mjs,
//    installers/windows/build.mjs — with its defaults (binaries from dist/, output in dist/installers/);
// 3. prints what was written under dist/installers/ (path and size). Exit 1 when any step failed (the
//    other builders still run).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = join(root, 'dist');
const outDir = join(dist, 'installers');
const EXECUTABLES = ['ccfleet-linux-x64', 'ccfleet-linux-arm64', 'ccfleet-darwin-x64', 'ccfleet-darwin-arm64', 'ccfleet-windows-x64.exe'];
const PLATFORMS = ['linux', 'macos', 'windows'];

function parseArgs(argv) {
  const o = { only: PLATFORMS, rebuildExe: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rebuild-exe') o.rebuildExe = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      o.only = (v ?? '').split(',').filter(Boolean);
      const bad = o.only.filter((p) => !PLATFORMS.includes(p));
      if (bad.length || o.only.length === 0) throw new Error(`--only takes a list of ${PLATFORMS.join(', ')}`);
    } else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/build-installers.mjs [--only linux,macos,windows] [--rebuild-exe]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function step(what, cmd, args) {
  console.log(`\n== ${what}`);
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  const ok = r.status === 0;
  const seconds = (performance.now() - t0) / 1000;
  console.log(`== ${what}: ${ok ? 'done' : `FAILED (exit ${r.status ?? r.signal})`} in ${seconds.toFixed(1)} s`);
  return { what, ok, seconds };
}

/** Every file under dir (recursively) with its size and mtime. */
function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .map((f) => ({ file: f, ...(({ size, mtimeMs }) => ({ size, mtimeMs }))(statSync(f)) }));
}

const size = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);

function main() {
  const o = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const steps = [];
  const missing = o.rebuildExe ? EXECUTABLES : EXECUTABLES.filter((f) => !existsSync(join(dist, f)));
  if (missing.length > 0) {
    const targets = missing.map((f) => f.replace(/^ccfleet-/, '').replace(/\.exe$/, '')).join(',');
    steps.push(step(`executables (${targets})`, process.execPath, [join(root, 'scripts', 'build-exe.mjs'), '--targets', targets]));
  } else {
    console.log('executables: all five present in dist/ (--rebuild-exe to rebuild)');
  }
  for (const p of o.only) {
    const builder = join(root, 'installers', p, 'build.mjs');
    if (!existsSync(builder)) {
      console.log(`\n== ${p}: no ${relative(root, builder)} — skipped`);
      steps.push({ what: p, ok: true, skipped: true, seconds: 0 });
      continue;
    }
    steps.push(step(`${p} installer`, process.execPath, [builder]));
  }

  const written = files(outDir).filter((f) => f.mtimeMs >= started - 1000).sort((a, b) => (a.file < b.file ? -1 : 1));
  console.log(`\nWritten under ${relative(root, outDir) || outDir}/ (${written.length} file(s)):`);
  for (const f of written) console.log(`  ${size(f.size).padStart(9)}  ${relative(root, f.file)}`);
  console.log('\nSteps:');
  for (const s of steps) console.log(`  ${s.skipped ? 'skipped' : s.ok ? 'ok     ' : 'FAILED '}  ${s.what}${s.skipped ? '' : ` (${s.seconds.toFixed(1)} s)`}`);
  if (steps.some((s) => !s.ok)) process.exit(1);
}

try {
  main();
} catch (e) {
  console.error(`build-installers: ${e?.message ?? e}`);
  process.exit(1);
}
