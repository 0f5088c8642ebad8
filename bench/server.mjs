// npm run bench (server part) — prints one JSON document about `ccfleet server` (dist/ccfleet.cjs under the
// Node 22 of the `node` devDependency, a child process; the load generator bench/server/load.mjs is another
// child, so the server's CPU read from /proc/<pid>/stat is its own — every thread: the SQLite checkpointer,
// libuv, GC):
//   1. ingest: N enrolled devices (distinct tokens) on `connections` keep-alive loopback connections posting
//      realistic ~3 KB reports (built by the agent's buildReport, checked against the report schema) as fast
//      as answers come → reports/s, p50/p99, server CPU per report, errors; then policy polls with
//      If-None-Match → 304/s. SQLite, and PostgreSQL with a URL (fresh schema, dropped at the end).
//      Baseline in the same run, same load generator: the bare floor (node:http + JSON.parse + one node:sqlite
//      insert per request), the same with the inserts of a loop turn batched, parse only, and a bare 304.
//   2. fleet at cadence: F devices enrolled and one report each (seed), then exactly F/900 reports/s (a
//      15-minute cadence) and F/300 policy 304s/s (5-minute polls) for S seconds, devices in shuffled order
//      → the server's CPU as % of one core; again with a new connection per request (agents talking to the
//      server directly, no proxy keeping connections open); then what one /metrics scrape costs the server with
//      the whole fleet in the store.
//   3. spool through an outage: the agent's real Spool + Enrollment + Sender (fake clock) against the real
//      server: some reports delivered, the server stopped, a report put every simulated minute for a day,
//      the server started again on the same port and store → delivered, dropped (spool bounds), duplicates,
//      the exact ids in the store, time to drain; with the agent's default spool bounds and with room for
//      the whole day; and a backlog drained against the default per-device rate limit in simulated time.
// Options: --duration S (ingest window, 20) --warmup S (5) --policy-duration S (15) --devices N (1000)
//   --connections N (50) --fleet-devices N (100000) --fleet-seconds S (60) --fleet-new-conn-seconds S (30;
//   0 skips) --spool-reports N (1440) --rl-backlog N (1000) --rl-runs N (3) --pg <url> (default
//   $CCFLEET_TEST_DATABASE_URL) --no-pg --only baseline,ingest,fleet,spool --profile (an extra profiled
//   ingest run per store, summarised) --quick --client raw|undici (how the load generator sends reports and
//   polls: raw, the default, is a minimal keep-alive HTTP/1.1 client on node:net — bench/server/raw-client.mjs —
//   that leaves more of the 2 shared cores to the server; undici is what agents use).
import { build } from 'esbuild';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ADMIN, BUNDLE, ENROLL, NODE, repo, runLoad, startFloor, startServer } from './server/children.mjs';
import { summariseProfile } from './server/profile.mjs';
import { loadavg, processCpuMs, uptime } from './server/proc.mjs';

const { values: a } = parseArgs({
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'policy-duration': { type: 'string' },
    devices: { type: 'string' },
    connections: { type: 'string' },
    'fleet-devices': { type: 'string' },
    'fleet-seconds': { type: 'string' },
    'fleet-new-conn-seconds': { type: 'string' },
    'spool-reports': { type: 'string' },
    'rl-backlog': { type: 'string' },
    'rl-runs': { type: 'string' },
    pg: { type: 'string' },
    'no-pg': { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    client: { type: 'string', default: 'raw' },
  },
});
const num = (v, full, quick) => (v !== undefined ? Number(v) : a.quick ? quick : full);
const cfg = {
  durationSec: num(a.duration, 20, 5),
  warmupSec: num(a.warmup, 5, 2),
  policyDurationSec: num(a['policy-duration'], 15, 5),
  devices: num(a.devices, 1000, 1000),
  connections: num(a.connections, 50, 50),
  fleetDevices: num(a['fleet-devices'], 100_000, 20_000),
  fleetSeconds: num(a['fleet-seconds'], 60, 15),
  fleetNewConnSeconds: num(a['fleet-new-conn-seconds'], 30, 10),
  spoolReports: num(a['spool-reports'], 1440, 1440),
  rlBacklog: num(a['rl-backlog'], 1000, 1000),
  rlRuns: num(a['rl-runs'], 3, 1),
  pg: a['no-pg'] ? null : (a.pg ?? process.env.CCFLEET_TEST_DATABASE_URL ?? null) || null,
  profile: a.profile,
  client: a.client,
};
if (cfg.client !== 'raw' && cfg.client !== 'undici') throw new Error('--client is raw or undici');
const only = new Set((a.only ?? 'baseline,ingest,fleet,spool').split(','));
const VARIANTS = 8;
const round = (n, d = 1) => (n === null || n === undefined ? null : Math.round(n * 10 ** d) / 10 ** d);
const log = (m) => process.stderr.write(`[bench/server] ${m}\n`);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-server-'));
fs.mkdirSync(path.join(repo, '.cache'), { recursive: true });
const buildDir = fs.mkdtempSync(path.join(repo, '.cache', 'bench-server-'));
const running = new Set();
const schemas = [];

