/**
 * The PostgreSQL store, for fleets that outgrow one machine: several server replicas share one database.
 * A pg Pool, parameterised (named, so prepared once per connection) statements only. Safe across
 * replicas: migrations under an advisory lock (one replica migrates, the others wait and find it done);
 * a report is one statement — `INSERT … ON CONFLICT (id) DO NOTHING` for idempotency, and the device's
 * latest updated only when the report is newer (the device row's lock orders concurrent writers and READ
 * COMMITTED re-checks the condition), so replicas receiving a device's reports out of order end with the
 * newest. The tables live in the connection's current schema (`?options=-c search_path=…` picks one).
 */
import { Pool, type PoolClient } from 'pg';
import { CcfleetError, isCcfleetError } from '../../core/errors.js';
import { canonicalTime, deriveReport, pruneCutoffs } from './derive.js';
import { MIGRATIONS_TABLE, pendingMigrations } from './migrations.js';
import { storeOptions } from './options.js';
import { readDevice, readDevices, readEvents, readSummary, readTrend, type ReadContext, type SqlRow, type SqlValue } from './reads.js';
import { redactStoreUrl, scrubSecret } from './store-url.js';
import type { DeviceQuery, Store, StoreOptions } from './types.js';

type AddResult = 'stored' | 'duplicate';

const PRUNE_CHUNK = 2000;
/**
 * report_counts rows written by concurrent reports (each picks one of 0…15 at random); prune, one at a
 * time under its advisory lock, writes -1. Rows are locked last in every statement (after devices and
 * trend rows), so writers never wait on each other in a cycle.
 */
const COUNT_SHARDS = 16;

/** Each device's last report in each hour and day (the trend): this report when it is the newest there. */
const trendUpsert = (table: string, chars: number): string => `
    INSERT INTO ${table} (bucket, device_id, last_at, last_id, compliant) SELECT substr($3, 1, ${chars}), $2, $3, $1, $5 FROM ins
    ON CONFLICT (bucket, device_id) DO UPDATE SET last_at = excluded.last_at, last_id = excluded.last_id, compliant = excluded.compliant
    WHERE excluded.last_at > ${table}.last_at OR (excluded.last_at = ${table}.last_at AND excluded.last_id > ${table}.last_id)`;
/**
 * One statement, so one round trip and its own transaction: inserts the report (once) and its events,
 * and makes it the latest when newer. `users_changed`: the device's users rows are not this report's.
 */
const ADD_REPORT = `WITH ins AS (
    INSERT INTO reports (id, device_id, created_at, received_at, compliant, users, non_compliant_users, repaired, events, body)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  ), ev AS (
    INSERT INTO events (report_id, device_id, at, kind, user_name, path, codes, message)
    SELECT ins.id, $2, e.at, e.kind, e.user_name, e.path, e.codes, e.message
    FROM ins CROSS JOIN jsonb_to_recordset($11::jsonb) AS e (at text, kind text, user_name text, path text, codes text, message text)
  ), upd AS (
    UPDATE devices SET hostname = $12, last_report_id = $1, last_report_at = $3, last_received_at = $4, compliant = $5,
      policy_id = $13, policy_version = $14, agent_version = $15, platform = $16, users = $6, non_compliant_users = $7,
      models = $17, used_models = $18
    WHERE id = $2 AND EXISTS (SELECT 1 FROM ins)
      AND (last_report_at IS NULL OR last_report_at < $3 OR (last_report_at = $3 AND last_report_id < $1))
    RETURNING users_key IS DISTINCT FROM $19 AS users_changed
  ), th AS (${trendUpsert('trend_hours', 13)}
  ), td AS (${trendUpsert('trend_days', 10)}
  ), cnt AS (
    INSERT INTO report_counts (shard, n) SELECT $20, 1 FROM ins
    ON CONFLICT (shard) DO UPDATE SET n = report_counts.n + 1
  )
  SELECT (SELECT COUNT(*) FROM ins) AS stored, (SELECT COUNT(*) FROM upd) AS newest,
    COALESCE((SELECT users_changed FROM upd), FALSE) AS users_changed`;
