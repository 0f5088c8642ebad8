// Soak test of `ccfleet daemon` (issue 4, "Done when"): a sandbox machine (Linux layout under a temp folder),
// the daemon running on it as a child process, and a seeded churn of everything a busy machine sees — people
// editing settings, `/model` rewrites, Claude Code rewriting `.claude.json`, new and deleted projects, new
// users, files with comments (left alone), half-written files, bursts that contest one file, the managed
// drop-in deleted or edited, and new policy versions — at several changes a second. At the end: quiet, then
// `ccfleet check` and the disk must show a compliant machine (scripts/churn/verify.mjs says exactly what that
// means), the log no `error` line and no secret, and SIGTERM must end the daemon with exit 0 within a second.
//
// Usage: npm run soak -- [--minutes 60] [--users 8] [--seed N] [--rate 5] [--keep]
//        node scripts/churn.mjs …   (after `npm run build`)
// Progress: one line a minute on stderr. Result: one JSON summary on stdout; exit 0 only if nothing failed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseJsonc } from 'jsonc-parser';
import { Churn } from './churn/actions.mjs';
import { childEnv, LogFollower, nodeBinary, procStats, spawnDaemon } from './churn/daemon-proc.mjs';
import { createRng } from './churn/rng.mjs';
import { AGENT_CONFIG, buildSandbox, POLICY_PATH } from './churn/sandbox.mjs';
import { leftoverTemps, verifyMachine } from './churn/verify.mjs';
import { World } from './churn/world.mjs';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const USAGE = 'usage: node scripts/churn.mjs [--minutes 60] [--users 8] [--seed N] [--rate 5] [--keep]';
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      minutes: { type: 'string', default: '60' },
      users: { type: 'string', default: '8' },
      seed: { type: 'string' },
      rate: { type: 'string', default: '5' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const minutes = Number(args.minutes);
const users = Number(args.users);
const rate = Number(args.rate);
const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
if (!(minutes > 0) || !Number.isInteger(users) || users < 1 || !(rate > 0) || !Number.isInteger(seed)) {
  console.error(USAGE);
  process.exit(2);
}
const bundle = path.join(repoRoot, JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).bin.ccfleet);
if (!fs.existsSync(bundle)) {
  console.error(`${path.relative(repoRoot, bundle)} is missing: run \`npm run build\` (or \`npm run soak\`)`);
  process.exit(2);
}
if (process.platform !== 'linux') {
  console.error('the soak reads /proc and builds a Linux sandbox: run it on Linux');
  process.exit(2);
}
if (process.getuid() !== 0) console.error('note: not root — the daemon then writes as this user, not through its uid-dropped writer');

