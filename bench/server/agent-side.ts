/**
 * The TypeScript half of bench/server.mjs, bundled with esbuild (as bench/run.mjs does): realistic
 * ccfleet.report/v1 reports built with the agent's own buildReport, their validation as the server does it
 * (reportSchema + the raw-secret check), the policy signing key, and the agent side of the spool-through-an-
 * outage scenario (the real Spool, Enrollment and Sender).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MachineReport, UserReport } from '../../src/agent/report-types.js';
import { buildReport, type ReportEvent } from '../../src/agent/report/build-report.js';
import { Enrollment } from '../../src/agent/report/enroll.js';
import { Sender, type DeliveryResult } from '../../src/agent/report/sender.js';
import { Spool, SPOOL_DEFAULTS } from '../../src/agent/report/spool.js';
import { reportSchema, type WireReport } from '../../src/core/report-schema.js';
import { reportHasRawSecret } from '../../src/server/raw-secret.js';

export { generateKeyPair } from '../../src/agent/policy-signing.js';
export const SPOOL_MAX_COUNT = SPOOL_DEFAULTS.maxCount;

const MODELS = [
  { requested: 'sonnet', resolved: 'sonnet-model', source: 'managed.env.ANTHROPIC_DEFAULT_SONNET_MODEL' },
  { requested: 'opus', resolved: 'opus-model', source: 'managed.env.ANTHROPIC_DEFAULT_OPUS_MODEL' },
  { requested: 'haiku', resolved: 'haiku-model', source: 'managed.env.ANTHROPIC_DEFAULT_HAIKU_MODEL' },
];
const SERVED = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'];
const NAMES = ['alice', 'bob', 'carol', 'dave'];
const PROJECTS = ['api', 'web-frontend', 'infra/terraform', 'data-pipeline'];

function user(name: string, v: number, k: number): UserReport {
  const model = MODELS[(v + k) % MODELS.length]!;
  const home = `/home/${name}`;
  const drifted = v % 8 === 7 && k === 0;
  const projects = PROJECTS.slice(0, k === 0 ? 1 + (v % 2) : 1).map((p, j) => ({
    path: `${home}/src/${p}`,
    compliant: !(drifted && j === 0),
    selectedModel: drifted && j === 0 ? { requested: 'claude-opus-4-1-20250805', resolved: 'claude-opus-4-1-20250805', source: `project:${home}/src/${p}.model` } : model,
    findings: drifted && j === 0 ? [{ code: 'model-present', key: 'model' }] : [],
  }));
  return {
    name,
    home,
    configDir: `${home}/.claude`,
    compliant: !drifted,
    selectedModel: model,
    findings: [],
    env: { ANTHROPIC_BASE_URL: { value: 'https://bifrost.corp.example/anthropic', source: 'managed' } },
    projects,
    claude: { installs: [{ method: 'native', path: `${home}/.local/bin/claude`, version: '2.1.33' }], version: '2.1.33', installMethod: 'native', minVersion: null, outdated: false },
    auth: { credential: 'api-key', source: 'managed', fingerprint: `fp:${(0x5e11a0 + v * 7 + k).toString(16)}0a1b2c`, apiKeyResponse: 'approved', oauthLogin: false, headers: { authorization: null, xApiKey: 'api-key' }, claudeJson: 'ok' },
    lastUsedModel: { served: SERVED[(v + k) % SERVED.length]!, requested: model.resolved, at: '2026-01-15T09:12:44.118Z', cwd: projects[0]!.path, mapped: true },
    usage: { filesRead: 8, filesSeen: 120 },
  };
}

/** A laptop with two users (variant `v` changes names, models, projects and, for 1 in 8, a drifted project). */
export function machine(v: number): MachineReport {
  const users = [user(NAMES[v % 4]!, v, 0), user(NAMES[(v + 1) % 4]!, v, 1)];
  const files: MachineReport['files'] = [
    { path: '/etc/claude-code/managed-settings.d/50-ccfleet.json', scope: 'managed', role: 'managed-dropin', user: null, state: 'compliant', compliant: true, findings: [] },
  ];
  for (const u of users) {
    files.push({ path: `${u.configDir}/settings.json`, scope: 'user', role: 'user', user: u.name, state: 'compliant', compliant: true, findings: [] });
    for (const p of u.projects) {
      files.push({ path: `${p.path}/.claude/settings.json`, scope: 'project', role: 'project', user: u.name, project: p.path, state: p.compliant ? 'compliant' : 'drifted', compliant: p.compliant, findings: p.findings });
    }
  }
  const nonCompliant = users.filter((u) => !u.compliant).length;
  return {
    compliant: nonCompliant === 0,
    mode: 'check',
    policy: { id: 'bifrost-claude-code', version: 7 },
    platform: 'linux',
    managed: { compliant: true, dir: '/etc/claude-code', findings: [] },
    users,
    files,
    summary: { users: users.length, files: files.length, nonCompliantUsers: nonCompliant, repaired: 0, unsafe: 0, unparseable: 0, errors: 0 },
  };
}

