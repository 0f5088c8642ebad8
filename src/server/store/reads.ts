/**
 * The store's queries, written once for both databases: SQL text with `?` placeholders that SQLite and
 * PostgreSQL both accept (the PostgreSQL runner numbers them), booleans compared with TRUE/FALSE, times as
 * canonical ISO text. Each implementation supplies `all()`; values come back normalised here (PostgreSQL
 * returns counts as strings, SQLite booleans as 0/1).
 */
import { CcfleetError } from '../../core/errors.js';
import type { WireReport } from '../../core/report-schema.js';
import { canonicalTime } from './derive.js';
import type { DeviceDetail, DeviceQuery, DeviceRow, DeviceState, EventRow, FleetSummary, HistoryEntry, StoredReport, TrendPoint } from './types.js';

export type SqlValue = string | number | boolean | null;
export type SqlRow = Record<string, unknown>;

export interface ReadContext {
  all(sql: string, params?: SqlValue[]): Promise<SqlRow[]>;
  /** Runs the queries in one consistent snapshot (one read transaction); one row list per query. */
  snapshot(queries: ReadonlyArray<readonly [sql: string, params: SqlValue[]]>): Promise<SqlRow[][]>;
  staleHours: number;
  now: () => Date;
}

export const MAX_PAGE = 1000;
const MAX_TREND_POINTS = 5000;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const nullableNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const bool = (v: unknown): boolean => v === true || v === 1 || v === 1n;
const nullableBool = (v: unknown): boolean | null => (v === null || v === undefined ? null : bool(v));
const str = (v: unknown): string => String(v);
const nullableStr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
function strings(v: unknown): string[] {
  try {
    const parsed: unknown = JSON.parse(String(v));
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function limitOf(value: number, what: string, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new CcfleetError('INVALID_QUERY', `${what} must be an integer ≥ ${min}`);
  return Math.min(value, MAX_PAGE);
}

export function staleCutoff(ctx: Pick<ReadContext, 'staleHours' | 'now'>): string {
  return new Date(ctx.now().getTime() - ctx.staleHours * 3_600_000).toISOString();
}

const DEVICE_COLUMNS =
  'd.id, d.hostname, d.enrolled_at, d.last_report_id, d.last_report_at, d.compliant, d.policy_id, d.policy_version, d.agent_version, d.platform, d.users, d.non_compliant_users, d.models, d.used_models';
/** When the device was last heard of: its latest report, or its enrolment. */
const SEEN = 'COALESCE(d.last_report_at, d.enrolled_at)';
/** The device list's order: newest report first, never-reported last, then id. */
const SORT_KEY = "COALESCE(d.last_report_at, '')";

function deviceRow(r: SqlRow, cutoff: string): DeviceRow {
  const lastReportAt = nullableStr(r.last_report_at);
  const enrolledAt = str(r.enrolled_at);
  const compliant = nullableBool(r.compliant);
  const state: DeviceState = (lastReportAt ?? enrolledAt) < cutoff ? 'stale' : compliant === true ? 'compliant' : 'noncompliant';
  return {
    id: str(r.id),
    hostname: str(r.hostname),
    enrolledAt,
    lastReportAt,
    compliant,
    state,
    policyId: nullableStr(r.policy_id),
    policyVersion: nullableNum(r.policy_version),
    agentVersion: nullableStr(r.agent_version),
    platform: nullableStr(r.platform),
    users: num(r.users),
    nonCompliantUsers: num(r.non_compliant_users),
    models: strings(r.models),
    usedModels: strings(r.used_models),
  };
}

interface Cursor {
  key: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.key, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return { key: v[0], id: v[1] };
  } catch {
    // refused below
  }
  throw new CcfleetError('INVALID_QUERY', 'the page cursor is not one this server issued');
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function readDevices(ctx: ReadContext, q: DeviceQuery): Promise<{ devices: DeviceRow[]; nextCursor: string | null }> {
  const limit = limitOf(q.limit, 'limit', 1);
  const cutoff = staleCutoff(ctx);
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (q.state !== undefined) {
    if (q.state === 'stale') where.push(`${SEEN} < ?`);
    else if (q.state === 'compliant') where.push(`${SEEN} >= ? AND d.compliant = TRUE`);
    else if (q.state === 'noncompliant') where.push(`${SEEN} >= ? AND (d.compliant IS NULL OR d.compliant = FALSE)`);
    else throw new CcfleetError('INVALID_QUERY', `unknown device state: ${JSON.stringify(String(q.state).slice(0, 32))}`);
    params.push(cutoff);
  }
  if (q.model !== undefined && q.model !== '') {
    where.push('EXISTS (SELECT 1 FROM device_users u WHERE u.device_id = d.id AND (u.selected_model = ? OR u.used_model = ?))');
    params.push(q.model, q.model);
  }
  if (q.user !== undefined && q.user !== '') {
    where.push('EXISTS (SELECT 1 FROM device_users u WHERE u.device_id = d.id AND u.user_name = ?)');
    params.push(q.user);
  }
  if (q.staleSince !== undefined && q.staleSince !== '') {
    where.push('(d.last_report_at IS NULL OR d.last_report_at < ?)');
    params.push(canonicalTime(q.staleSince, 'staleSince'));
  }
  if (q.search !== undefined && q.search.trim() !== '') {
    const pattern = `%${escapeLike(q.search.trim().toLowerCase())}%`;
    where.push("(lower(d.hostname) LIKE ? ESCAPE '\\' OR lower(d.id) LIKE ? ESCAPE '\\')");
    params.push(pattern, pattern);
  }
  if (q.cursor !== undefined && q.cursor !== '') {
    const c = decodeCursor(q.cursor);
    where.push(`(${SORT_KEY} < ? OR (${SORT_KEY} = ? AND d.id > ?))`);
    params.push(c.key, c.key, c.id);
  }
  const sql = `SELECT ${DEVICE_COLUMNS} FROM devices d${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${SORT_KEY} DESC, d.id LIMIT ?`;
  const rows = await ctx.all(sql, [...params, limit + 1]);
  const page = rows.slice(0, limit).map((r) => deviceRow(r, cutoff));
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor({ key: last.lastReportAt ?? '', id: last.id }) : null;
  return { devices: page, nextCursor };
}

export async function readSummary(ctx: ReadContext): Promise<FleetSummary> {
  const cutoff = staleCutoff(ctx);
  const dayAgo = new Date(ctx.now().getTime() - 86_400_000).toISOString();
  const [totals] = await ctx.all(
    `SELECT COUNT(*) AS devices,
       SUM(CASE WHEN ${SEEN} < ? THEN 1 ELSE 0 END) AS stale,
       SUM(CASE WHEN ${SEEN} >= ? AND d.compliant = TRUE THEN 1 ELSE 0 END) AS compliant,
       SUM(CASE WHEN d.last_report_at IS NOT NULL THEN 1 ELSE 0 END) AS reported,
       SUM(d.users) AS users, SUM(d.non_compliant_users) AS non_compliant_users
     FROM devices d`,
    [cutoff, cutoff],
  );
  const selected = await ctx.all('SELECT selected_model AS model, COUNT(*) AS n FROM device_users WHERE selected_model IS NOT NULL GROUP BY selected_model');
  const used = await ctx.all('SELECT used_model AS model, COUNT(*) AS n FROM device_users WHERE used_model IS NOT NULL GROUP BY used_model');
  const [repairs] = await ctx.all("SELECT COUNT(*) AS n FROM events WHERE kind = 'drift-repaired' AND at >= ?", [dayAgo]);
  const [reports] = await ctx.all('SELECT SUM(n) AS n FROM report_counts');
  const devices = num(totals?.devices);
  const stale = num(totals?.stale);
  const compliant = num(totals?.compliant);
  const noncompliant = devices - stale - compliant;
  const judged = compliant + noncompliant;
  return {
    devices,
    byState: { compliant, noncompliant, stale },
    complianceRatio: num(totals?.reported) === 0 || judged === 0 ? null : compliant / judged,
    users: num(totals?.users),
    nonCompliantUsers: num(totals?.non_compliant_users),
    // fromEntries defines own properties: a model called "__proto__" stays a key.
    modelsSelected: Object.fromEntries(selected.map((r) => [str(r.model), num(r.n)])),
    modelsUsed: Object.fromEntries(used.map((r) => [str(r.model), num(r.n)])),
    driftRepairs24h: num(repairs?.n),
    reportsTotal: num(reports?.n),
  };
}

const HISTORY_SQL = 'SELECT id, created_at, received_at, compliant, repaired, events FROM reports WHERE device_id = ? ORDER BY created_at DESC, id DESC LIMIT ?';
const LATEST_SQL = 'SELECT r.id, r.device_id, r.received_at, r.body FROM devices d JOIN reports r ON r.id = d.last_report_id WHERE d.id = ?';
const EVENTS_COLUMNS = 'SELECT device_id, at, kind, user_name, path, codes, message FROM events';
const EVENTS_ORDER = 'ORDER BY at DESC, id DESC LIMIT ?';

/**
 * The device, its latest report, history and events in one snapshot (ReadContext.snapshot): a report
 * stored meanwhile shows in all of them or in none — never a history newer than "latest".
 */
export async function readDevice(ctx: ReadContext, id: string, historyLimit: number, eventsLimit = 0): Promise<DeviceDetail | null> {
  const limit = limitOf(historyLimit, 'historyLimit', 0);
  const events = limitOf(eventsLimit, 'eventsLimit', 0);
  const queries: Array<[string, SqlValue[]]> = [
    [`SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.id = ?`, [id]],
    [LATEST_SQL, [id]],
  ];
  if (limit > 0) queries.push([HISTORY_SQL, [id, limit]]);
  if (events > 0) queries.push([`${EVENTS_COLUMNS} WHERE device_id = ? ${EVENTS_ORDER}`, [id, events]]);
  const [rows = [], latestRows = [], ...rest] = await ctx.snapshot(queries);
  const row = rows[0];
  if (row === undefined) return null;
  const r = latestRows[0];
  const latest: StoredReport | null = r === undefined ? null : { id: str(r.id), deviceId: str(r.device_id), receivedAt: str(r.received_at), report: JSON.parse(str(r.body)) as WireReport };
  const history: HistoryEntry[] = (limit > 0 ? rest.shift() ?? [] : []).map((h) => ({
    id: str(h.id),
    createdAt: str(h.created_at),
    receivedAt: str(h.received_at),
    compliant: bool(h.compliant),
    repaired: num(h.repaired),
    events: num(h.events),
  }));
  return { device: deviceRow(row, staleCutoff(ctx)), latest, history, events: (events > 0 ? rest.shift() ?? [] : []).map(eventRow) };
}

const BUCKET = { hour: { chars: 13, ms: 3_600_000, table: 'trend_hours' }, day: { chars: 10, ms: 86_400_000, table: 'trend_days' } } as const;

/**
 * Per UTC bucket, each device counted once by its last report in it: compliant devices / devices. Empty
 * buckets are null. Read from the trend tables the writers keep (hourly ones for TREND_HOURS_KEPT_DAYS).
 */
export async function readTrend(ctx: ReadContext, q: { since: string; bucket: 'hour' | 'day' }): Promise<TrendPoint[]> {
  const b = BUCKET[q.bucket];
  if (b === undefined) throw new CcfleetError('INVALID_QUERY', 'bucket must be "hour" or "day"');
  const nowMs = ctx.now().getTime();
  let start = Math.floor(Date.parse(canonicalTime(q.since, 'since')) / b.ms) * b.ms;
  start = Math.max(start, Math.floor(nowMs / b.ms) * b.ms - (MAX_TREND_POINTS - 1) * b.ms);
  const rows = await ctx.all(
    `SELECT bucket, COUNT(*) AS devices, SUM(CASE WHEN compliant THEN 1 ELSE 0 END) AS compliant FROM ${b.table} WHERE bucket >= ? GROUP BY bucket ORDER BY bucket`,
    [new Date(start).toISOString().slice(0, b.chars)],
  );
  const byBucket = new Map(rows.map((r) => [str(r.bucket), { devices: num(r.devices), compliant: num(r.compliant) }]));
  const lastData = rows.length > 0 ? Date.parse(`${str(rows[rows.length - 1]!.bucket)}${q.bucket === 'hour' ? ':00:00Z' : 'T00:00:00Z'}`) : Number.NaN;
  const end = Math.min(Math.max(Math.floor(nowMs / b.ms) * b.ms, Number.isFinite(lastData) ? lastData : 0), start + (MAX_TREND_POINTS - 1) * b.ms);
  const points: TrendPoint[] = [];
  for (let t = start; t <= end; t += b.ms) {
    const at = new Date(t).toISOString();
    const hit = byBucket.get(at.slice(0, b.chars));
    points.push({ at, devices: hit?.devices ?? 0, complianceRatio: hit === undefined || hit.devices === 0 ? null : hit.compliant / hit.devices });
  }
  return points;
}

export async function readEvents(ctx: ReadContext, q: { deviceId?: string; kind?: string; limit: number }): Promise<EventRow[]> {
  const limit = limitOf(q.limit, 'limit', 1);
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (q.deviceId !== undefined && q.deviceId !== '') {
    where.push('device_id = ?');
    params.push(q.deviceId);
  }
  if (q.kind !== undefined && q.kind !== '') {
    where.push('kind = ?');
    params.push(q.kind);
  }
  const rows = await ctx.all(`${EVENTS_COLUMNS}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ${EVENTS_ORDER}`, [...params, limit]);
  return rows.map(eventRow);
}

function eventRow(r: SqlRow): EventRow {
  return {
    deviceId: str(r.device_id),
    at: str(r.at),
    kind: str(r.kind),
    user: nullableStr(r.user_name),
    path: nullableStr(r.path),
    codes: strings(r.codes),
    message: nullableStr(r.message),
  };
}
