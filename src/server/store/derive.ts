/**
 * What the store keeps of one validated report, computed once and written the same way by both
 * implementations: the report row (its body is the validated JSON text), the device's denormalised
 * latest fields, one row per user (models and user filters, the model distribution) and the events.
 * Times are stored as canonical UTC ISO text (`2025-01-02T03:04:05.678Z`), so text order is time order
 * on both databases.
 */
import { CcfleetError } from '../../core/errors.js';
import type { WireReport } from '../../core/report-schema.js';

export interface LatestFields {
  hostname: string;
  compliant: boolean;
  policyId: string | null;
  policyVersion: number | null;
  agentVersion: string;
  platform: string;
  users: number;
  nonCompliantUsers: number;
  /** JSON arrays (text) of distinct model ids. */
  models: string;
  usedModels: string;
}

export interface UserRow {
  name: string;
  compliant: boolean;
  selected: string | null;
  used: string | null;
}

export interface EventRow {
  at: string;
  kind: string;
  user: string | null;
  path: string | null;
  /** JSON array (text). */
  codes: string;
  message: string | null;
}

export interface DerivedReport {
  id: string;
  deviceId: string;
  createdAt: string;
  receivedAt: string;
  /** createdAt's UTC hour (`2025-01-02T03`) and day (`2025-01-02`): the trend's buckets. */
  hourBucket: string;
  dayBucket: string;
  compliant: boolean;
  users: number;
  nonCompliantUsers: number;
  /** drift-repaired events plus files in state `repaired`. */
  repaired: number;
  events: number;
  body: string;
  latest: LatestFields;
  userRows: UserRow[];
  /** JSON of userRows: equal keys, equal device_users rows. */
  usersKey: string;
  eventRows: EventRow[];
}

/** Canonical UTC ISO text of a time, or INVALID_QUERY. */
export function canonicalTime(value: string, what = 'time'): string {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new CcfleetError('INVALID_QUERY', `${what} is not an ISO date-time: ${JSON.stringify(value.slice(0, 64))}`);
  const iso = new Date(ms).toISOString();
  if (iso.length !== 24) throw new CcfleetError('INVALID_QUERY', `${what} is out of range: ${JSON.stringify(value.slice(0, 64))}`);
  return iso;
}

const distinct = (xs: Array<string | null | undefined>): string[] => [...new Set(xs.filter((x): x is string => typeof x === 'string' && x !== ''))].sort();

export function deriveReport(report: WireReport, receivedAt: string): DerivedReport {
  const nonCompliantUsers = report.users.filter((u) => !u.compliant).length;
  const userRows: UserRow[] = report.users.map((u) => ({
    name: u.name,
    compliant: u.compliant,
    selected: u.selectedModel.resolved ?? null,
    used: u.lastUsedModel?.served ?? null,
  }));
  const eventRows: EventRow[] = report.events.map((e) => ({
    at: canonicalTime(e.at, 'event time'),
    kind: e.kind,
    user: e.user ?? null,
    path: e.path ?? null,
    codes: JSON.stringify(e.codes ?? []),
    message: e.message ?? null,
  }));
  const repaired = report.events.filter((e) => e.kind === 'drift-repaired').length + report.files.filter((f) => f.state === 'repaired').length;
  const createdAt = canonicalTime(report.createdAt, 'createdAt');
  return {
    id: report.id,
    deviceId: report.deviceId,
    createdAt,
    hourBucket: createdAt.slice(0, 13),
    dayBucket: createdAt.slice(0, 10),
    receivedAt: canonicalTime(receivedAt, 'receivedAt'),
    compliant: report.compliant,
    users: report.users.length,
    nonCompliantUsers,
    repaired,
    events: report.events.length,
    body: JSON.stringify(report),
    latest: {
      hostname: report.hostname,
      compliant: report.compliant,
      policyId: report.policy?.id ?? null,
      policyVersion: report.policy?.version ?? null,
      agentVersion: report.agentVersion,
      platform: report.os.platform,
      users: report.users.length,
      nonCompliantUsers,
      models: JSON.stringify(distinct(userRows.map((u) => u.selected))),
      usedModels: JSON.stringify(distinct(userRows.map((u) => u.used))),
    },
    userRows,
    usersKey: JSON.stringify(userRows),
    eventRows,
  };
}

/** Hourly trend rows are kept at most this long (the dashboard shows hours for the last day). */
export const TREND_HOURS_KEPT_DAYS = 8;

/** What prune(historyDays) deletes below: history (reports, events), hourly and daily trend buckets. */
export function pruneCutoffs(historyDays: number, now: Date): { history: string; hourBucket: string; dayBucket: string } {
  if (typeof historyDays !== 'number' || !Number.isFinite(historyDays) || historyDays < 0) throw new CcfleetError('INVALID_QUERY', 'historyDays must be a number ≥ 0');
  const at = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
  return { history: at(historyDays), hourBucket: at(Math.min(historyDays, TREND_HOURS_KEPT_DAYS)).slice(0, 13), dayBucket: at(historyDays).slice(0, 10) };
}