async function main() {
  // ---------------------------------------------------------------------------------------- set-up
  const entry = path.join(buildDir, 'agent-side.cjs');
  await build({ entryPoints: [path.join(repo, 'bench/server/agent-side.ts')], outfile: entry, bundle: true, platform: 'node', format: 'cjs', target: 'node22', mainFields: ['module', 'main'], logLevel: 'error' });
  const side = createRequire(import.meta.url)(entry);

  const keys = side.generateKeyPair();
  const keyFile = path.join(work, 'policy.key');
  fs.writeFileSync(keyFile, keys.privateKeyPem, { mode: 0o600 });
  const policyFile = path.join(work, 'policy.json');
  fs.writeFileSync(policyFile, JSON.stringify({
    id: 'bifrost-claude-code', version: 7, removeKeys: ['model', 'env.ANTHROPIC_MODEL'], enforceIn: 'managed',
    env: { ANTHROPIC_BASE_URL: 'https://bifrost.corp.example/anthropic', ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model', ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model' },
  }, null, 2));

  const templatesFile = path.join(work, 'templates.json');
  const reportBytes = writeTemplates(side, templatesFile);

  const result = {
    bench: 'server-ingest-fleet-spool',
    node: process.version,
    serverNode: NODE,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    config: cfg,
    machineLoad: { atStart: uptime() },
    report: reportBytes,
    goals: { sqliteReportsPerSecond: 8000, policy304PerSecond: 40000, fleet100kAt15MinPctOfOneCore: 5 },
  };

  const common = { templatesFile, etag: null, client: cfg.client };
  const stores = [{ kind: 'sqlite' }, ...(cfg.pg ? [{ kind: 'postgres' }] : [])];

  // ---------------------------------------------------------------------------------------- 1. baseline
  if (only.has('baseline')) {
    log('baseline: bare floors');
    const fake = path.join(work, 'fake-devices.json');
    fs.writeFileSync(fake, JSON.stringify(Array.from({ length: cfg.devices }, (_, i) => ({ id: `bench-floor-${String(i).padStart(6, '0')}`, token: 'A'.repeat(43), v: i % VARIANTS }))));
    result.baseline = {};
    for (const mode of ['insert', 'batch', 'parse']) {
      const f = await startFloor(mode, path.join(work, `floor-${mode}.sqlite`));
      running.add(f);
      result.baseline[`reports_${mode}`] = await runLoad(work, { phase: 'closed', kind: 'reports', url: f.url, connections: cfg.connections, warmupSec: cfg.warmupSec, durationSec: cfg.durationSec, devicesFile: fake, ...common, runTag: `floor-${mode}`, serverPid: f.pid });
      await f.stop();
      running.delete(f);
    }
    const f = await startFloor('parse', path.join(work, 'floor-304.sqlite'));
    running.add(f);
    result.baseline.policy304 = await runLoad(work, { phase: 'closed', kind: 'policy', url: f.url, connections: cfg.connections, warmupSec: cfg.warmupSec, durationSec: cfg.policyDurationSec, devicesFile: fake, ...common, etag: '"bench-floor-etag"', serverPid: f.pid });
    await f.stop();
    running.delete(f);
    result.baseline.notes = {
      reports_insert: 'node:http + JSON.parse + one node:sqlite INSERT per request (autocommit, WAL, synchronous=NORMAL): the floor in measured-floors.md',
      reports_batch: 'the same, the inserts of one event-loop turn in one transaction (the design the server uses)',
      reports_parse: 'node:http + JSON.parse only',
      policy304: 'node:http, If-None-Match compared, 304',
    };
  }

  // ---------------------------------------------------------------------------------------- 2. ingest
  if (only.has('ingest')) {
    result.ingest = {};
    for (const s of stores) {
      log(`ingest: ${s.kind}`);
      result.ingest[s.kind] = await ingest(s.kind, { policyFile, keyFile, common, profile: false });
      if (cfg.profile) {
        log(`ingest: ${s.kind} (profiled)`);
        result.ingest[`${s.kind}Profiled`] = await ingest(s.kind, { policyFile, keyFile, common, profile: true });
      }
    }
  }

  // ---------------------------------------------------------------------------------------- 3. fleet
  if (only.has('fleet')) {
    result.fleet = {};
    log('fleet at cadence: the bare floor (insert per request, bare 304)');
    const fake = path.join(work, 'fake-fleet-devices.json');
    fs.writeFileSync(fake, JSON.stringify(Array.from({ length: cfg.fleetDevices }, (_, i) => ({ id: `bench-floor-${String(i).padStart(6, '0')}`, token: 'A'.repeat(43), v: i % VARIANTS }))));
    const f = await startFloor('insert', path.join(work, 'floor-fleet.sqlite'));
    running.add(f);
    result.fleet.floorAtCadence = await runLoad(work, { phase: 'open', url: f.url, connections: cfg.connections, devicesFile: fake, ...common, etag: '"bench-floor-etag"', rates: fleetRates(), durationSec: cfg.fleetSeconds, serverPid: f.pid, runTag: 'floorfleet' });
    if (cfg.fleetNewConnSeconds > 0) {
      result.fleet.floorAtCadenceNewConnections = await runLoad(work, { phase: 'open', url: f.url, connections: cfg.connections, devicesFile: fake, ...common, etag: '"bench-floor-etag"', rates: fleetRates(), durationSec: cfg.fleetNewConnSeconds, newConnections: true, serverPid: f.pid, runTag: 'floorfleetnc' });
    }
    await f.stop();
    running.delete(f);
    for (const s of stores) {
      log(`fleet at cadence: ${s.kind}`);
      result.fleet[s.kind] = await fleet(s.kind, { policyFile, keyFile, common });
    }
  }

  // ---------------------------------------------------------------------------------------- 4. spool
  if (only.has('spool')) {
    result.spool = {};
    for (const s of stores) {
      log(`spool through an outage: ${s.kind}`);
      result.spool[s.kind] = await spoolOutage(side, s.kind, { policyFile, keyFile });
    }
    log('spool: backlog against the default rate limit (simulated time)');
    const runs = [];
    for (let i = 0; i < cfg.rlRuns; i++) runs.push(await side.rateLimitedDrain(work, cfg.rlBacklog, { admin: ADMIN, enroll: ENROLL }));
    const mins = runs.map((r) => r.simulatedMinutes).sort((x, y) => x - y);
    result.spool.backlogUnderDefaultRateLimit = {
      note: 'ccfleet server defaults (--rate-limit 60/20 per device) and the agent Sender (backoff 5 s … 5 min, full jitter, reset only when the spool empties): simulated minutes until a backlog is delivered; the in-process app and the agent share a fake clock',
      backlog: cfg.rlBacklog,
      simulatedMinutes: { min: mins[0], median: mins[Math.floor(mins.length / 2)], max: mins[mins.length - 1] },
      runs,
    };
  }

  result.machineLoad.atEnd = uptime();
  result.verdict = verdict(result);
  return result;
}

