/**
 * The process's own counters and the Prometheus text exposition (format 0.0.4) of /metrics. Every series
 * is named `ccfleet_…`; label values are escaped (backslash, double quote, newline). Fleet gauges come from
 * the store's summary at scrape time; counters are this process's since it started (with several replicas,
 * sum them in the query).
 */
import type { ApiErrorCode } from './errors.js';
import type { FleetSummary } from './store/types.js';

export const ROUTES = [
  'healthz', 'enroll', 'policy', 'reports', 'fleet_summary', 'fleet_devices', 'fleet_device', 'fleet_trend',
  'fleet_events', 'metrics', 'dashboard', 'not_found',
] as const;
export type RouteId = (typeof ROUTES)[number];

/** Histogram bucket bounds (seconds) of ccfleet_http_request_duration_seconds. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Why a report was refused: the error code, or the client leaving mid-body. */
export type RejectReason = ApiErrorCode | 'client-gone';

class Histogram {
  /** Per route: one count per bucket (cumulative at render), then +Inf. */
  private readonly counts = new Float64Array(ROUTES.length * (DURATION_BUCKETS.length + 1));
  private readonly sums = new Float64Array(ROUTES.length);
  private readonly index = new Map<RouteId, number>(ROUTES.map((r, i) => [r, i]));

  observe(route: RouteId, seconds: number): void {
    const r = this.index.get(route)!;
    let b = 0;
    while (b < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[b]!) b++;
    this.counts[r * (DURATION_BUCKETS.length + 1) + b]! += 1;
    this.sums[r]! += seconds;
  }

  render(out: string[], name: string): void {
    const width = DURATION_BUCKETS.length + 1;
    ROUTES.forEach((route, r) => {
      let total = 0;
      for (let b = 0; b < width; b++) total += this.counts[r * width + b]!;
      if (total === 0) return;
      let cum = 0;
      for (let b = 0; b < width; b++) {
        cum += this.counts[r * width + b]!;
        const le = b < DURATION_BUCKETS.length ? String(DURATION_BUCKETS[b]) : '+Inf';
        out.push(`${name}_bucket{route="${route}",le="${le}"} ${cum}`);
      }
      out.push(`${name}_sum{route="${route}"} ${num(this.sums[r]!)}`);
      out.push(`${name}_count{route="${route}"} ${total}`);
    });
  }
}

export class ServerMetrics {
  reportsStored = 0;
  reportsDuplicate = 0;
  readonly reportsRejected = new Map<RejectReason, number>();
  readonly policyServed = { full: 0, notModified: 0 };
  enrollments = 0;
  readonly authFailures = new Map<string, number>();
  readonly rateLimited = new Map<string, number>();
  /** Admin credentials refused unchecked because the client failed too often (login-throttle.ts). */
  readonly adminThrottled = new Map<'login' | 'bearer', number>();
  historyPruned = 0;
  private readonly durations = new Histogram();

  observe(route: RouteId, seconds: number): void {
    this.durations.observe(route, seconds);
  }

  rejectReport(reason: RejectReason): void {
    this.reportsRejected.set(reason, (this.reportsRejected.get(reason) ?? 0) + 1);
  }

  authFailure(kind: 'device' | 'admin' | 'enroll'): void {
    this.authFailures.set(kind, (this.authFailures.get(kind) ?? 0) + 1);
  }

  limited(route: 'reports' | 'policy'): void {
    this.rateLimited.set(route, (this.rateLimited.get(route) ?? 0) + 1);
  }

  throttledAdmin(via: 'login' | 'bearer'): void {
    this.adminThrottled.set(via, (this.adminThrottled.get(via) ?? 0) + 1);
  }

