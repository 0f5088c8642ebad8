// The load generator of bench/server.mjs, always a process of its own (so the server's CPU, read from
// /proc/<pid>/stat, is the server's alone): `node bench/server/load.mjs <config.json>` prints one JSON line.
//
// Phases (config.phase):
//   enroll   POST /v1/enroll for `count` devices (ids `<idPrefix><n>`), `connections` at a time; writes
//            [{ id, token, v }] to `outFile`.
//   closed   `connections` keep-alive connections (undici Pool), each sending its next request as soon as
//            the previous answer arrived: `kind` reports (POST /v1/reports, a fresh ~3 KB report from a
//            template per request, devices round-robin) or policy (GET /v1/policy + If-None-Match → 304).
//            A warm-up, then the measured window; `once`: every device posts one report, all measured.
//   idle     no requests for `durationSec`: the server's CPU doing nothing.
//   open     a fixed arrival rate per kind (`rates.reports`, `rates.policy` per second) for `durationSec`,
//            devices in a shuffled order; latency counted from each request's scheduled time (no
//            coordinated omission). `newConnections`: every request on a connection of its own.
// Measured: answers by status, errors by code, per-second rate, p50/p90/p99/max latency (ms); the server's
// CPU (`serverPid`), this process's, every postgres process's (`watchPostgres`) and the whole machine's over
// the measured window.
import fs from 'node:fs';
import { Pool } from 'undici';
import { RawPool } from './raw-client.mjs';
import { machineCpuMs, mainThreadCpuMs, postgresCpu, postgresDeltaMs, processCpuMs, loadavg } from './proc.mjs';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const origin = new URL(cfg.url).origin;
const pool = new Pool(origin, { connections: cfg.connections, pipelining: 1, keepAliveTimeout: 120_000, keepAliveMaxTimeout: 120_000 });
// Reports and policy polls go through the raw client (raw-client.mjs) unless cfg.client is 'undici'.
const raw = cfg.client === 'undici' ? null : new RawPool(origin, cfg.connections);
const round = (n, d = 1) => (n === null || n === undefined || Number.isNaN(n) ? null : Math.round(n * 10 ** d) / 10 ** d);

// ---------------------------------------------------------------------------------------------- enroll
if (cfg.phase === 'enroll') {
  const out = new Array(cfg.count);
  let next = 0;
  const statuses = {};
  const errors = {};
  const t0 = performance.now();
  const worker = async () => {
    for (let i = next++; i < cfg.count; i = next++) {
      const id = `${cfg.idPrefix}${String(i).padStart(6, '0')}`;
      try {
        const res = await pool.request({ path: '/v1/enroll', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enrollSecret: cfg.enrollSecret, deviceId: id, hostname: `${id}.corp.example` }) });
        const text = await res.body.text();
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode === 201) out[i] = { id, token: JSON.parse(text).token, v: i % cfg.variants };
      } catch (e) {
        errors[e.code ?? e.name] = (errors[e.code ?? e.name] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: cfg.connections }, worker));
  const s = (performance.now() - t0) / 1000;
  const devices = out.filter(Boolean);
  fs.writeFileSync(cfg.outFile, JSON.stringify(devices));
  await pool.close();
  console.log(JSON.stringify({ enrolled: devices.length, seconds: round(s, 2), perSecond: Math.round(devices.length / s), statuses, errors }));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------- requests
const devices = JSON.parse(fs.readFileSync(cfg.devicesFile, 'utf8'));
const templates = cfg.templatesFile ? JSON.parse(fs.readFileSync(cfg.templatesFile, 'utf8')) : [];
const tag = cfg.runTag;
let seq = 0;

function reportBody(d) {
  const t = templates[d.v % templates.length];
  const vals = { id: `${tag}-${d.id}-${(seq++).toString(36)}`, deviceId: d.id, hostname: `${d.id}.corp.example`, createdAt: new Date().toISOString() };
  let s = t.parts[0];
  for (let i = 0; i < t.keys.length; i++) s += vals[t.keys[i]] + t.parts[i + 1];
  return s;
}