// -------------------------------------------------------------------------------------------------------
function writeTemplates(side, file) {
  const at = new Date('2026-01-15T10:00:00.000Z');
  const templates = [];
  const sizes = [];
  for (let v = 0; v < VARIANTS; v++) {
    const r = side.makeReport(v, { id: 'BENCHxIDxPLACE', deviceId: 'BENCHxDEVxPLACE', hostname: 'BENCHxHOSTxPLACE', createdAt: at });
    let text = JSON.stringify(r).replace(`"createdAt":"${at.toISOString()}"`, '"createdAt":"BENCHxTIMExPLACE"');
    const keys = [];
    const parts = text.split(/BENCHx(ID|DEV|HOST|TIME)xPLACE/).filter((_, i) => {
      if (i % 2 === 1) keys.push(_);
      return i % 2 === 0;
    });
    const names = { ID: 'id', DEV: 'deviceId', HOST: 'hostname', TIME: 'createdAt' };
    templates.push({ parts, keys: keys.map((k) => names[k]) });
    // one filled in as the load generator will, checked as the server checks it
    const id = 'bench-x-bench-ing-000123-1a2b';
    const dev = 'bench-ing-000123';
    const filled = parts.reduce((s, p, i) => s + p + (i < keys.length ? { ID: id, DEV: dev, HOST: `${dev}.corp.example`, TIME: new Date().toISOString() }[keys[i]] : ''), '');
    const ok = side.validateReport(filled);
    if (!ok.ok) throw new Error(`report template ${v} does not pass the server's checks: ${ok.why}`);
    sizes.push(Buffer.byteLength(filled));
    text = null;
  }
  fs.writeFileSync(file, JSON.stringify(templates));
  return { variants: VARIANTS, bytes: { min: Math.min(...sizes), max: Math.max(...sizes), avg: Math.round(sizes.reduce((x, y) => x + y, 0) / sizes.length) }, builtWith: 'src/agent/report/buildReport (2 users, 2–3 projects each, 6–7 files, 1 in 4 with a drift-repaired event, 1 in 8 with a drifted project); each checked with reportSchema + the raw-secret check' };
}