  /** The whole exposition. `summary` null: the store did not answer (fleet gauges left out, store_up 0). */
  render(o: { summary: FleetSummary | null; storeKind: string; policy: { id: string; version: number } | null; version: string; extra?: string[] }): string {
    const out: string[] = [];
    const s = o.summary;
    meta(out, 'ccfleet_build_info', 'gauge', 'The server build (value 1).');
    out.push(`ccfleet_build_info{version="${esc(o.version)}"} 1`);
    meta(out, 'ccfleet_store_info', 'gauge', 'The store kind in use (value 1).');
    out.push(`ccfleet_store_info{kind="${esc(o.storeKind)}"} 1`);
    meta(out, 'ccfleet_store_up', 'gauge', '1 when the store answered this scrape.');
    out.push(`ccfleet_store_up ${s ? 1 : 0}`);
    if (s) {
      meta(out, 'ccfleet_devices', 'gauge', 'Devices by state (from each device\'s latest report; stale: no report for the stale period).');
      for (const state of ['compliant', 'noncompliant', 'stale'] as const) out.push(`ccfleet_devices{state="${state}"} ${s.byState[state] ?? 0}`);
      meta(out, 'ccfleet_compliance_ratio', 'gauge', 'Compliant devices / (compliant + noncompliant); NaN when no device reported.');
      out.push(`ccfleet_compliance_ratio ${s.complianceRatio === null ? 'NaN' : num(s.complianceRatio)}`);
      meta(out, 'ccfleet_users', 'gauge', 'Users in the devices\' latest reports.');
      out.push(`ccfleet_users ${s.users}`);
      meta(out, 'ccfleet_users_noncompliant', 'gauge', 'Non-compliant users in the devices\' latest reports.');
      out.push(`ccfleet_users_noncompliant ${s.nonCompliantUsers}`);
      meta(out, 'ccfleet_model_selected_users', 'gauge', 'Users by the model Claude Code selects for them (resolved).');
      for (const [m, n] of sorted(s.modelsSelected)) out.push(`ccfleet_model_selected_users{model="${esc(m)}"} ${n}`);
      meta(out, 'ccfleet_model_used_users', 'gauge', 'Users by the model they really used last.');
      for (const [m, n] of sorted(s.modelsUsed)) out.push(`ccfleet_model_used_users{model="${esc(m)}"} ${n}`);
      meta(out, 'ccfleet_drift_repairs_24h', 'gauge', 'drift-repaired events reported in the last 24 hours.');
      out.push(`ccfleet_drift_repairs_24h ${s.driftRepairs24h}`);
      meta(out, 'ccfleet_reports_stored', 'gauge', 'Reports held in the store.');
      out.push(`ccfleet_reports_stored ${s.reportsTotal}`);
    }
    if (o.policy) {
      meta(out, 'ccfleet_policy_info', 'gauge', 'The policy this server serves (value 1).');
      out.push(`ccfleet_policy_info{id="${esc(o.policy.id)}",version="${o.policy.version}"} 1`);
    }
    meta(out, 'ccfleet_reports_received_total', 'counter', 'Reports accepted by this process (stored or duplicate).');
    out.push(`ccfleet_reports_received_total ${this.reportsStored + this.reportsDuplicate}`);
    meta(out, 'ccfleet_reports_duplicate_total', 'counter', 'Reports received again (same id) and not stored twice.');
    out.push(`ccfleet_reports_duplicate_total ${this.reportsDuplicate}`);
    meta(out, 'ccfleet_reports_rejected_total', 'counter', 'Reports refused, by reason (the error code).');
    for (const [r, n] of sorted(Object.fromEntries(this.reportsRejected))) out.push(`ccfleet_reports_rejected_total{reason="${esc(r)}"} ${n}`);
    meta(out, 'ccfleet_policy_requests_total', 'counter', 'Policy answers: full (200) or not modified (304).');
    out.push(`ccfleet_policy_requests_total{result="full"} ${this.policyServed.full}`);
    out.push(`ccfleet_policy_requests_total{result="not_modified"} ${this.policyServed.notModified}`);
    meta(out, 'ccfleet_enrollments_total', 'counter', 'Devices enrolled or re-enrolled.');
    out.push(`ccfleet_enrollments_total ${this.enrollments}`);
    meta(out, 'ccfleet_auth_failures_total', 'counter', 'Requests refused for a missing or wrong token or secret.');
    for (const [k, n] of sorted(Object.fromEntries(this.authFailures))) out.push(`ccfleet_auth_failures_total{kind="${esc(k)}"} ${n}`);
    meta(out, 'ccfleet_rate_limited_total', 'counter', 'Requests refused by the per-device rate limit.');
    for (const [k, n] of sorted(Object.fromEntries(this.rateLimited))) out.push(`ccfleet_rate_limited_total{route="${esc(k)}"} ${n}`);
    meta(out, 'ccfleet_admin_auth_throttled_total', 'counter', 'Admin logins (form) and admin Bearer tokens refused (429) because the client failed too often.');
    for (const via of ['bearer', 'login'] as const) out.push(`ccfleet_admin_auth_throttled_total{via="${via}"} ${this.adminThrottled.get(via) ?? 0}`);
    meta(out, 'ccfleet_history_pruned_total', 'counter', 'History rows deleted by retention.');
    out.push(`ccfleet_history_pruned_total ${this.historyPruned}`);
    meta(out, 'ccfleet_http_request_duration_seconds', 'histogram', 'HTTP request durations by route.');
    this.durations.render(out, 'ccfleet_http_request_duration_seconds');
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    meta(out, 'ccfleet_process_resident_memory_bytes', 'gauge', 'Resident memory of this process.');
    out.push(`ccfleet_process_resident_memory_bytes ${mem.rss}`);
    meta(out, 'ccfleet_process_cpu_seconds_total', 'counter', 'CPU time (user + system) of this process.');
    out.push(`ccfleet_process_cpu_seconds_total ${num((cpu.user + cpu.system) / 1e6)}`);
    meta(out, 'ccfleet_process_uptime_seconds', 'gauge', 'Seconds since this process started.');
    out.push(`ccfleet_process_uptime_seconds ${num(process.uptime())}`);
    if (o.extra) out.push(...o.extra);
    return out.join('\n') + '\n';
  }
}

function meta(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
}

/** A label value as the text format wants it. */
export function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function num(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

const sorted = (r: Record<string, number>): Array<[string, number]> => Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
