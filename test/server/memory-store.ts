/**
 * A small in-memory Store for the HTTP tests (the real ones live in src/server/store/ and have their own
 * suite). Enough of the semantics to check what the routes pass through: enrolment, token lookup,
 * idempotent reports, latest-per-device, filters, events, prune. `failing` makes every call throw
 * (store-unavailable paths); `calls` counts writes (refused requests must change nothing).
 */
import type { WireReport } from '../../src/core/report-schema.js';
import type { DeviceQuery, DeviceRow, FleetSummary, StoredReport, Store, StoreOptions, TrendPoint } from '../../src/server/store/types.js';

interface Dev {
  id: string;
  hostname: string;
  tokenHash: string;
  enrolledAt: string;
}

export class MemoryStore implements Store {
  readonly kind = 'sqlite' as const;
  failing = false;
  writes = 0;
  readonly devicesById = new Map<string, Dev>();
  readonly reports = new Map<string, StoredReport>();
  private readonly staleHours: number;
  private readonly now: () => Date;

  constructor(o: StoreOptions = {}) {
    this.staleHours = o.staleHours ?? 24;
    this.now = o.now ?? (() => new Date());
  }

  private check(): void {
    if (this.failing) throw new Error('database is locked (test)');
  }

  async schemaVersion(): Promise<number> {
    this.check();
    return 1;
  }

  async ping(): Promise<boolean> {
    return !this.failing;
  }

  async enroll(d: { id: string; tokenHash: string; hostname: string; at: string }): Promise<void> {
    this.check();
    this.writes++;
    const old = this.devicesById.get(d.id);
    this.devicesById.set(d.id, { id: d.id, hostname: d.hostname || old?.hostname || '', tokenHash: d.tokenHash, enrolledAt: old?.enrolledAt ?? d.at });
  }

  async deviceForToken(tokenHash: string): Promise<{ id: string; hostname: string } | null> {
    this.check();
    for (const d of this.devicesById.values()) if (d.tokenHash === tokenHash) return { id: d.id, hostname: d.hostname };
    return null;
  }

  async addReport(r: { report: WireReport; receivedAt: string }): Promise<'stored' | 'duplicate'> {
    this.check();
    if (this.reports.has(r.report.id)) return 'duplicate';
    this.writes++;
    this.reports.set(r.report.id, { id: r.report.id, deviceId: r.report.deviceId, receivedAt: r.receivedAt, report: r.report });
    return 'stored';
  }

  private latest(deviceId: string): StoredReport | null {
    let best: StoredReport | null = null;
    for (const r of this.reports.values()) if (r.deviceId === deviceId && (!best || r.report.createdAt > best.report.createdAt)) best = r;
    return best;
  }

  private row(d: Dev): DeviceRow {
    const l = this.latest(d.id);
    const last = l?.report.createdAt ?? null;
    const staleBefore = this.now().getTime() - this.staleHours * 3_600_000;
    const stale = Date.parse(last ?? d.enrolledAt) < staleBefore;
    const users = l?.report.users ?? [];
    return {
      id: d.id,
      hostname: l?.report.hostname ?? d.hostname,
      enrolledAt: d.enrolledAt,
      lastReportAt: last,
      compliant: l ? l.report.compliant : null,
      state: stale || !l ? 'stale' : l.report.compliant ? 'compliant' : 'noncompliant',
      policyId: l?.report.policy?.id ?? null,
      policyVersion: l?.report.policy?.version ?? null,
      agentVersion: l?.report.agentVersion ?? null,
      platform: l?.report.os.platform ?? null,
      users: users.length,
      nonCompliantUsers: users.filter((u) => !u.compliant).length,
      models: [...new Set(users.map((u) => u.selectedModel.resolved).filter((m): m is string => m !== null))],
      usedModels: [...new Set(users.map((u) => u.lastUsedModel?.served).filter((m): m is string => typeof m === 'string'))],
    };
  }