function requestFor(kind, d) {
  if (kind === 'reports') {
    return { path: '/v1/reports', method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' }, body: reportBody(d) };
  }
  return { path: '/v1/policy', method: 'GET', headers: { authorization: `Bearer ${d.token}`, 'if-none-match': cfg.etag } };
}

const OK = { reports: 202, policy: 304 };
class Stats {
  constructor() {
    this.lat = new Float64Array(1 << 16);
    this.n = 0;
    this.statuses = {};
    this.errors = {};
    this.bytesSent = 0;
  }
  add(ms) {
    if (this.n === this.lat.length) {
      const bigger = new Float64Array(this.lat.length * 2);
      bigger.set(this.lat);
      this.lat = bigger;
    }
    this.lat[this.n++] = ms;
  }
  summary(seconds, kind) {
    const l = this.lat.subarray(0, this.n).sort();
    const q = (p) => (this.n === 0 ? null : round(l[Math.min(this.n - 1, Math.floor(p * this.n))], 2));
    const ok = this.statuses[OK[kind]] ?? 0;
    return {
      answered: this.n,
      ok,
      okPerSecond: round(ok / seconds, 1),
      statuses: this.statuses,
      errors: this.errors,
      latencyMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: this.n ? round(l[this.n - 1], 2) : null },
      ...(kind === 'reports' ? { avgBodyBytes: this.n ? Math.round(this.bytesSent / this.n) : null } : {}),
    };
  }
}

let measuring = false;
const stats = { reports: new Stats(), policy: new Stats() };

async function one(kind, d, startedAt, reset) {
  const opts = requestFor(kind, d);
  if (reset) opts.reset = true;
  const st = stats[kind];
  try {
    let status;
    if (raw !== null) status = await raw.request(opts);
    else {
      const res = await pool.request(opts);
      await res.body.dump();
      status = res.statusCode;
    }
    if (measuring) {
      st.add(performance.now() - startedAt);
      st.statuses[status] = (st.statuses[status] ?? 0) + 1;
      if (kind === 'reports') st.bytesSent += opts.body.length;
    }
  } catch (e) {
    if (measuring) st.errors[e.code ?? e.name] = (st.errors[e.code ?? e.name] ?? 0) + 1;
  }
}

function snapshot() {
  return { t: performance.now(), server: processCpuMs(cfg.serverPid), serverMain: mainThreadCpuMs(cfg.serverPid), self: process.cpuUsage(), machine: machineCpuMs(), pg: cfg.watchPostgres ? postgresCpu() : null, load: loadavg() };
}