const NODE = nodeBinary(repoRoot);
const durationMs = minutes * 60_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (line) => process.stderr.write(`${line}\n`);
const fmtTime = (ms) => `${String(Math.floor(ms / 60_000)).padStart(2)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// --- the sandbox -----------------------------------------------------------------------------------------------
const rng = createRng(seed);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-soak-'));
const world = new World(root);
const policyFile = world.host(POLICY_PATH);
const logFile = path.join(root, 'var', 'log', 'ccfleet', 'ccfleet.log');
const statusFile = path.join(root, 'var', 'lib', 'ccfleet', 'daemon', 'status.json');
const outFile = path.join(root, 'daemon.out');
const secrets = [];
let policy = buildSandbox(world, rng, { users, repoRoot });
secrets.push(policy.secret);
const policyWrites = [{ version: 1, at: Date.now() }];
log(`soak: ${minutes} min, ${users} users, seed ${seed}, ~${rate} changes/s — sandbox ${root}`);
log(`soak: agent config ${JSON.stringify(AGENT_CONFIG)}; node ${NODE}`);

// --- what the daemon says ----------------------------------------------------------------------------------------
const failures = [];
const fail = (m) => {
  failures.push(m);
  log(`FAIL: ${m}`);
};
const L = { lines: 0, byLevel: {}, repaired: 0, repairedAt: new Map(), contestedLines: 0, contestedFiles: new Set(), errors: [], warnings: {}, leaks: [], unparsed: [], applied: [], started: false, stopped: false };
const onLine = (line) => {
  L.lines++;
  for (const s of [...secrets, ...world.userSecrets]) if (line.includes(s)) L.leaks.push(line.slice(0, 300));
  let j;
  try {
    j = JSON.parse(line);
  } catch {
    if (L.unparsed.length < 10) L.unparsed.push(line.slice(0, 300));
    return;
  }
  L.byLevel[j.level] = (L.byLevel[j.level] ?? 0) + 1;
  if (j.level === 'error' && L.errors.length < 50) L.errors.push(line.slice(0, 600));
  if (j.level === 'warn') {
    const k = String(j.msg).slice(0, 80);
    L.warnings[k] = (L.warnings[k] ?? 0) + 1;
  }
  if (j.msg === 'repaired') {
    L.repaired++;
    const at = L.repairedAt.get(j.meta?.path) ?? [];
    at.push(Date.parse(j.timestamp));
    L.repairedAt.set(j.meta?.path, at);
  }
  if (String(j.msg).startsWith('contested')) {
    L.contestedLines++;
    if (j.meta?.path) L.contestedFiles.add(j.meta.path);
  }
  if (j.msg === 'policy applied') L.applied.push({ version: j.meta?.version, at: Date.parse(j.timestamp) });
  if (j.msg === 'daemon started') L.started = true;
  if (j.msg === 'daemon stopped') L.stopped = true;
};
const follower = new LogFollower(logFile, onLine);
const readStatus = () => {
  try {
    return JSON.parse(fs.readFileSync(statusFile, 'utf8'));
  } catch {
    return null;
  }
};

const churn = new Churn(world, rng, { repoRoot, maxUsers: users + Math.max(4, Math.round(minutes / 2)), onPolicy: (p) => secrets.push(p.secret) });
// Filled in as the run goes (the summary reads them even when it ends early).
let verdict = null;
let convergeMs = null;
let firstFailures = null;
let check = null;
let quietCpuPct = null;
let status = null;
let churnMs = 0;
let peak = { rssMB: 0, peakRssMB: 0 };
const samples = [];

// --- start --------------------------------------------------------------------------------------------------
const daemon = spawnDaemon({ node: NODE, bundle, args: ['--root', root, '--policy', policyFile, '--log-level', 'info'], outFile });
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
  log('soak: interrupted — stopping the daemon');
  daemon.child.kill('SIGTERM');
  setTimeout(() => {
    if (!args.keep) fs.rmSync(root, { recursive: true, force: true });
    process.exit(130);
  }, 1500);
});
const t0 = Date.now();
while (!L.started && !daemon.exit && Date.now() - t0 < 60_000) {
  await sleep(50);
  follower.poll();
}
if (!L.started) {
  fail(`the daemon did not start (exit ${JSON.stringify(daemon.exit)}): ${fs.readFileSync(outFile, 'utf8').slice(-2000)}`);
  finish({});
}
log(`soak: daemon pid ${daemon.pid} started in ${Date.now() - t0} ms`);

// --- churn ------------------------------------------------------------------------------------------------------
const policyUpdates = Math.min(6, Math.max(2, Math.round(minutes / 10)));
const policyTimes = Array.from({ length: policyUpdates }, (_, k) => ((k + 1) / (policyUpdates + 1)) * durationMs);
const start = Date.now();
let lastMinute = { at: start, cpu: procStats(daemon.pid)?.cpuSeconds ?? 0 };
let minute = 0;

const sample = () => {
  const s = procStats(daemon.pid);
  if (s) peak = { rssMB: Math.max(peak.rssMB, s.rssMB), peakRssMB: Math.max(peak.peakRssMB, s.peakRssMB) };
  return s;
};
const progress = (elapsed, label = fmtTime(elapsed)) => {
  const s = sample();
  const st = readStatus();
  const ev = {};
  for (const e of st?.events ?? []) ev[e.kind] = (ev[e.kind] ?? 0) + 1;
  const cpuPct = s ? (100 * (s.cpuSeconds - lastMinute.cpu)) / ((Date.now() - lastMinute.at) / 1000) : NaN;
  if (s) lastMinute = { at: Date.now(), cpu: s.cpuSeconds };
  samples.push({ minute: round(elapsed / 60_000, 2), rssMB: s ? round(s.rssMB) : null, cpuSeconds: s ? round(s.cpuSeconds, 2) : null, writerCpuSeconds: s ? round(s.childCpuSeconds, 2) : null, cpuPct: round(cpuPct), passes: st?.passes ?? null, changes: churn.changes });
  log(
    `[${label}] changes ${churn.changes} (${round(churn.changes / Math.max(1, elapsed / 1000))}/s), writes ${world.writes}, users ${world.activeUsers().length}` +
      ` | daemon rss ${s ? round(s.rssMB) : '?'} MB (peak ${round(peak.peakRssMB)}), cpu ${s ? round(s.cpuSeconds) : '?'} s of which writers ${s ? round(s.childCpuSeconds) : '?'} s (${round(cpuPct)}% last min)` +
      ` | status: passes ${st?.passes ?? '?'}, policy v${st?.policy?.version ?? '?'}, contested ${st?.contested?.length ?? '?'}, recent events ${JSON.stringify(ev)}` +
      ` | log: repairs ${L.repaired}, warn ${L.byLevel.warn ?? 0}, error ${L.byLevel.error ?? 0}`,
  );
};

let timer = null;
await new Promise((resolve) => {
  let nextPolicy = 0;
  const tick = () => {
    if (interrupted) return resolve();
    const elapsed = Date.now() - start;
    if (elapsed >= durationMs || daemon.exit) return resolve();
    if (nextPolicy < policyTimes.length && elapsed >= policyTimes[nextPolicy]) {
      nextPolicy++;
      policy = churn.updatePolicy(policy.version + 1);
      policyWrites.push({ version: policy.version, at: Date.now() });
    } else churn.step();
    setTimeout(tick, rng.expDelay(1000 / rate));
  };
  tick();
  timer = setInterval(() => {
    follower.poll();
    sample();
    const elapsed = Date.now() - start;
    if (Math.floor(elapsed / 60_000) > minute) {
      minute = Math.floor(elapsed / 60_000);
      progress(elapsed);
    }
  }, 1000);
});
clearInterval(timer);
if (interrupted) await new Promise(() => {}); // the SIGINT handler exits
churnMs = Date.now() - start;
await churn.stop();
for (const f of churn.failures) fail(f);
if (daemon.exit) fail(`the daemon died during the churn: ${JSON.stringify(daemon.exit)}; last output: ${fs.readFileSync(outFile, 'utf8').slice(-1500)}`);
progress(Date.now() - start, `${fmtTime(Date.now() - start)} churn stopped`);

// --- the end: quiet, then the machine must be compliant --------------------------------------------------------
const policyValue = parseJsonc(policy.text, [], { allowTrailingComma: true });
const runCheck = () => {
  const r = spawnSync(NODE, [bundle, 'check', '--json', '--root', root, '--policy', policyFile], { encoding: 'utf8', env: childEnv(), maxBuffer: 256 << 20 });
  let json = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    /* reported by verify */
  }
  return { code: r.status, json, stdout: r.stdout, stderr: r.stderr };
};
if (!daemon.exit) {
  const quietStart = Date.now();
  await sleep(3000);
  follower.poll();
  const deadline = Date.now() + 40_000;
  for (;;) {
    check = runCheck();
    verdict = verifyMachine({ world, policy: policyValue, check });
    if (verdict.failures.length === 0) {
      convergeMs = Date.now() - quietStart;
      break;
    }
    firstFailures ??= { at: Date.now() - quietStart, failures: verdict.failures, contested: readStatus()?.contested ?? [] };
    if (Date.now() > deadline || daemon.exit) break;
    await sleep(2000);
    follower.poll();
  }
  for (const f of verdict.failures) fail(`not compliant ${Math.round((Date.now() - quietStart) / 1000)} s after the churn stopped: ${f}`);
  // Still wrong after 3 s of quiet is only acceptable for a contested file (its repairs are rate-limited).
  if (firstFailures) {
    const contested = new Set([...firstFailures.contested, ...L.contestedFiles]);
    for (const f of firstFailures.failures) {
      const p = /^(?:check|disk): (\/[^\s:,"]+\.json)\b/.exec(f)?.[1]; // file-level findings (user-level ones follow from them)
      if (p && !contested.has(p)) fail(`not repaired within 3 s of quiet and not contested: ${f}`);
    }
  }
  // Idle: no busy loop once the churn stopped.
  const a = procStats(daemon.pid);
  await sleep(3000);
  const b = procStats(daemon.pid);
  if (a && b) quietCpuPct = round((100 * (b.cpuSeconds - a.cpuSeconds)) / 3);
  if (quietCpuPct !== null && quietCpuPct > 30) fail(`the daemon uses ${quietCpuPct}% CPU with nothing changing (busy loop?)`);
}
status = readStatus();
if (status?.policy?.version !== policy.version) fail(`status.json: policy v${status?.policy?.version}, expected v${policy.version}`);
if (status && status.compliant !== true) fail(`status.json: compliant ${status.compliant}`);

// --- SIGTERM ------------------------------------------------------------------------------------------------------
let stop = null;
const final = sample() ?? {};
if (!daemon.exit) {
  const t = performance.now();
  daemon.child.kill('SIGTERM');
  const killer = setTimeout(() => daemon.child.kill('SIGKILL'), 5000);
  const e = await daemon.exited;
  clearTimeout(killer);
  stop = { code: e.code, signal: e.signal, ms: Math.round(e.at - t) };
  if (e.code !== 0) fail(`SIGTERM: exit ${e.code ?? e.signal}, expected 0`);
  if (stop.ms > 1000) fail(`SIGTERM: the daemon took ${stop.ms} ms to exit (limit 1000)`);
}
follower.close();
if (!L.stopped && stop) fail('the log has no "daemon stopped" line');

// --- the log and everything else the daemon wrote --------------------------------------------------------------
if (L.errors.length) fail(`${L.byLevel.error} error line(s) in the daemon log, e.g. ${L.errors[0]}`);
if (L.unparsed.length) fail(`log lines that are not JSON: ${L.unparsed[0]}`);
const out = fs.readFileSync(outFile, 'utf8');
const files = { 'daemon log': L.leaks.length ? L.leaks.join('\n') : '', 'daemon stderr': out, 'status.json': fs.existsSync(statusFile) ? fs.readFileSync(statusFile, 'utf8') : '', 'check --json': check?.stdout ?? '' };
for (const f of fs.existsSync(path.dirname(logFile)) ? fs.readdirSync(path.dirname(logFile)) : []) files[`log file ${f}`] = fs.readFileSync(path.join(path.dirname(logFile), f), 'utf8');
const leaks = [];
for (const [where, text] of Object.entries(files)) {
  for (const s of secrets) if (text.includes(s)) leaks.push(`${where}: the policy secret ${s.slice(0, 14)}…`);
  for (const s of world.userSecrets) if (text.includes(s)) leaks.push(`${where}: a user's API key ${s.slice(0, 14)}…`);
}
for (const l of [...new Set(leaks)]) fail(`secret leaked — ${l}`);
if (/^(Uncaught|.*\n\s+at .+:\d+:\d+\))/m.test(out) || /FATAL|Segmentation|heap out of memory/i.test(out)) fail(`the daemon printed a crash or stack trace: ${out.slice(-1500)}`);
// `rm -rf` of a project failing because the daemon created something inside it as it went (a user sees
// "Directory not empty"): the churn retried, but the daemon must not write into folders being deleted.
for (const r of world.deleteRaces) fail(`rm -rf ${r.dir} failed (ENOTEMPTY): an entry appeared in it while it was being deleted: ${JSON.stringify(r.foundInside)}`);
const temps = leftoverTemps(root);
if (temps.length) fail(`temp files left behind: ${temps.slice(0, 10).join(', ')}`);
const lastApplied = Math.max(0, ...L.applied.map((a) => a.version));
if (lastApplied !== policy.version) fail(`the daemon applied policy v${lastApplied}, the last written was v${policy.version}`);
// Contests: every burst detected, and its repairs bounded by the token bucket (10 at once, then 1 per 10 s).
const bursts = churn.bursts.map((b) => {
  const repairs = (L.repairedAt.get(b.file) ?? []).filter((t) => t >= b.start && t <= b.end).length;
  const limit = 10 + Math.ceil((b.end - b.start) / 10_000) + 1;
  return { file: b.file, seconds: round((b.end - b.start) / 1000), writes: b.writes, repairs, limit, reported: L.contestedFiles.has(b.file) };
});
for (const b of bursts) {
  if (!b.reported && b.writes >= 100) fail(`${b.file}: rewritten ${b.writes} times in ${b.seconds} s, never reported contested`);
  if (b.repairs > b.limit) fail(`${b.file}: repaired ${b.repairs} times during a ${b.seconds} s burst (rate limit allows ${b.limit})`);
}
// Memory: a steady climb over a long run is a leak (the RSS of a busy V8 heap swings by tens of MB).
const rss = samples.filter((x) => x.rssMB !== null).map((x) => x.rssMB);
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const rssGrowthMB = rss.length >= 10 ? round(mean(rss.slice(-5)) - mean(rss.slice(1, 6))) : null;
if (rssGrowthMB !== null && rssGrowthMB > 60) fail(`RSS grew by ${rssGrowthMB} MB between the first and the last minutes: a leak?`);
if (peak.peakRssMB > 250) fail(`peak RSS ${round(peak.peakRssMB)} MB (limit 250): runaway memory?`);
const cpuSeconds = final.cpuSeconds ?? samples.at(-1)?.cpuSeconds ?? null;
const writerCpuSeconds = final.childCpuSeconds ?? samples.at(-1)?.writerCpuSeconds ?? null;
if (cpuSeconds !== null && cpuSeconds / (churnMs / 1000) > 0.6) fail(`the daemon used ${round((100 * cpuSeconds) / (churnMs / 1000))}% of a core on average: runaway CPU?`);

