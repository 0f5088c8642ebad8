/**
 * The store's schema as numbered migrations, one logical schema written for both databases. Applied at
 * open inside one transaction (PostgreSQL: under an advisory lock, so replicas starting together migrate
 * once) and recorded in `schema_migrations`. Never edit a released migration: add the next one.
 *
 * Tables: `devices` (one row per enrolled device, with its latest report's fields denormalised for fleet
 * queries; `users_key` is the JSON of its `device_users` rows, so an unchanged heartbeat skips them),
 * `reports` (id = the report's idempotency key; body = the validated JSON text), `device_users` (the
 * latest report's users: model distribution, user and model filters), `events` (drift repairs and
 * the rest, for recent events and metrics), `report_counts` (reports held, so /metrics never counts a
 * large table; PostgreSQL spreads it over shards so concurrent writers do not queue on one row). `trend_hours`
 * / `trend_days` (each device's last report in each UTC hour / day, kept at insert: the trend reads
 * devices × buckets rows, never the reports). Indexes are only those a query needs — each costs every
 * report a B-tree write. Times are canonical UTC ISO text on both databases; text
 * columns compare bytewise (PostgreSQL `COLLATE "C"`, SQLite's default), so keyset pages agree.
 */
import { CcfleetError } from '../../core/errors.js';