  async summary(): Promise<FleetSummary> {
    this.check();
    const rows = [...this.devicesById.values()].map((d) => this.row(d));
    const byState = { compliant: 0, noncompliant: 0, stale: 0 };
    for (const r of rows) byState[r.state]++;
    const modelsSelected: Record<string, number> = {};
    const modelsUsed: Record<string, number> = {};
    let users = 0;
    let nonCompliantUsers = 0;
    for (const d of this.devicesById.values()) {
      for (const u of this.latest(d.id)?.report.users ?? []) {
        users++;
        if (!u.compliant) nonCompliantUsers++;
        if (u.selectedModel.resolved) modelsSelected[u.selectedModel.resolved] = (modelsSelected[u.selectedModel.resolved] ?? 0) + 1;
        if (u.lastUsedModel?.served) modelsUsed[u.lastUsedModel.served] = (modelsUsed[u.lastUsedModel.served] ?? 0) + 1;
      }
    }
    const judged = byState.compliant + byState.noncompliant;
    let drift = 0;
    for (const r of this.reports.values()) drift += r.report.events.filter((e) => e.kind === 'drift-repaired').length;
    return { devices: rows.length, byState, complianceRatio: judged ? byState.compliant / judged : null, users, nonCompliantUsers, modelsSelected, modelsUsed, driftRepairs24h: drift, reportsTotal: this.reports.size };
  }

  async devices(q: DeviceQuery): Promise<{ devices: DeviceRow[]; nextCursor: string | null }> {
    this.check();
    let rows = [...this.devicesById.values()].map((d) => this.row(d)).sort((a, b) => (a.id < b.id ? -1 : 1));
    if (q.state) rows = rows.filter((r) => r.state === q.state);
    if (q.model) rows = rows.filter((r) => r.models.includes(q.model!) || r.usedModels.includes(q.model!));
    if (q.user) rows = rows.filter((r) => (this.latest(r.id)?.report.users ?? []).some((u) => u.name === q.user));
    if (q.staleSince) rows = rows.filter((r) => r.lastReportAt === null || r.lastReportAt < q.staleSince!);
    if (q.search) rows = rows.filter((r) => r.hostname.includes(q.search!) || r.id.includes(q.search!));
    if (q.cursor) rows = rows.filter((r) => r.id > q.cursor!);
    const page = rows.slice(0, q.limit);
    return { devices: page, nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null };
  }

  async device(id: string, historyLimit: number) {
    this.check();
    const d = this.devicesById.get(id);
    if (!d) return null;
    const history = [...this.reports.values()]
      .filter((r) => r.deviceId === id)
      .sort((a, b) => (a.report.createdAt < b.report.createdAt ? 1 : -1))
      .slice(0, historyLimit)
      .map((r) => ({ id: r.id, createdAt: r.report.createdAt, receivedAt: r.receivedAt, compliant: r.report.compliant, repaired: r.report.files.filter((f) => f.state === 'repaired').length, events: r.report.events.length }));
    return { device: this.row(d), latest: this.latest(id), history };
  }

  async trend(q: { since: string; bucket: 'hour' | 'day' }): Promise<TrendPoint[]> {
    this.check();
    const size = q.bucket === 'hour' ? 3_600_000 : 86_400_000;
    const buckets = new Map<number, { c: number; n: number; devices: Set<string> }>();
    for (const r of this.reports.values()) {
      const t = Date.parse(r.report.createdAt);
      if (t < Date.parse(q.since)) continue;
      const k = Math.floor(t / size) * size;
      const b = buckets.get(k) ?? { c: 0, n: 0, devices: new Set<string>() };
      b.n++;
      if (r.report.compliant) b.c++;
      b.devices.add(r.deviceId);
      buckets.set(k, b);
    }
    return [...buckets.entries()].sort(([a], [b]) => a - b).map(([k, b]) => ({ at: new Date(k).toISOString(), complianceRatio: b.n ? b.c / b.n : null, devices: b.devices.size }));
  }

  async events(q: { deviceId?: string; kind?: string; limit: number }) {
    this.check();
    const out: Array<{ deviceId: string; at: string; kind: string; user: string | null; path: string | null; codes: string[]; message: string | null }> = [];
    for (const r of this.reports.values()) {
      if (q.deviceId && r.deviceId !== q.deviceId) continue;
      for (const e of r.report.events) {
        if (q.kind && e.kind !== q.kind) continue;
        out.push({ deviceId: r.deviceId, at: e.at, kind: e.kind, user: e.user ?? null, path: e.path ?? null, codes: e.codes ?? [], message: e.message ?? null });
      }
    }
    return out.sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, q.limit);
  }

  async prune(historyDays: number): Promise<number> {
    this.check();
    const before = this.now().getTime() - historyDays * 86_400_000;
    let n = 0;
    for (const [id, r] of this.reports) {
      if (Date.parse(r.report.createdAt) < before && this.latest(r.deviceId)?.id !== id) {
        this.reports.delete(id);
        n++;
      }
    }
    if (n) this.writes++;
    return n;
  }

  async close(): Promise<void> {}
}