function cpuBetween(a, b, handled) {
  const s = (b.t - a.t) / 1000;
  const serverMs = a.server === null || b.server === null ? null : b.server - a.server;
  const mainMs = a.serverMain === null || b.serverMain === null ? null : b.serverMain - a.serverMain;
  const selfMs = (b.self.user - a.self.user + b.self.system - a.self.system) / 1000;
  const pgMs = a.pg && b.pg ? postgresDeltaMs(a.pg, b.pg) : null;
  const machineBusyMs = a.machine && b.machine ? b.machine.busyMs - a.machine.busyMs : null;
  const pct = (ms) => (ms === null ? null : round((ms / (s * 1000)) * 100, 1));
  return {
    seconds: round(s, 3),
    server: {
      cpuMs: round(serverMs, 0),
      pctOfOneCore: pct(serverMs),
      perRequestUs: serverMs === null || handled === 0 ? null : round((serverMs * 1000) / handled, 1),
      // the event loop's thread, and the others (SQLite checkpointer worker, V8 GC helpers, libuv pool)
      mainThreadCpuMs: mainMs === null ? null : round(mainMs, 0),
      otherThreadsCpuMs: mainMs === null || serverMs === null ? null : round(serverMs - mainMs, 0),
    },
    loadGenerator: { cpuMs: round(selfMs, 0), pctOfOneCore: pct(selfMs) },
    ...(pgMs !== null ? { postgresAllProcesses: { cpuMs: round(pgMs, 0), pctOfOneCore: pct(pgMs), perRequestUs: handled ? round((pgMs * 1000) / handled, 1) : null } } : {}),
    machine: {
      busyCores: machineBusyMs === null ? null : round(machineBusyMs / (s * 1000), 2),
      // what other processes (other benchmarks, tests) used meanwhile: the noise on these numbers
      otherProcessesCores: machineBusyMs === null || serverMs === null ? null : round((machineBusyMs - serverMs - selfMs - (pgMs ?? 0)) / (s * 1000), 2),
      loadavgAtEnd: b.load,
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let result;
if (cfg.phase === 'idle') {
  // no requests: what the server costs doing nothing (timers, the checkpointer thread)
  const a = snapshot();
  await sleep(cfg.durationSec * 1000);
  result = { phase: 'idle', cpu: cpuBetween(a, snapshot(), 0) };
} else if (cfg.phase === 'closed') {
  const kind = cfg.kind;
  let stop = false;
  let i = 0;
  const order = devices;
  const worker = async () => {
    while (!stop) {
      if (cfg.once && i >= order.length) return;
      const d = order[i++ % order.length];
      await one(kind, d, performance.now(), false);
    }
  };
  let a;
  let b;
  if (cfg.once) {
    measuring = true;
    a = snapshot();
    await Promise.all(Array.from({ length: cfg.connections }, worker));
  } else {
    const workers = Promise.all(Array.from({ length: cfg.connections }, worker));
    await sleep(cfg.warmupSec * 1000);
    measuring = true;
    a = snapshot();
    await sleep(cfg.durationSec * 1000);
    measuring = false;
    b = snapshot();
    stop = true;
    await workers;
  }
  b ??= snapshot();
  const s = (b.t - a.t) / 1000;
  const st = stats[kind].summary(s, kind);
  result = { phase: cfg.once ? 'once' : 'closed', kind, connections: cfg.connections, devices: devices.length, ...st, cpu: cpuBetween(a, b, stats[kind].n) };
} else if (cfg.phase === 'open') {
  // a shuffled order (seeded), so consecutive requests come from unrelated devices, as in a real fleet
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const order = devices.map((d) => d);
  for (let k = order.length - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1));
    [order[k], order[j]] = [order[j], order[k]];
  }
  const kinds = Object.entries(cfg.rates).filter(([, r]) => r > 0);
  const issued = Object.fromEntries(kinds.map(([k]) => [k, 0]));
  const offset = { reports: 0, policy: Math.floor(order.length / 2) };
  const inflight = new Set();
  measuring = true;
  const a = snapshot();
  const start = a.t;
  const end = start + cfg.durationSec * 1000;
  while (performance.now() < end) {
    const now = performance.now();
    for (const [k, rate] of kinds) {
      // request i is due at start + i / rate
      const due = Math.min(Math.floor(((now - start) / 1000) * rate) + 1, Math.floor(cfg.durationSec * rate));
      while (issued[k] < due) {
        const scheduled = start + (issued[k] / rate) * 1000;
        const d = order[(offset[k] + issued[k]) % order.length];
        issued[k]++;
        const p = one(k, d, scheduled, cfg.newConnections === true);
        inflight.add(p);
        p.finally(() => inflight.delete(p));
      }
    }
    await sleep(2);
  }
  await Promise.all([...inflight]);
  const b = snapshot();
  const s = cfg.durationSec;
  const handled = kinds.reduce((n, [k]) => n + stats[k].n, 0);
  result = {
    phase: 'open',
    newConnections: cfg.newConnections === true,
    devices: devices.length,
    targetPerSecond: cfg.rates,
    ...Object.fromEntries(kinds.map(([k]) => [k, { issued: issued[k], ...stats[k].summary(s, k) }])),
    cpu: cpuBetween(a, b, handled),
  };
}
await pool.close();
await raw?.close();
console.log(JSON.stringify({ ...result, client: raw === null ? 'undici' : 'raw' }));
process.exit(0);