/**
 * When the users changed (rare: heartbeats repeat them), in a transaction of its own: lock the device
 * row while this report is still its latest and its users are not yet written, then replace them. The
 * replacing statement runs after the lock is held, so its snapshot includes every earlier writer's rows.
 * Until it commits (or, after a crash, until the next report) the users rows lag behind the latest.
 */
const LOCK_FOR_USERS = 'SELECT 1 FROM devices WHERE id = $1 AND last_report_id = $2 AND users_key IS DISTINCT FROM $3 FOR UPDATE';
const REPLACE_USERS = `WITH k AS (
    UPDATE devices SET users_key = $3 WHERE id = $1
  ), del AS (
    DELETE FROM device_users WHERE device_id = $1
  )
  INSERT INTO device_users (device_id, user_name, compliant, selected_model, used_model)
  SELECT $1, u.name, u.compliant, u.selected, u.used
  FROM jsonb_to_recordset($2::jsonb) AS u (name text, compliant boolean, selected text, used text)`;
const ENROLL = `INSERT INTO devices (id, hostname, token_hash, enrolled_at) VALUES ($1, $2, $3, $4)
  ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, hostname = excluded.hostname`;
/** Old history, in chunks: reports (counted) and events, never those of a device's latest report; trend rows. */
const PRUNE = `WITH doomed AS (
    SELECT r.id FROM reports r
    WHERE r.created_at < $1 AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.last_report_id = r.id)
    LIMIT $2
  ), gone AS (
    DELETE FROM reports WHERE id IN (SELECT id FROM doomed) RETURNING id
  ), old_events AS (
    SELECT e.id FROM events e
    WHERE e.at < $1 AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.last_report_id = e.report_id)
    LIMIT $2
  ), ev AS (
    DELETE FROM events WHERE id IN (SELECT id FROM old_events) RETURNING id
  ), cnt AS (
    INSERT INTO report_counts (shard, n) SELECT -1, -COUNT(*) FROM gone
    ON CONFLICT (shard) DO UPDATE SET n = report_counts.n + excluded.n
  ), th AS (
    DELETE FROM trend_hours WHERE (bucket, device_id) IN (SELECT bucket, device_id FROM trend_hours WHERE bucket < $3 LIMIT $2) RETURNING 1
  ), td AS (
    DELETE FROM trend_days WHERE (bucket, device_id) IN (SELECT bucket, device_id FROM trend_days WHERE bucket < $4 LIMIT $2) RETURNING 1
  )
  SELECT (SELECT COUNT(*) FROM gone) AS reports, GREATEST((SELECT COUNT(*) FROM ev), (SELECT COUNT(*) FROM th), (SELECT COUNT(*) FROM td)) AS other`;