async function freshStore(kind, label) {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(work, `${label}-`));
    return { url: path.join(dir, 'ccfleet.sqlite'), kind };
  }
  const schema = `ccfleet_bench_${process.pid}_${label.replace(/[^a-z0-9]/g, '')}_${Math.random().toString(16).slice(2, 8)}`;
  await pgQuery(cfg.pg, `CREATE SCHEMA ${schema}`);
  schemas.push(schema);
  const u = new URL(cfg.pg);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return { url: u.toString(), kind, schema };
}

async function pgQuery(url, sql, params = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

async function adminGet(url, p) {
  const r = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
  return p === '/metrics' ? r.text() : r.json();
}

/**
 * What one Prometheus scrape of /metrics costs the server with the whole fleet in the store (the fleet gauges
 * are read from the store at every scrape): server CPU per scrape over 5 sequential scrapes, and per minute
 * at a 15 s scrape interval.
 */
async function scrapeCost(s) {
  await adminGet(s.url, '/metrics');
  const n = 5;
  const before = processCpuMs(s.pid);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await adminGet(s.url, '/metrics');
  const ms = (processCpuMs(s.pid) - before) / n;
  return { scrapes: n, serverCpuMsPerScrape: round(ms, 1), wallMsPerScrape: round((performance.now() - t0) / n, 1), pctOfOneCoreAt15sInterval: round(ms / 150, 2) };
}

function metric(text, name) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m && m[1] === name) out[m[2] ?? ''] = Number(m[3]);
  }
  return out;
}