const POLICY_DIGEST = 'a3f1c9e07b2d4f6a8c0e1b3d5f7092a4c6e8f0b1d3a5c7e9f1b3d5a7c9e1f3b5';

function events(v: number, at: Date): ReportEvent[] {
  if (v % 4 !== 1) return [];
  return [{ at: new Date(at.getTime() - 42_000).toISOString(), kind: 'drift-repaired', user: NAMES[v % 4]!, path: `/home/${NAMES[v % 4]!}/.claude/settings.json`, codes: ['model-present'], message: 'removed model (set by /model)' }];
}

/** One report of variant `v` for a device. */
export function makeReport(v: number, o: { id: string; deviceId: string; hostname: string; createdAt: Date; spoolDropped?: number }): WireReport {
  const r = buildReport(machine(v), {
    deviceId: o.deviceId,
    hostname: o.hostname,
    agentVersion: '0.1.0',
    os: { platform: 'linux', arch: 'x64', release: '6.1.0-28-amd64' },
    policyDigest: POLICY_DIGEST,
    events: events(v, o.createdAt),
    eventsDropped: 0,
    spoolDropped: o.spoolDropped ?? 0,
    now: o.createdAt,
    homePaths: 'full',
    homes: {},
  });
  return { ...r, id: o.id };
}