export interface Migration {
  version: number;
  name: string;
  sqlite: string[];
  postgres: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'devices, reports, device_users, events',
    sqlite: [
      `CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        hostname TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        enrolled_at TEXT NOT NULL,
        last_report_id TEXT,
        last_report_at TEXT,
        last_received_at TEXT,
        compliant INTEGER,
        policy_id TEXT,
        policy_version INTEGER,
        agent_version TEXT,
        platform TEXT,
        users INTEGER NOT NULL DEFAULT 0,
        non_compliant_users INTEGER NOT NULL DEFAULT 0,
        models TEXT NOT NULL DEFAULT '[]',
        used_models TEXT NOT NULL DEFAULT '[]',
        users_key TEXT
      )`,
      `CREATE INDEX devices_order ON devices (COALESCE(last_report_at, '') DESC, id)`,
      `CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices (id),
        created_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        compliant INTEGER NOT NULL,
        users INTEGER NOT NULL,
        non_compliant_users INTEGER NOT NULL,
        repaired INTEGER NOT NULL,
        events INTEGER NOT NULL,
        body TEXT NOT NULL
      )`,
      `CREATE INDEX reports_device ON reports (device_id, created_at)`,
      `CREATE INDEX reports_created ON reports (created_at)`,
      `CREATE TABLE device_users (
        device_id TEXT NOT NULL REFERENCES devices (id),
        user_name TEXT NOT NULL,
        compliant INTEGER NOT NULL,
        selected_model TEXT,
        used_model TEXT
      )`,
      `CREATE INDEX device_users_device ON device_users (device_id, user_name)`,
      `CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        report_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        user_name TEXT,
        path TEXT,
        codes TEXT NOT NULL DEFAULT '[]',
        message TEXT
      )`,
      `CREATE INDEX events_at ON events (at)`,
      `CREATE INDEX events_device ON events (device_id, at)`,
      `CREATE INDEX events_kind ON events (kind, at)`,
      `CREATE TABLE report_counts (shard INTEGER PRIMARY KEY, n INTEGER NOT NULL)`,
      `INSERT INTO report_counts (shard, n) VALUES (0, 0)`,
      `CREATE TABLE trend_hours (
        bucket TEXT NOT NULL, device_id TEXT NOT NULL, last_at TEXT NOT NULL, last_id TEXT NOT NULL, compliant INTEGER NOT NULL,
        PRIMARY KEY (bucket, device_id)
      ) WITHOUT ROWID`,
      `CREATE TABLE trend_days (
        bucket TEXT NOT NULL, device_id TEXT NOT NULL, last_at TEXT NOT NULL, last_id TEXT NOT NULL, compliant INTEGER NOT NULL,
        PRIMARY KEY (bucket, device_id)
      ) WITHOUT ROWID`,
    ],
    postgres: [
      `CREATE TABLE devices (
        id TEXT COLLATE "C" PRIMARY KEY,
        hostname TEXT NOT NULL,
        token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
        enrolled_at TEXT COLLATE "C" NOT NULL,
        last_report_id TEXT COLLATE "C",
        last_report_at TEXT COLLATE "C",
        last_received_at TEXT COLLATE "C",
        compliant BOOLEAN,
        policy_id TEXT,
        policy_version INTEGER,
        agent_version TEXT,
        platform TEXT,
        users INTEGER NOT NULL DEFAULT 0,
        non_compliant_users INTEGER NOT NULL DEFAULT 0,
        models TEXT NOT NULL DEFAULT '[]',
        used_models TEXT NOT NULL DEFAULT '[]',
        users_key TEXT
      )`,
      `CREATE INDEX devices_order ON devices ((COALESCE(last_report_at, '')) DESC, id)`,
      `CREATE TABLE reports (
        id TEXT COLLATE "C" PRIMARY KEY,
        device_id TEXT COLLATE "C" NOT NULL REFERENCES devices (id),
        created_at TEXT COLLATE "C" NOT NULL,
        received_at TEXT COLLATE "C" NOT NULL,
        compliant BOOLEAN NOT NULL,
        users INTEGER NOT NULL,
        non_compliant_users INTEGER NOT NULL,
        repaired INTEGER NOT NULL,
        events INTEGER NOT NULL,
        body TEXT NOT NULL
      )`,
      `CREATE INDEX reports_device ON reports (device_id, created_at)`,
      `CREATE INDEX reports_created ON reports (created_at)`,
      `CREATE TABLE device_users (
        device_id TEXT COLLATE "C" NOT NULL REFERENCES devices (id),
        user_name TEXT COLLATE "C" NOT NULL,
        compliant BOOLEAN NOT NULL,
        selected_model TEXT COLLATE "C",
        used_model TEXT COLLATE "C"
      )`,
      `CREATE INDEX device_users_device ON device_users (device_id, user_name)`,
      `CREATE TABLE events (
        id BIGSERIAL PRIMARY KEY,
        report_id TEXT COLLATE "C" NOT NULL,
        device_id TEXT COLLATE "C" NOT NULL,
        at TEXT COLLATE "C" NOT NULL,
        kind TEXT COLLATE "C" NOT NULL,
        user_name TEXT,
        path TEXT,
        codes TEXT NOT NULL DEFAULT '[]',
        message TEXT
      )`,
      `CREATE INDEX events_at ON events (at)`,
      `CREATE INDEX events_device ON events (device_id, at)`,
      `CREATE INDEX events_kind ON events (kind, at)`,
      `CREATE TABLE report_counts (shard INTEGER PRIMARY KEY, n BIGINT NOT NULL)`,
      `CREATE TABLE trend_hours (
        bucket TEXT COLLATE "C" NOT NULL, device_id TEXT COLLATE "C" NOT NULL, last_at TEXT COLLATE "C" NOT NULL,
        last_id TEXT COLLATE "C" NOT NULL, compliant BOOLEAN NOT NULL,
        PRIMARY KEY (bucket, device_id)
      )`,
      `CREATE TABLE trend_days (
        bucket TEXT COLLATE "C" NOT NULL, device_id TEXT COLLATE "C" NOT NULL, last_at TEXT COLLATE "C" NOT NULL,
        last_id TEXT COLLATE "C" NOT NULL, compliant BOOLEAN NOT NULL,
        PRIMARY KEY (bucket, device_id)
      )`,
    ],
  },
  {
    // The summary (/metrics at every scrape, the dashboard) counts devices' users by selected and by used
    // model: without these, two scans of device_users and two sorts (100,000 devices: ~230 ms of SQLite
    // a summary). device_users changes only when a device's users do, so they cost reports almost nothing.
    version: 2,
    name: 'device_users model indexes',
    sqlite: [
      'CREATE INDEX device_users_selected ON device_users (selected_model)',
      'CREATE INDEX device_users_used ON device_users (used_model)',
    ],
    postgres: [
      'CREATE INDEX device_users_selected ON device_users (selected_model)',
      'CREATE INDEX device_users_used ON device_users (used_model)',
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** `schema_migrations` itself (the same text on both databases). */
export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/** The migrations still to apply over `current`; a database newer than this ccfleet is refused. */
export function pendingMigrations(current: number): Migration[] {
  if (current > SCHEMA_VERSION) {
    throw new CcfleetError('STORE_SCHEMA', `the store's schema is version ${current}, newer than this ccfleet knows (${SCHEMA_VERSION}): upgrade ccfleet`);
  }
  return MIGRATIONS.filter((m) => m.version > current);
}