finish({ cpuSeconds, writerCpuSeconds, stop, bursts, rssGrowthMB });

function finish({ cpuSeconds = null, writerCpuSeconds = null, stop = null, bursts = [], rssGrowthMB = null }) {
  if (!daemon.exit) daemon.child.kill('SIGKILL');
  const summary = {
    ok: failures.length === 0,
    seed,
    minutes: round(churnMs / 60_000, 2),
    users: { initial: users, final: world.activeUsers().length },
    rate: { target: rate, actual: round(churn.changes / (churnMs / 1000), 2) },
    changes: { total: churn.changes, skipped: churn.skipped, writes: world.writes, burstWrites: churn.burstWrites, byKind: Object.fromEntries(Object.entries(churn.byKind).sort()) },
    policy: {
      final: policy.version,
      applied: L.applied.map((a) => {
        const w = policyWrites.find((p) => p.version === a.version);
        return { version: a.version, msAfterWrite: w ? a.at - w.at : null };
      }),
    },
    repairs: L.repaired,
    contested: {
      files: [...L.contestedFiles],
      logLines: L.contestedLines,
      bursts,
      notBurst: [...L.contestedFiles].filter((f) => !churn.burstFiles.has(f)),
      atEnd: status?.contested ?? null,
    },
    passes: status?.passes ?? null,
    deleteRaces: world.deleteRaces,
    end: { convergeMs, firstCheck: firstFailures, quietCpuPct, machine: verdict?.notes ?? null, stop },
    daemon: { peakRssMB: round(peak.peakRssMB), maxSampledRssMB: round(peak.rssMB), rssGrowthMB, cpuSeconds: cpuSeconds === null ? null : round(cpuSeconds, 2), writerCpuSeconds: writerCpuSeconds === null ? null : round(writerCpuSeconds, 2), avgCpuPct: cpuSeconds === null ? null : round((100 * cpuSeconds) / (churnMs / 1000)), perMinute: samples },
    errors: L.byLevel.error ?? 0,
    log: { lines: L.lines, byLevel: L.byLevel, warnings: L.warnings, errors: L.errors.slice(0, 10) },
    failures,
    sandbox: args.keep ? root : null,
  };
  const text = `${JSON.stringify(summary, null, 2)}\n`;
  if (args.keep) fs.writeFileSync(path.join(root, 'soak-summary.json'), text);
  else fs.rmSync(root, { recursive: true, force: true });
  process.stdout.write(text);
  log(summary.ok ? `soak: OK — ${churn.changes} changes in ${summary.minutes} min, machine compliant, no error logged` : `soak: FAILED (${failures.length})`);
  if (!summary.ok && !args.keep) log('soak: re-run with --keep to inspect the sandbox');
  process.exit(summary.ok ? 0 : 1);
}
