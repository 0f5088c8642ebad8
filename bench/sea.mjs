// The single executables (npm run build:exe first): size, start-up and idle memory; prints JSON.
//
//   node bench/sea.mjs [--runs 10] [--idle-seconds 30] [--users 10] [--projects 20] [--no-variants] [--idle-only] [--variant "<v8 flags>" ...]
//
// - size of every dist/ccfleet-* executable;
// - start-up: `--version` wall time, median of --runs, for each runnable target — linux-x64 natively,
//   linux-arm64 under qemu-aarch64-static, windows-x64 under wine — each next to the bare official Node
//   binary's `node --version` run the same way in the same run (the floor: what Node itself costs), and
//   `node dist/ccfleet.cjs --version` natively (the bundle without SEA);
// - idle RSS: `ccfleet daemon` watching a synthetic fixture root (bench/synthetic-machine.mjs), started,
//   settled 5 s, then left alone for --idle-seconds; VmRSS and RssAnon sampled each second (median, max, the
//   last), VmHWM, and CPU over the window.
//   The shipped linux-x64 executable against variants built here with other SEA execArgv (V8 flags) —
//   none, and --optimize-for-size on top by default (--variant) — all side by side on copies of one root.
//   Native x64 only: under qemu or wine the RSS is the emulator's.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMachine } from './synthetic-machine.mjs';
import { nodeBinary } from '../scripts/sea/fetch-node.mjs';
import { loadTs } from '../scripts/ship/load-ts.mjs';

const repo = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = path.join(repo, 'dist');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RUNS = opt('runs', 10);
const IDLE_S = opt('idle-seconds', 30);
const USERS = opt('users', 10);
const PROJECTS = opt('projects', 20);
const VARIANTS = !args.includes('--no-variants');
const SHIPPED_FLAGS = [...(await loadTs('src/ship/sea/sea-config.ts', 'sea-config')).V8_FLAGS];
const IDLE_ONLY = args.includes('--idle-only');
// --variant "<flag> <flag>" (repeatable; "" for none): the SEA execArgv variants built and compared.
const VARIANT_FLAGS = args.flatMap((a, i) => (a === '--variant' ? [args[i + 1].split(' ').filter(Boolean)] : []));
if (VARIANT_FLAGS.length === 0) VARIANT_FLAGS.push([], ['--max-semi-space-size=1', '--optimize-for-size']);