/** Errors that mean "the database is not there right now", not "this request is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  '08000', '08001', '08003', '08004', '08006', '28000', '28P01', '3D000', '53300', '57P01', '57P02', '57P03',
]);
const UNAVAILABLE_TEXT = /timeout exceeded when trying to connect|Connection terminated|not queryable|after calling end on the pool|connect ECONNREFUSED/i;

const codeOf = (e: unknown): string | undefined => {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const inner = (e as { errors?: unknown }).errors;
  return Array.isArray(inner) ? codeOf(inner[0]) : undefined;
};
const textOf = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  if (e.message !== '') return e.message;
  const inner = (e as { errors?: unknown }).errors;
  return Array.isArray(inner) && inner[0] instanceof Error ? inner[0].message : (codeOf(e) ?? e.name);
};

export function isUnavailable(e: unknown): boolean {
  const code = codeOf(e);
  return (code !== undefined && UNAVAILABLE_CODES.has(code)) || UNAVAILABLE_TEXT.test(textOf(e));
}

function unavailable(e: unknown, url: string): CcfleetError {
  return new CcfleetError('STORE_UNAVAILABLE', `PostgreSQL at ${redactStoreUrl(url)} is unavailable: ${scrubSecret(textOf(e), url)}`, { retryable: true, cause: e });
}

async function migrate(pool: Pool): Promise<void> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const schema = (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? null;
    if (schema === null) throw new CcfleetError('STORE_UNAVAILABLE', 'the PostgreSQL search_path names no schema that exists: create it, or fix ?options=-c search_path=…');
    // One migrator per database and schema; the others wait here and then find nothing to do.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('ccfleet.migrate:' || current_schema()))");
    await client.query(MIGRATIONS_TABLE);
    const current = Number((await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
    for (const m of pendingMigrations(current)) {
      for (const sql of m.postgres) await client.query(sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
    }
    await client.query('COMMIT');
  } catch (e) {
    broken = isUnavailable(e);
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release(broken);
  }
}

export async function openPostgresStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  const o = storeOptions(opts);
  let pool: Pool;
  try {
    pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000, application_name: 'ccfleet' });
  } catch (e) {
    throw new CcfleetError('USAGE', `not a usable PostgreSQL URL: ${redactStoreUrl(url)}: ${scrubSecret(textOf(e), url)}`, { cause: e });
  }
  // An idle connection dropped by the server: the pool replaces it; the next query reports any outage.
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
  } catch (e) {
    await pool.end().catch(() => undefined);
    if (isCcfleetError(e)) throw e;
    if (isUnavailable(e)) throw unavailable(e, url);
    throw new CcfleetError('STORE_SCHEMA', `cannot migrate the PostgreSQL store at ${redactStoreUrl(url)}: ${scrubSecret(textOf(e), url)}`, { cause: e });
  }
  return new PostgresStore(pool, url, o.staleHours, o.now);
}

/** `?` placeholders (the shared queries) numbered for PostgreSQL, as named statements (a bounded set). */
const numbered = new Map<string, { name: string; text: string }>();
function toPg(sql: string): { name: string; text: string } {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = { name: `ccfleet_q${numbered.size + 1}`, text: sql.replace(/\?/g, () => `$${++n}`) };
    numbered.set(sql, out);
  }
  return out;
}

