// npm run bench — prints one JSON document. Runs the built CLI on a synthetic machine of 50 users × 200
// projects (≈ 20,000 settings files, ~10% drifted): cold check, cold repair, warm check; wall time,
// files/s, peak RSS. The baseline in the same run: a bare node process that only reads and JSON.parses
// every one of those files (the floor any reconcile pays), and a bare `node -e 0` start-up.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildMachine } from './synthetic-machine.mjs';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const bin = path.join(repo, 'dist', 'ccfleet.cjs');
const hook = path.join(repo, 'bench', 'rss-hook.cjs');
const users = Number(process.env.BENCH_USERS ?? 50);
const projects = Number(process.env.BENCH_PROJECTS ?? 200);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-'));
const policyFile = path.join(root, 'policy.json');
fs.writeFileSync(policyFile, JSON.stringify({
  id: 'bench', version: 1, removeKeys: ['model', 'env.ANTHROPIC_MODEL'], enforceIn: 'managed',
  env: { ANTHROPIC_BASE_URL: 'https://gw.example/anthropic', ANTHROPIC_AUTH_TOKEN: 'sk-bf-bench', ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model', ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model' },
}));
const t0 = performance.now();
const machine = buildMachine(root, { users, projects });
const buildMs = performance.now() - t0;

function timed(label, args) {
  const out = path.join(root, `rss-${label}.json`);
  const start = performance.now();
  const r = spawnSync(process.execPath, ['--require', hook, ...args], { encoding: 'utf8', env: { ...process.env, CCFLEET_BENCH_OUT: out }, maxBuffer: 1 << 30 });
  const wallMs = performance.now() - start;
  const usage = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : {};
  return { label, exit: r.status, wallMs: round(wallMs), peakRssMiB: round((usage.maxRssKiB ?? 0) / 1024), cpuMs: round((usage.userMs ?? 0) + (usage.systemMs ?? 0)), stdout: r.stdout, stderr: r.stderr };
}
const round = (n) => Math.round(n * 10) / 10;
const cli = (cmd) => [bin, cmd, '--root', root, '--platform', 'linux', '--policy', policyFile, '--state-dir', path.join(root, 'state'), '--json'];

const floorScript = `const fs=require('fs'),p=require('path');let n=0;for(const u of fs.readdirSync(${JSON.stringify(path.join(root, 'home'))})){const h=p.join(${JSON.stringify(path.join(root, 'home'))},u);JSON.parse(fs.readFileSync(p.join(h,'.claude','settings.json'),'utf8'));const pj=JSON.parse(fs.readFileSync(p.join(h,'.claude.json'),'utf8')).projects;for(const k of Object.keys(pj)){for(const f of ['settings.json','settings.local.json']){try{JSON.parse(fs.readFileSync(p.join(h,k.split('/').slice(3).join('/'),'.claude',f),'utf8'));n++}catch{}}}}if(!n)process.exit(3)`;
const startup = timed('node-startup', ['-e', '0']);
const floor = timed('baseline-read-parse', ['-e', floorScript]);
const coldCheck = timed('cold-check', cli('check'));
const coldRepair = timed('cold-repair', cli('repair'));
const warmCheck = timed('warm-check', cli('check'));
const warmRepair = timed('warm-repair (nothing to do)', cli('repair'));

// In one process, as the daemon runs: pass 1 reads everything, later passes reuse unchanged files' texts.
const { build } = await import('esbuild');
const { createRequire } = await import('node:module');
fs.mkdirSync(path.join(repo, '.cache'), { recursive: true });
const entryOut = path.join(fs.mkdtempSync(path.join(repo, '.cache', 'bench-')), 'in-process.cjs');
await build({ entryPoints: [path.join(repo, 'bench/in-process-entry.ts')], outfile: entryOut, bundle: true, platform: 'node', format: 'cjs', target: 'node22', mainFields: ['module', 'main'], logLevel: 'error' });
const inProcess = await createRequire(import.meta.url)(entryOut).passes(root, policyFile, 4);
fs.rmSync(path.dirname(entryOut), { recursive: true, force: true });

const summary = (r) => {
  let files = null;
  let repaired = null;
  let compliant = null;
  try {
    const j = JSON.parse(r.stdout);
    files = j.files.length;
    repaired = j.summary.repaired;
    compliant = j.compliant;
  } catch {
    /* not JSON */
  }
  return { exit: r.exit, wallMs: r.wallMs, cpuMs: r.cpuMs, peakRssMiB: r.peakRssMiB, files, repaired, compliant, filesPerSecond: files ? Math.round(files / (r.wallMs / 1000)) : null, ...(r.exit !== 0 && r.exit !== 1 ? { stderr: r.stderr.slice(0, 500) } : {}) };
};
const result = {
  bench: 'reconcile-synthetic-machine',
  node: process.version,
  cpus: os.cpus().length,
  machine: { users, projectsPerUser: projects, settingsFiles: machine.files, drifted: machine.drifted, buildMs: round(buildMs) },
  baseline: { nodeStartup: summary(startup), readAndParseEveryFile: summary(floor) },
  runs: { coldCheck: summary(coldCheck), coldRepair: summary(coldRepair), warmCheck: summary(warmCheck), warmRepair: summary(warmRepair) },
  daemonPasses: { note: 'full check passes in one long-running process (pass 1 cold, later passes with the inspect cache)', passes: inProcess },
  goals: { coldReconcileMs: 2000, warmReconcileMs: 500 },
};
result.verdict = {
  coldRepairWithinGoal: coldRepair.wallMs <= 2000,
  warmCheckWithinGoal: warmCheck.wallMs <= 500,
  warmDaemonPassWithinGoal: Math.min(...inProcess.slice(1).map((p) => p.ms)) <= 500,
  overheadOverFloorMs: round(warmCheck.wallMs - floor.wallMs),
  repairedAsExpected: result.runs.coldRepair.repaired !== null && result.runs.warmRepair.repaired === 0 && coldRepair.exit === 0 && warmCheck.exit === 0,
};
fs.rmSync(root, { recursive: true, force: true });
console.log(JSON.stringify(result, null, 2));