/** What POST /v1/reports checks before storing: the schema, and no raw key or token anywhere. */
export function validateReport(text: string): { ok: true } | { ok: false; why: string } {
  const value: unknown = JSON.parse(text);
  if (reportHasRawSecret(text, value)) return { ok: false, why: 'raw-secret' };
  const r = reportSchema.safeParse(value);
  return r.success ? { ok: true } : { ok: false, why: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

// ------------------------------------------------------------------------------------------------------
// Spool through an outage (agent side)

export interface OutageAgentOptions {
  server: string;
  enrollSecret: string;
  deviceId: string;
  /** Spool bounds (undefined: the agent's defaults, as `ccfleet daemon` opens it). */
  maxCount?: number;
  /** Fake clock start (ms). */
  startMs: number;
}

const quietLog = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** One simulated agent: a state dir, the real Spool/Enrollment/Sender on a fake clock. */
export class OutageAgent {
  readonly stateDir: string;
  readonly spool: Spool;
  readonly sender: Sender;
  nowMs: number;
  /** Ids of every report put, in order, and those the spool dropped (full). */
  readonly put: string[] = [];
  dropped = 0;
  /** Report ids the spool dropped (full), oldest first. */
  readonly droppedIds: string[] = [];
  private n = 0;

  constructor(readonly o: OutageAgentOptions) {
    this.stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-agent-'));
    this.nowMs = o.startMs;
    const now = (): number => this.nowMs;
    const onDrop = (d: { name: string }): void => {
      this.dropped++;
      this.droppedIds.push(/^\d{13}-\d{6}-(.+)\.json$/.exec(d.name)?.[1] ?? d.name);
    };
    this.spool = Spool.open(this.stateDir, { now, onDrop, ...(o.maxCount !== undefined ? { maxCount: o.maxCount } : {}) });
    const enrollment = new Enrollment({ stateDir: this.stateDir, server: o.server, enrollSecret: o.enrollSecret, deviceId: o.deviceId, hostname: `${o.deviceId}.corp.example`, now: () => new Date(now()) });
    this.sender = new Sender({ spool: this.spool, server: o.server, enrollment, http: { timeoutMs: 10_000, userAgent: 'ccfleet-bench/0.1.0' }, log: quietLog, now });
  }

  /** Advances the fake clock and puts one report (as the reporter does: spoolDropped from the spool). Returns the put's wall time (ms). */
  putNext(stepMs: number): number {
    this.nowMs += stepMs;
    const id = `${this.o.deviceId}-r${String(++this.n).padStart(5, '0')}`;
    const r = makeReport(this.n % 8, { id, deviceId: this.o.deviceId, hostname: `${this.o.deviceId}.corp.example`, createdAt: new Date(this.nowMs), spoolDropped: this.spool.pendingDropped() });
    const t = performance.now();
    this.spool.put(r);
    const ms = performance.now() - t;
    this.put.push(id);
    return ms;
  }

  deliver(force = false): Promise<DeliveryResult> {
    return this.sender.deliver({ force });
  }

  /** The spoolDropped carried by the reports waiting in the spool (what the server will learn). */
  carriedInSpool(): number {
    let n = 0;
    for (const e of this.spool.list()) n += this.spool.read(e)?.spoolDropped ?? 0;
    return n;
  }

  async close(): Promise<void> {
    await this.sender.stop();
    fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------------
// A backlog drained against the server's default per-device rate limit, in simulated time: the real app
// (createApp, default limits, a SQLite store) in this process on loopback, its clock and the agent's the
// same fake clock, advanced by each round's retryInMs — the Sender's real backoff (full jitter) and the
// server's real token bucket decide how long the backlog takes.

export interface RateLimitedDrain {
  backlog: number;
  /** The server takes batches (limits.reportBatch default) or not (an older server: one report a request). */
  batches: boolean;
  rounds: number;
  /** POST /v1/reports requests the server answered (2xx and 429). */
  httpRequests: number;
  /** Real time the drain took on this machine (the simulated waits cost nothing). */
  wallMs: number;
  requests: { delivered: number; refused429: number };
  simulatedMinutes: number;
  outcomes: Record<string, number>;
}

export async function rateLimitedDrain(dir: string, backlog: number, secrets: { admin: string; enroll: string }, o: { batches?: boolean } = {}): Promise<RateLimitedDrain> {
  const batches = o.batches ?? true;
  const http = await import('node:http');
  const { createApp } = await import('../../src/server/app.js');
  const { hashSecret } = await import('../../src/server/admin-auth.js');
  const { staticPolicy } = await import('../../src/server/policy-source.js');
  const { openStore } = await import('../../src/server/store/open.js');
  const store = await openStore(path.join(fs.mkdtempSync(path.join(dir, 'rl-')), 'ccfleet.sqlite'));
  const clock = { ms: Date.now() - 86_400_000 };
  const app = createApp({ store, adminTokenHashes: [hashSecret(secrets.admin)], enrollSecretHashes: [hashSecret(secrets.enroll)], policy: staticPolicy(null), now: () => new Date(clock.ms), ...(batches ? {} : { limits: { reportBatch: null } }) });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const agent = new OutageAgent({ server: `http://127.0.0.1:${port}`, enrollSecret: secrets.enroll, deviceId: `bench-rl-${port}`, maxCount: backlog + 1, startMs: clock.ms });
  try {
    for (let i = 0; i < backlog; i++) agent.putNext(60_000);
    clock.ms = agent.nowMs; // the server is back now
    const t0 = agent.nowMs;
    const wall0 = performance.now();
    const outcomes: Record<string, number> = {};
    let rounds = 0;
    let delivered = 0;
    let refused = 0;
    for (;;) {
      const r = await agent.deliver();
      rounds++;
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      delivered += r.delivered.length;
      if (r.outcome === 'retry') refused++;
      if (r.remaining === 0 || rounds > 100_000) break;
      if (r.outcome !== 'retry' && r.outcome !== 'deferred') throw new Error(`unexpected delivery outcome ${r.outcome}: ${r.message ?? ''}`);
      agent.nowMs += r.retryInMs ?? 1000;
      clock.ms = agent.nowMs;
    }
    const wallMs = Math.round(performance.now() - wall0);
    const httpRequests = Number(/^ccfleet_http_request_duration_seconds_count\{route="reports"\} (\d+)$/m.exec(app.metrics.render({ summary: null, storeKind: 'sqlite', policy: null, version: 'bench' }))?.[1] ?? 0);
    return { backlog, batches, rounds, httpRequests, wallMs, requests: { delivered, refused429: refused }, simulatedMinutes: Math.round(((agent.nowMs - t0) / 60_000) * 10) / 10, outcomes };
  } finally {
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
    app.close();
    await store.close();
  }
}