class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly ctx: ReadContext;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly url: string,
    staleHours: number,
    private readonly now: () => Date,
  ) {
    this.ctx = { all: (sql, params) => this.query(toPg(sql), params), snapshot: (queries) => this.snapshot(queries), staleHours, now };
  }

  private open(): void {
    if (this.closed) throw new CcfleetError('STORE_UNAVAILABLE', 'the store is closed');
  }

  /** A named statement is parsed and planned once per connection. */
  private async query(sql: string | { name: string; text: string }, params: SqlValue[] = []): Promise<SqlRow[]> {
    this.open();
    try {
      return (await this.pool.query<SqlRow>(typeof sql === 'string' ? sql : { ...sql, values: params }, typeof sql === 'string' ? params : undefined)).rows;
    } catch (e) {
      throw isUnavailable(e) ? unavailable(e, this.url) : e;
    }
  }

  /** Runs `work` in one transaction on one connection (`begin`: the statement that opens it). */
  private async transaction<T>(work: (c: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    this.open();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw unavailable(e, this.url);
    }
    let broken = false;
    try {
      await client.query(begin);
      const out = await work(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      broken = isUnavailable(e);
      await client.query('ROLLBACK').catch(() => undefined);
      throw broken ? unavailable(e, this.url) : e;
    } finally {
      client.release(broken);
    }
  }

  /** The queries in one REPEATABLE READ READ ONLY transaction: one snapshot, taken at the first query. */
  private snapshot(queries: ReadonlyArray<readonly [string, SqlValue[]]>): Promise<SqlRow[][]> {
    return this.transaction(async (client) => {
      const out: SqlRow[][] = [];
      for (const [sql, params] of queries) out.push((await client.query<SqlRow>({ ...toPg(sql), values: params })).rows);
      return out;
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  async schemaVersion(): Promise<number> {
    return Number((await this.query('SELECT MAX(version) AS v FROM schema_migrations'))[0]?.v ?? 0);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.query('SELECT 1 AS ok')).length === 1;
    } catch {
      return false;
    }
  }

  async enroll(d: { id: string; tokenHash: string; hostname: string; at: string }): Promise<void> {
    try {
      await this.query(ENROLL, [d.id, d.hostname, d.tokenHash, canonicalTime(d.at, 'enrolment time')]);
    } catch (e) {
      if (codeOf(e) === '23505') throw new CcfleetError('INTERNAL', 'this token hash already belongs to another device', { cause: e });
      throw e;
    }
  }

  async deviceForToken(tokenHash: string): Promise<{ id: string; hostname: string } | null> {
    const [row] = await this.query('SELECT id, hostname FROM devices WHERE token_hash = $1', [tokenHash]);
    return row === undefined ? null : { id: String(row.id), hostname: String(row.hostname) };
  }

  async addReport(r: Parameters<Store['addReport']>[0]): Promise<AddResult> {
    const d = deriveReport(r.report, r.receivedAt);
    const l = d.latest;
    const events = JSON.stringify(d.eventRows.map((e) => ({ at: e.at, kind: e.kind, user_name: e.user, path: e.path, codes: e.codes, message: e.message })));
    let row: { stored: string; newest: string; users_changed: boolean } | undefined;
    try {
      [row] = (await this.query(
        { name: 'ccfleet_add_report', text: ADD_REPORT },
        [d.id, d.deviceId, d.createdAt, d.receivedAt, d.compliant, d.users, d.nonCompliantUsers, d.repaired, d.events, d.body, events, l.hostname, l.policyId, l.policyVersion, l.agentVersion, l.platform, l.models, l.usedModels, d.usersKey, Math.floor(Math.random() * COUNT_SHARDS)],
      )) as Array<typeof row>;
    } catch (e) {
      if (codeOf(e) === '23503') throw new CcfleetError('DEVICE_UNKNOWN', `device ${d.deviceId} is not enrolled`, { cause: e });
      throw e;
    }
    if (Number(row?.stored ?? 0) === 0) return 'duplicate';
    if (Number(row?.newest ?? 0) > 0 && row?.users_changed === true) {
      await this.transaction(async (c) => {
        const locked = await c.query({ name: 'ccfleet_lock_users', text: LOCK_FOR_USERS, values: [d.deviceId, d.id, d.usersKey] });
        if (locked.rowCount === 1) await c.query({ name: 'ccfleet_replace_users', text: REPLACE_USERS, values: [d.deviceId, JSON.stringify(d.userRows), d.usersKey] });
      });
    }
    return 'stored';
  }

  summary(): ReturnType<Store['summary']> {
    return readSummary(this.ctx);
  }

  devices(q: DeviceQuery): ReturnType<Store['devices']> {
    return readDevices(this.ctx, q);
  }

  device(id: string, historyLimit: number, eventsLimit = 0): ReturnType<Store['device']> {
    return readDevice(this.ctx, id, historyLimit, eventsLimit);
  }

  trend(q: { since: string; bucket: 'hour' | 'day' }): ReturnType<Store['trend']> {
    return readTrend(this.ctx, q);
  }

  events(q: { deviceId?: string; kind?: string; limit: number }): ReturnType<Store['events']> {
    return readEvents(this.ctx, q);
  }

  async prune(historyDays: number): Promise<number> {
    this.open();
    const c = pruneCutoffs(historyDays, this.now());
    let deleted = 0;
    for (;;) {
      // Replicas pruning on the same timer take turns rather than deadlock over the same rows.
      const n = await this.transaction(async (client) => {
        await client.query("SELECT pg_advisory_xact_lock(hashtext('ccfleet.prune:' || current_schema()))");
        return (await client.query<{ reports: string; other: string }>(PRUNE, [c.history, PRUNE_CHUNK, c.hourBucket, c.dayBucket])).rows[0];
      });
      deleted += Number(n?.reports ?? 0);
      if (Number(n?.reports ?? 0) < PRUNE_CHUNK && Number(n?.other ?? 0) < PRUNE_CHUNK) return deleted;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
