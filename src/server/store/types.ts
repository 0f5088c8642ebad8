/**
 * The server's store: one interface, two implementations with the same schema and the same test suite —
 * SQLite (node:sqlite, embedded, the default: no native addon, so the server ships as a single executable)
 * and PostgreSQL (pg, for fleets that outgrow one machine; several server replicas share one database).
 * Versioned migrations are applied at open. Every method is safe to call from concurrent requests and
 * from several server processes on one PostgreSQL database. Tokens are stored only as hashes (the caller
 * hashes: sha256 hex); report bodies as the validated JSON text.
 */
import type { WireReport } from '../../core/report-schema.js';

export type DeviceState = 'compliant' | 'noncompliant' | 'stale';

export interface DeviceRow {
  id: string;
  hostname: string;
  enrolledAt: string;
  /** null before the first report. */
  lastReportAt: string | null;
  compliant: boolean | null;
  /** `stale` when no report for `staleHours` (or never reported since enrolment that long ago). */
  state: DeviceState;
  policyId: string | null;
  policyVersion: number | null;
  agentVersion: string | null;
  platform: string | null;
  users: number;
  nonCompliantUsers: number;
  /** Distinct resolved selected models of the device's users (latest report). */
  models: string[];
  /** Distinct models really used (users' lastUsedModel.served, latest report). */
  usedModels: string[];
}

export interface DeviceQuery {
  state?: DeviceState;
  /** A selected or used model id. */
  model?: string;
  /** A user name on the device. */
  user?: string;
  /** Devices whose last report is older than this ISO time (or that never reported). */
  staleSince?: string;
  /** Substring of the hostname or device id (the dashboard's search box). */
  search?: string;
  limit: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface FleetSummary {
  devices: number;
  byState: Record<DeviceState, number>;
  /** compliant / (compliant + noncompliant); null when no device reported. */
  complianceRatio: number | null;
  users: number;
  nonCompliantUsers: number;
  /** Selected model (resolved) → users; really used model → users. */
  modelsSelected: Record<string, number>;
  modelsUsed: Record<string, number>;
  /** drift-repaired events received in the last 24 h. */
  driftRepairs24h: number;
  reportsTotal: number;
}

export interface TrendPoint {
  /** Start of the bucket (ISO). */
  at: string;
  complianceRatio: number | null;
  devices: number;
}

export interface StoredReport {
  id: string;
  deviceId: string;
  receivedAt: string;
  report: WireReport;
}

export interface HistoryEntry {
  id: string;
  createdAt: string;
  receivedAt: string;
  compliant: boolean;
  repaired: number;
  events: number;
}

export interface EventRow {
  deviceId: string;
  at: string;
  kind: string;
  user: string | null;
  path: string | null;
  codes: string[];
  message: string | null;
}

export interface DeviceDetail {
  device: DeviceRow;
  latest: StoredReport | null;
  /** Newest first. */
  history: HistoryEntry[];
  /** Newest first; empty unless asked for. */
  events: EventRow[];
}

export interface StoreOptions {
  /** Hours without a report after which a device is `stale` (default 24). */
  staleHours?: number;
  now?: () => Date;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Schema version after migrations. */
  schemaVersion(): Promise<number>;
  ping(): Promise<boolean>;

  /** New device, or a re-enrolment of an existing id (its token hash replaced). */
  enroll(d: { id: string; tokenHash: string; hostname: string; at: string }): Promise<void>;
  deviceForToken(tokenHash: string): Promise<{ id: string; hostname: string } | null>;

  /**
   * Stores one report and makes it the device's latest when it is newer than the latest. Idempotent on
   * `report.id`: a redelivery returns 'duplicate' and changes nothing.
   */
  addReport(r: { report: WireReport; receivedAt: string }): Promise<'stored' | 'duplicate'>;

  summary(): Promise<FleetSummary>;
  devices(q: DeviceQuery): Promise<{ devices: DeviceRow[]; nextCursor: string | null }>;
  /**
   * One device: its row, latest report, newest `historyLimit` history entries and newest `eventsLimit` events
   * (default 0), all read in one snapshot (PostgreSQL: a REPEATABLE READ READ ONLY transaction; SQLite: one
   * read transaction), so a report arriving meanwhile is in all of them or in none.
   */
  device(id: string, historyLimit: number, eventsLimit?: number): Promise<DeviceDetail | null>;
  /** Compliance ratio over time, from stored reports (hourly or daily buckets). */
  trend(q: { since: string; bucket: 'hour' | 'day' }): Promise<TrendPoint[]>;
  /** Recent events of a device or of the fleet (newest first). */
  events(q: { deviceId?: string; kind?: string; limit: number }): Promise<EventRow[]>;

  /** Deletes history older than `historyDays` (never a device's latest report). Returns rows deleted. */
  prune(historyDays: number): Promise<number>;
  close(): Promise<void>;
}