async function etagOf(url, token) {
  const r = await fetch(`${url}/v1/policy`, { headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`GET /v1/policy: ${r.status}`);
  return r.headers.get('etag');
}

async function enroll(server, count, prefix) {
  const file = path.join(work, `devices-${prefix}.json`);
  const r = await runLoad(work, { phase: 'enroll', url: server.url, connections: cfg.connections, count, idPrefix: prefix, enrollSecret: ENROLL, outFile: file, variants: VARIANTS });
  if (r.enrolled !== count) throw new Error(`enrolled ${r.enrolled} of ${count}: ${JSON.stringify(r)}`);
  return { file, first: JSON.parse(fs.readFileSync(file, 'utf8'))[0], stats: r };
}

async function withServer(opts, fn) {
  const s = await startServer(opts);
  running.add(s);
  try {
    return await fn(s);
  } finally {
    const code = await s.stop();
    running.delete(s);
    if (code !== 0) log(`server exited ${code}: ${s.stderr().slice(-1000)}`);
  }
}

// ---- 2. ingest ----------------------------------------------------------------------------------------
async function ingest(kind, { policyFile, keyFile, common, profile }) {
  const store = await freshStore(kind, profile ? 'ingestprof' : 'ingest');
  const profDir = path.join(work, `prof-${kind}`);
  const nodeArgs = profile ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const out = await withServer({ store: store.url, policy: policyFile, key: keyFile, rate: '9999999/9999999', nodeArgs }, async (s) => {
    const devs = await enroll(s, cfg.devices, `bench-ing${profile ? 'p' : ''}-`);
    const etag = await etagOf(s.url, devs.first.token);
    const base = { url: s.url, connections: cfg.connections, warmupSec: cfg.warmupSec, devicesFile: devs.file, ...common, serverPid: s.pid, watchPostgres: kind === 'postgres' };
    const reports = await runLoad(work, { ...base, phase: 'closed', kind: 'reports', durationSec: profile ? Math.min(cfg.durationSec, 10) : cfg.durationSec, runTag: `ing${profile ? 'p' : ''}` });
    const policy = await runLoad(work, { ...base, phase: 'closed', kind: 'policy', durationSec: profile ? Math.min(cfg.policyDurationSec, 8) : cfg.policyDurationSec, etag });
    const summary = await adminGet(s.url, '/v1/fleet/summary');
    const m = await adminGet(s.url, '/metrics');
    return {
      store: kind,
      serverRateLimit: '9999999/9999999 per device (the limiter runs, never refuses: 1,000 devices at thousands of reports/s each far exceed a real device\'s 60/min)',
      enroll: devs.stats,
      reports,
      policy304: policy,
      storeAfter: { reportsTotal: summary.reportsTotal, devices: summary.devices, reportsRejected: metric(m, 'ccfleet_reports_rejected_total'), reportsDuplicate: metric(m, 'ccfleet_reports_duplicate_total')[''] ?? 0 },
    };
  });
  if (profile) {
    // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread, others the SQLite checkpointer
    const files = fs.existsSync(profDir) ? fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')) : [];
    out.profile = { note: 'the server process\'s whole life (enrolment, warm-up, the reports window, the 304s), per thread; policyWindow: the main thread during the 304s only' };
    for (const f of files) out.profile[f.split('.')[4] === '0' ? 'mainThread' : `workerThread${f.split('.')[4]}`] = summariseProfile(path.join(profDir, f), 25, BUNDLE);
    const main = files.find((f) => f.split('.')[4] === '0');
    if (main) out.profile.policyWindow = summariseProfile(path.join(profDir, main), 25, BUNDLE, out.policy304.cpu.seconds);
  }
  return out;
}

// ---- 3. fleet at cadence ------------------------------------------------------------------------------
/** A report every 15 minutes and a policy poll every 5 minutes per device. */
const fleetRates = () => ({ reports: round(cfg.fleetDevices / 900, 3), policy: round(cfg.fleetDevices / 300, 3) });

async function fleet(kind, { policyFile, keyFile, common }) {
  const store = await freshStore(kind, 'fleet');
  // --profile: the server under --cpu-prof, summarised over the keep-alive cadence window only (it ends the run).
  const profDir = path.join(work, `prof-fleet-${kind}`);
  const nodeArgs = cfg.profile ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const out = await withServer({ store: store.url, policy: policyFile, key: keyFile, rate: '60/20', nodeArgs }, async (s) => {
    log(`  enrolling ${cfg.fleetDevices} devices`);
    const devs = await enroll(s, cfg.fleetDevices, 'bench-fleet-');
    const etag = await etagOf(s.url, devs.first.token);
    const base = { url: s.url, connections: cfg.connections, devicesFile: devs.file, ...common, etag, serverPid: s.pid, watchPostgres: kind === 'postgres' };
    log('  seeding one report per device');
    const seed = await runLoad(work, { ...base, phase: 'closed', kind: 'reports', once: true, runTag: 'seed' });
    log('  idle');
    const idle = await runLoad(work, { ...base, phase: 'idle', durationSec: Math.min(15, cfg.fleetSeconds) });
    const rates = fleetRates();
    log(`  ${rates.reports} reports/s + ${rates.policy} policy/s for ${cfg.fleetSeconds} s (keep-alive)`);
    const keepAlive = await runLoad(work, { ...base, phase: 'open', rates, durationSec: cfg.fleetSeconds, runTag: 'fleet' });
    let newConnections = null;
    if (cfg.fleetNewConnSeconds > 0) {
      log(`  the same for ${cfg.fleetNewConnSeconds} s, a new connection per request`);
      newConnections = await runLoad(work, { ...base, phase: 'open', rates, durationSec: cfg.fleetNewConnSeconds, newConnections: true, runTag: 'fleetnc' });
    }
    const summary = await adminGet(s.url, '/v1/fleet/summary');
    const scrape = await scrapeCost(s);
    return {
      store: kind,
      serverRateLimit: '60/20 (the default)',
      devices: cfg.fleetDevices,
      enroll: devs.stats,
      seedOneReportPerDevice: seed,
      idleAfterSeed: idle.cpu,
      cadence: { reportsPerSecond: rates.reports, policyPerSecond: rates.policy, note: 'a report every 15 min and a policy poll every 5 min per device' },
      keepAlive,
      newConnections,
      storeAfter: { reportsTotal: summary.reportsTotal, devices: summary.devices },
      metricsScrape: scrape,
    };
  });
  if (cfg.profile && cfg.fleetNewConnSeconds === 0) {
    const files = fs.existsSync(profDir) ? fs.readdirSync(profDir).filter((f) => f.split('.')[4] === '0' && f.endsWith('.cpuprofile')) : [];
    if (files[0]) out.profileOfCadenceWindow = summariseProfile(path.join(profDir, files[0]), 30, BUNDLE, cfg.fleetSeconds);
  }
  return out;
}

// ---- 4. spool through an outage -----------------------------------------------------------------------
async function storedFor(store, deviceId) {
  if (store.kind === 'sqlite') {
    const emit = process.emitWarning;
    process.emitWarning = () => undefined; // "SQLite is an experimental feature"
    const { DatabaseSync } = await import('node:sqlite').finally(() => (process.emitWarning = emit));
    const db = new DatabaseSync(store.url, { readOnly: true });
    try {
      return db.prepare('SELECT id, body FROM reports WHERE device_id = ?').all(deviceId).map((r) => ({ id: r.id, dropped: JSON.parse(r.body).spoolDropped ?? 0 }));
    } finally {
      db.close();
    }
  }
  return (await pgQuery(store.url, 'SELECT id, body FROM reports WHERE device_id = $1', [deviceId])).map((r) => ({ id: r.id, dropped: JSON.parse(r.body).spoolDropped ?? 0 }));
}

async function spoolOutage(side, kind, { policyFile, keyFile }) {
  const store = await freshStore(kind, 'spool');
  const opts = { store: store.url, policy: policyFile, key: keyFile, rate: 'off' };
  let s = await startServer(opts);
  running.add(s);
  const variants = {};
  try {
    for (const [name, maxCount] of [['agentDefaultBounds', undefined], ['roomForTheDay', Math.max(2000, cfg.spoolReports + 100)]]) {
      const deviceId = `bench-spool-${name.toLowerCase()}`;
      const before = 10;
      const startMs = Date.now() - (cfg.spoolReports + before + 60) * 60_000;
      const agent = new side.OutageAgent({ server: s.url, enrollSecret: ENROLL, deviceId, maxCount, startMs });
      try {
        // before the outage: delivered as they are made
        for (let i = 0; i < before; i++) {
          agent.putNext(60_000);
          const r = await agent.deliver();
          if (r.outcome !== 'done') throw new Error(`pre-outage delivery: ${r.outcome} ${r.message ?? ''}`);
        }
        const totalBefore = (await adminGet(s.url, '/v1/fleet/summary')).reportsTotal;
        // the outage
        const port = s.port;
        await s.stop();
        running.delete(s);
        const putMs = [];
        const outcomes = {};
        const t0 = performance.now();
        let last = null;
        for (let i = 0; i < cfg.spoolReports; i++) {
          putMs.push(agent.putNext(60_000));
          last = await agent.deliver();
          outcomes[last.outcome] = (outcomes[last.outcome] ?? 0) + 1;
        }
        const outageWallMs = performance.now() - t0;
        const spoolStats = agent.spool.stats();
        const carriedInSpool = agent.carriedInSpool();
        // the server comes back: same port, same store
        s = await startServer({ ...opts, port });
        running.add(s);
        const d0 = performance.now();
        let rounds = 0;
        let delivered = 0;
        let r;
        do {
          r = await agent.deliver(true);
          rounds++;
          delivered += r.delivered.length;
        } while (r.remaining > 0 && rounds < 20);
        const drainMs = performance.now() - d0;
        const summary = await adminGet(s.url, '/v1/fleet/summary');
        const m = await adminGet(s.url, '/metrics');
        const stored = await storedFor(store, deviceId);
        const storedIds = new Set(stored.map((x) => x.id));
        const droppedIds = new Set(agent.droppedIds);
        const expected = agent.put.filter((id) => !droppedIds.has(id));
        const missing = expected.filter((id) => !storedIds.has(id));
        const unexpected = [...storedIds].filter((id) => !expected.includes(id));
        putMs.sort((x, y) => x - y);
        variants[name] = {
          spoolMaxCount: maxCount ?? `agent default (${side.SPOOL_MAX_COUNT})`,
          deliveredBeforeOutage: before,
          outage: {
            reportsPut: cfg.spoolReports,
            simulatedHours: round((cfg.spoolReports * 60) / 3600, 2),
            wallSeconds: round(outageWallMs / 1000, 2),
            putMs: { p50: round(putMs[Math.floor(putMs.length / 2)], 3), p99: round(putMs[Math.floor(putMs.length * 0.99)], 3), max: round(putMs[putMs.length - 1], 3) },
            deliveryRounds: outcomes,
            nextTryAfterTheOutageInSimulatedSeconds: last?.retryInMs != null ? round(last.retryInMs / 1000, 1) : null,
            spoolAtEnd: { count: spoolStats.count, bytes: spoolStats.bytes, droppedNotYetCarried: spoolStats.dropped, droppedCountCarriedBySpooledReports: carriedInSpool },
            droppedBySpool: agent.dropped,
          },
          recovery: { drainSeconds: round(drainMs / 1000, 3), rounds, delivered, reportsPerSecond: round(delivered / (drainMs / 1000), 0), remaining: r.remaining, lastOutcome: r.outcome },
          store: {
            reportsTotalViaFleetApi: summary.reportsTotal,
            reportsTotalBeforeOutage: totalBefore,
            reportsOfThisDevice: stored.length,
            distinctIds: storedIds.size,
            expected: expected.length,
            missing: missing.length,
            unexpected: unexpected.length,
            duplicatesRefusedByServer: metric(m, 'ccfleet_reports_duplicate_total')[''] ?? 0,
            spoolDroppedReportedToServer: stored.reduce((n, x) => n + x.dropped, 0),
          },
          // every report the spool still held reached the store exactly once, nothing else did
          everySpooledReportStoredOnce: missing.length === 0 && unexpected.length === 0 && r.remaining === 0 && stored.length === storedIds.size && stored.length === before + cfg.spoolReports - agent.dropped,
          everyReportOfTheDayStored: stored.length === before + cfg.spoolReports && missing.length === 0 && unexpected.length === 0,
          dropAccountingExact: stored.reduce((n, x) => n + x.dropped, 0) + agent.spool.pendingDropped() === agent.dropped,
        };
      } finally {
        await agent.close();
      }
    }
  } finally {
    await s.stop();
    running.delete(s);
  }
  return { store: kind, serverRateLimit: 'off (as the e2e tests; see backlogUnderDefaultRateLimit for the default)', ...variants };
}

// -------------------------------------------------------------------------------------------------------
function verdict(r) {
  const v = {};
  const ing = r.ingest?.sqlite;
  if (ing) {
    v.sqliteReportsPerSecond = ing.reports.okPerSecond;
    v.sqliteReportsGoalMet = ing.reports.okPerSecond >= 8000;
    v.policy304PerSecond = ing.policy304?.okPerSecond ?? null;
    v.policy304GoalMet = (ing.policy304?.okPerSecond ?? 0) >= 40000;
    if (r.baseline) {
      v.sqliteReportsVsFloorInsert = round(ing.reports.okPerSecond / r.baseline.reports_insert.okPerSecond, 2);
      v.policy304VsFloor = ing.policy304 ? round(ing.policy304.okPerSecond / r.baseline.policy304.okPerSecond, 2) : null;
    }
  }
  // The goals were set against the floors of measured-floors.md (insert ~11,000/s at 78 µs, 304 ~69,000/s at
  // 14 µs of server CPU). The same floors measured in this run say how fast this machine is today; each goal
  // scaled by that factor is what the same code would have to reach here to meet it there.
  if (r.baseline && (ing || r.fleet)) {
    const insertFactor = r.baseline.reports_insert.okPerSecond / 11_000;
    const f304 = r.baseline.policy304.okPerSecond / 69_000;
    const cpuFactor = (r.baseline.reports_insert.cpu.server.perRequestUs / 78 + r.baseline.policy304.cpu.server.perRequestUs / 14) / 2;
    const sc = { note: 'goal × (this run\'s floor / the floor in measured-floors.md)', speedVsReference: { insert: round(insertFactor, 2), policy304: round(f304, 2), cpuPerRequest: round(1 / cpuFactor, 2) } };
    if (ing) {
      sc.sqliteReportsGoal = Math.round(8000 * insertFactor);
      sc.sqliteReportsGoalMet = ing.reports.okPerSecond >= sc.sqliteReportsGoal;
      if (ing.policy304) {
        sc.policy304Goal = Math.round(40_000 * f304);
        sc.policy304GoalMet = ing.policy304.okPerSecond >= sc.policy304Goal;
      }
    }
    for (const k of ['sqlite', 'postgres']) {
      const f = r.fleet?.[k];
      if (!f) continue;
      sc.fleetPctOfOneCoreGoal = round(5 * cpuFactor, 1);
      sc[`fleet_${k}_goalMet`] = f.keepAlive.cpu.server.pctOfOneCore < sc.fleetPctOfOneCoreGoal;
    }
    v.scaledToThisMachine = sc;
  }
  if (r.ingest?.postgres) v.postgresReportsPerSecond = r.ingest.postgres.reports.okPerSecond;
  if (r.fleet?.floorAtCadence) v.fleet_floor_pctOfOneCore = r.fleet.floorAtCadence.cpu.server.pctOfOneCore;
  if (r.fleet?.floorAtCadenceNewConnections) v.fleet_floor_newConnections_pctOfOneCore = r.fleet.floorAtCadenceNewConnections.cpu.server.pctOfOneCore;
  for (const k of ['sqlite', 'postgres']) {
    const f = r.fleet?.[k];
    if (!f) continue;
    v[`fleet_${k}_pctOfOneCore`] = f.keepAlive.cpu.server.pctOfOneCore;
    v[`fleet_${k}_goalMet`] = f.keepAlive.cpu.server.pctOfOneCore < 5;
    if (f.newConnections) v[`fleet_${k}_newConnections_pctOfOneCore`] = f.newConnections.cpu.server.pctOfOneCore;
    if (f.metricsScrape) v[`fleet_${k}_metricsScrapeCpuMs`] = f.metricsScrape.serverCpuMsPerScrape;
  }
  for (const k of ['sqlite', 'postgres']) {
    const s = r.spool?.[k];
    if (!s) continue;
    v[`spool_${k}_roomForTheDay_everyReportOfTheDayStored`] = s.roomForTheDay.everyReportOfTheDayStored;
    v[`spool_${k}_agentDefaults_everySpooledReportStoredOnce`] = s.agentDefaultBounds.everySpooledReportStoredOnce;
    v[`spool_${k}_agentDefaults_delivered`] = s.agentDefaultBounds.store.reportsOfThisDevice;
    v[`spool_${k}_agentDefaults_dropped`] = s.agentDefaultBounds.outage.droppedBySpool;
  }
  return v;
}

async function cleanup() {
  for (const s of running) await s.stop().catch(() => undefined);
  for (const schema of schemas) await pgQuery(cfg.pg, `DROP SCHEMA ${schema} CASCADE`).catch((e) => log(`drop schema ${schema}: ${e.message}`));
  if (!a.keep) fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(buildDir, { recursive: true, force: true });
}

try {
  const result = await main();
  console.log(JSON.stringify(result, null, 2));
} catch (e) {
  log(`failed: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await cleanup();
  log(`done; load average ${loadavg()?.join(' ')}`);
}