const has = (cmd) => spawnSync('sh', ['-c', 'command -v "$1" >/dev/null 2>&1', 'sh', cmd]).status === 0;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r1 = (n) => Math.round(n * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (s) => process.stderr.write(`${s}\n`);

/** Median wall ms of `cmd args` over RUNS runs (one warm-up run first); checks the output. */
function startup(cmd, cmdArgs, expect, o = {}) {
  const once = () => {
    const t0 = performance.now();
    const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', env: o.env ?? process.env, cwd: o.cwd, stdio: ['ignore', o.outFile ? fs.openSync(o.outFile, 'w') : 'pipe', 'pipe'] });
    const ms = performance.now() - t0;
    const out = o.outFile ? fs.readFileSync(o.outFile, 'utf8') : r.stdout;
    if (r.status !== 0 || !expect.test(out)) throw new Error(`${cmd} ${cmdArgs.join(' ')}: exit ${r.status}, stdout ${JSON.stringify(out)}, stderr ${r.stderr.slice(-500)}`);
    return ms;
  };
  once();
  const times = Array.from({ length: RUNS }, once);
  return { medianMs: r1(median(times)), minMs: r1(Math.min(...times)), maxMs: r1(Math.max(...times)), runs: RUNS };
}

function sizes() {
  const out = {};
  for (const f of fs.readdirSync(dist).filter((n) => /^ccfleet-(linux|darwin|windows)-(x64|arm64)(\.exe)?$/.test(n)).sort()) {
    out[f] = { bytes: fs.statSync(path.join(dist, f)).size, MB: r1(fs.statSync(path.join(dist, f)).size / 1e6) };
  }
  return out;
}

async function startups() {
  const out = {};
  const x64 = path.join(dist, 'ccfleet-linux-x64');
  const version = /^ccfleet \d/;
  const nodeVersion = /^v22\./;
  if (process.platform === 'linux' && process.arch === 'x64') {
    log('start-up: linux-x64');
    out['node --version (floor, linux-x64)'] = startup(await nodeBinary('linux-x64'), ['--version'], nodeVersion);
    if (fs.existsSync(path.join(dist, 'ccfleet.cjs'))) out['node dist/ccfleet.cjs --version'] = startup(await nodeBinary('linux-x64'), [path.join(dist, 'ccfleet.cjs'), '--version'], version);
    if (fs.existsSync(x64)) out['ccfleet-linux-x64 --version'] = startup(x64, ['--version'], version);
    const arm = path.join(dist, 'ccfleet-linux-arm64');
    if (has('qemu-aarch64-static') && fs.existsSync(arm) && fs.existsSync('/usr/aarch64-linux-gnu/lib')) {
      log('start-up: linux-arm64 under qemu');
      const q = (bin, a) => ['-L', '/usr/aarch64-linux-gnu', bin, ...a];
      out['node --version (floor, linux-arm64 under qemu)'] = startup('qemu-aarch64-static', q(await nodeBinary('linux-arm64'), ['--version']), nodeVersion);
      out['ccfleet-linux-arm64 --version (qemu)'] = startup('qemu-aarch64-static', q(arm, ['--version']), version);
    }
    const win = path.join(dist, 'ccfleet-windows-x64.exe');
    const wine = ['wine64', 'wine'].find(has);
    if (wine && fs.existsSync(win)) {
      log('start-up: windows-x64 under wine');
      const env = { ...process.env, WINEDEBUG: '-all', WINEPREFIX: wineprefix() };
      const outFile = path.join(os.tmpdir(), `ccfleet-bench-wine-${process.pid}.out`);
      out['node --version (floor, windows-x64 under wine)'] = startup(wine, [await nodeBinary('win-x64'), '--version'], nodeVersion, { env, outFile });
      out['ccfleet-windows-x64.exe --version (wine)'] = startup(wine, [win, '--version'], version, { env, outFile });
      fs.rmSync(outFile, { force: true });
    }
  }
  return out;
}

/** A wine prefix of our own, told it is Windows 10 (Node refuses the default Windows 7). */
function wineprefix() {
  const dir = path.join(repo, '.cache', 'wine');
  const wine = ['wine64', 'wine'].find(has);
  if (!fs.existsSync(path.join(dir, 'system.reg'))) {
    spawnSync(wine, ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], { env: { ...process.env, WINEPREFIX: dir, WINEDEBUG: '-all' }, stdio: 'ignore' });
  }
  return dir;
}

function buildVariant(name, flags) {
  const out = path.join(repo, '.cache', 'sea-bench', name);
  log(`building variant ${name} (execArgv: ${flags.join(' ') || 'none'})`);
  const r = spawnSync(process.execPath, [path.join(repo, 'scripts', 'build-exe.mjs'), '--no-bundle', '--targets', 'linux-x64', '--out', out, '--v8-flags', flags.join(',') || 'none'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`variant ${name}: ${r.stderr.slice(-2000)}`);
  return path.join(out, 'ccfleet-linux-x64');
}

function status(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // RssAnon is the process's own memory; the rest of VmRSS is mostly clean pages of the 110 MB executable,
  // shared with the page cache (and more of them mapped when more of the file happens to be cached).
  return { rssKiB: kb('VmRSS'), anonKiB: kb('RssAnon'), hwmKiB: kb('VmHWM'), cpuTicks: Number(f[11]) + Number(f[12]) };
}

async function idle() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { skipped: 'idle RSS is measured on native linux-x64 only' };
  const shipped = path.join(dist, 'ccfleet-linux-x64');
  if (!fs.existsSync(shipped)) return { skipped: 'dist/ccfleet-linux-x64 missing: npm run build:exe' };
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-sea-'));
  const policy = path.join(base, 'policy.jsonc');
  fs.writeFileSync(policy, JSON.stringify({ id: 'bench', version: 1, env: { ANTHROPIC_BASE_URL: 'https://gw.example.com/anthropic' }, removeKeys: ['model', 'env.ANTHROPIC_MODEL'] }));
  // dist/ccfleet-linux-x64 as built; the variants are built here from the current dist/ccfleet.cjs, the
  // shipped flags among them, so that they differ from each other in their flags only.
  const exes = [{ name: `dist/ccfleet-linux-x64 (built ${fs.statSync(shipped).mtime.toISOString()})`, bin: shipped }];
  if (VARIANTS) {
    exes.push({ name: `execArgv ${SHIPPED_FLAGS.join(' ') || 'none'} (shipped flags)`, bin: buildVariant('shipped-flags', SHIPPED_FLAGS) });
    for (const [i, flags] of VARIANT_FLAGS.entries()) exes.push({ name: `execArgv ${flags.join(' ') || 'none'}`, bin: buildVariant(`v${i}`, flags) });
  }
  exes.push({ name: 'node dist/ccfleet.cjs (no SEA, no flags)', bin: await nodeBinary('linux-x64'), pre: [path.join(dist, 'ccfleet.cjs')] });
  let machine;
  const procs = [];
  try {
    for (const [i, e] of exes.entries()) {
      const root = path.join(base, `root${i}`);
      machine = buildMachine(root, { users: USERS, projects: PROJECTS, driftRatio: 0.1 });
      const child = spawn(e.bin, [...(e.pre ?? []), 'daemon', '--root', root, '--platform', 'linux', '--policy', policy, '--state-dir', path.join(base, `state${i}`)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (s) => (err += s));
      const t0 = performance.now();
      for (;;) {
        if (/daemon started/.test(err)) break;
        if (child.exitCode !== null || performance.now() - t0 > 60_000) throw new Error(`${e.name}: no "daemon started": ${err.slice(-1000)}`);
        await sleep(20);
      }
      procs.push({ e, child, armMs: r1(performance.now() - t0) });
      log(`idle: ${e.name} armed in ${r1(performance.now() - t0)} ms`);
    }
    await sleep(5000);
    const before = procs.map((p) => status(p.child.pid));
    log(`idle: ${IDLE_S} s window`);
    // RSS sampled every second: V8's memory reducer may shrink a heap at any point of the window.
    const samples = procs.map(() => []);
    for (let s = 0; s < IDLE_S; s++) {
      await sleep(1000);
      procs.forEach((p, i) => samples[i].push(status(p.child.pid)));
    }
    const after = procs.map((p) => status(p.child.pid));
    const hz = 100;
    const rows = {};
    for (const [i, p] of procs.entries()) {
      rows[p.e.name] = {
        rssMiB: r1(after[i].rssKiB / 1024),
        rssMedianMiB: r1(median(samples[i].map((x) => x.rssKiB)) / 1024),
        rssMaxMiB: r1(Math.max(...samples[i].map((x) => x.rssKiB)) / 1024),
        anonMiB: r1(after[i].anonKiB / 1024),
        anonMedianMiB: r1(median(samples[i].map((x) => x.anonKiB)) / 1024),
        anonMaxMiB: r1(Math.max(...samples[i].map((x) => x.anonKiB)) / 1024),
        hwmMiB: r1(after[i].hwmKiB / 1024),
        cpuMsOverWindow: Math.round(((after[i].cpuTicks - before[i].cpuTicks) * 1000) / hz),
        armMs: p.armMs,
      };
    }
    return { fixture: { users: USERS, projects: PROJECTS, files: machine.files }, idleSeconds: IDLE_S, daemons: rows };
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r() : p.child.once('exit', r)))));
    fs.rmSync(base, { recursive: true, force: true });
  }
}

const result = { node: '22.23.2', host: `${process.platform}-${process.arch}`, cpus: os.cpus().length, sizes: sizes(), startup: IDLE_ONLY ? 'skipped (--idle-only)' : await startups(), idle: await idle() };
console.log(JSON.stringify(result, null, 2));
