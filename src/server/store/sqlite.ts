/**
 * The embedded store: one SQLite file through Node's built-in node:sqlite (no native addon, so the
 * server ships as a single executable). WAL, synchronous=NORMAL (a commit survives the process being
 * killed; the last commits before a power cut may not), a busy timeout, foreign keys on. Reports are
 * written through a batch queue: concurrent addReport calls share one transaction, each resolving after
 * its COMMIT. Everything runs on the event loop's thread, so a transaction never interleaves with
 * another call. One server process per file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { CcfleetError, isCcfleetError } from '../../core/errors.js';
import { BatchQueue, type Outcome } from './batch-queue.js';
import { canonicalTime, deriveReport, pruneCutoffs, type DerivedReport } from './derive.js';
import { MIGRATIONS_TABLE, pendingMigrations } from './migrations.js';
import { Checkpointer } from './sqlite-checkpointer.js';
import { readDevice, readDevices, readEvents, readSummary, readTrend, type ReadContext, type SqlRow, type SqlValue } from './reads.js';
import { storeOptions } from './options.js';
import { sqliteModule } from './sqlite-module.js';
import type { DeviceQuery, StoreOptions, Store } from './types.js';

type AddResult = 'stored' | 'duplicate';

const SQLITE_NOTADB = 26;
const SQLITE_CONSTRAINT_FOREIGNKEY = 787;
const SQLITE_CONSTRAINT_UNIQUE = 2067;
const PRUNE_CHUNK = 2000;
/** The writer's own automatic checkpoint, a backstop behind the checkpointer thread (pages of 4 KiB). */
const BACKSTOP_CHECKPOINT_PAGES = 16000;
const PAGE_CACHE_KIB = 8192;
/** SQLite's own ceiling for mmap_size (SQLITE_MAX_MMAP_SIZE); a larger value is cut to it. */
const MMAP_BYTES = 0x7fff0000;

const INSERT_REPORT = `INSERT INTO reports (id, device_id, created_at, received_at, compliant, users, non_compliant_users, repaired, events, body)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;
const INSERT_EVENT = 'INSERT INTO events (report_id, device_id, at, kind, user_name, path, codes, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
/** Only a newer report becomes the latest (ties broken by id), whatever order reports arrive in. */
const UPDATE_LATEST = `UPDATE devices SET hostname = ?, last_report_id = ?, last_report_at = ?, last_received_at = ?, compliant = ?,
  policy_id = ?, policy_version = ?, agent_version = ?, platform = ?, users = ?, non_compliant_users = ?, models = ?, used_models = ?,
  users_key = ?
  WHERE id = ? AND (last_report_at IS NULL OR last_report_at < ? OR (last_report_at = ? AND last_report_id < ?))`;
const COUNT_REPORTS = 'UPDATE report_counts SET n = n + ? WHERE shard = 0';
const USERS_KEY = 'SELECT users_key FROM devices WHERE id = ?';
const DELETE_USERS = 'DELETE FROM device_users WHERE device_id = ?';
const INSERT_USER = 'INSERT INTO device_users (device_id, user_name, compliant, selected_model, used_model) VALUES (?, ?, ?, ?, ?)';
/** Old history, a chunk per statement: reports (counted) and events, never a device's latest's; trend rows. */
const NOT_LATEST = '(SELECT last_report_id FROM devices WHERE last_report_id IS NOT NULL)';
const PRUNE_REPORTS = `DELETE FROM reports WHERE id IN (SELECT id FROM reports WHERE created_at < ? AND id NOT IN ${NOT_LATEST} LIMIT ?)`;
const PRUNE_EVENTS = `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? AND report_id NOT IN ${NOT_LATEST} LIMIT ?)`;
const PRUNE_TREND_HOURS = 'DELETE FROM trend_hours WHERE (bucket, device_id) IN (SELECT bucket, device_id FROM trend_hours WHERE bucket < ? LIMIT ?)';
const PRUNE_TREND_DAYS = 'DELETE FROM trend_days WHERE (bucket, device_id) IN (SELECT bucket, device_id FROM trend_days WHERE bucket < ? LIMIT ?)';
/** Each device's last report in each hour and day (the trend). */
const trendUpsert = (table: string): string => `INSERT INTO ${table} (bucket, device_id, last_at, last_id, compliant) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (bucket, device_id) DO UPDATE SET last_at = excluded.last_at, last_id = excluded.last_id, compliant = excluded.compliant
  WHERE excluded.last_at > ${table}.last_at OR (excluded.last_at = ${table}.last_at AND excluded.last_id > ${table}.last_id)`;
const TREND_HOUR = trendUpsert('trend_hours');
const TREND_DAY = trendUpsert('trend_days');
const ENROLL = `INSERT INTO devices (id, hostname, token_hash, enrolled_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, hostname = excluded.hostname`;

const errcode = (e: unknown): number | undefined => (typeof e === 'object' && e !== null && typeof (e as { errcode?: unknown }).errcode === 'number' ? (e as { errcode: number }).errcode : undefined);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const bind = (v: SqlValue): string | number | null => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

function createFile(file: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_RDWR, 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new CcfleetError('STORE_UNAVAILABLE', `cannot create the SQLite store ${file}: ${message(e)}`, { cause: e });
  }
}

function migrate(db: DatabaseSync): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(MIGRATIONS_TABLE);
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get();
    const current = Number(row?.v ?? 0);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of pendingMigrations(current)) {
      for (const sql of m.sqlite) db.exec(sql);
      record.run(m.version, m.name, new Date().toISOString());
    }
    db.exec('COMMIT');
  } catch (e) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

export async function openSqliteStore(file: string, opts: StoreOptions = {}): Promise<Store> {
  const o = storeOptions(opts);
  if (file !== ':memory:') createFile(file);
  const { DatabaseSync: Database } = sqliteModule();
  let db: DatabaseSync;
  try {
    db = new Database(file, { timeout: 5000, enableForeignKeyConstraints: true });
  } catch (e) {
    throw new CcfleetError('STORE_UNAVAILABLE', `cannot open the SQLite store ${file}: ${message(e)}`, { cause: e });
  }
  try {
    db.prepare('PRAGMA journal_mode = WAL').get();
    db.exec('PRAGMA synchronous = NORMAL');
    // Reads go through a memory map of the file (up to SQLite's 2 GiB maximum; a fleet's devices and
    // token index, written at enrolment, sit early in the file): no syscall per page, whatever the fleet's
    // size. The page cache holds only what a transaction writes, and stays small: every COMMIT walks the
    // cache's hash table (measured: a 64 MiB cache cost ~40 µs a report, 5 % of the server's CPU at a
    // 100,000-device fleet's cadence).
    db.exec(`PRAGMA cache_size = -${PAGE_CACHE_KIB}`);
    db.exec(`PRAGMA mmap_size = ${MMAP_BYTES}`);
    migrate(db);
    if (file !== ':memory:') {
      db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
      // A WAL that grew under a burst is cut back to this size when it restarts.
      db.exec('PRAGMA journal_size_limit = 67108864');
    }
  } catch (e) {
    db.close();
    if (isCcfleetError(e)) throw e;
    if (errcode(e) === SQLITE_NOTADB) throw new CcfleetError('STORE_UNAVAILABLE', `${file} is not a SQLite database`, { cause: e });
    throw new CcfleetError('STORE_SCHEMA', `cannot migrate the SQLite store ${file}: ${message(e)}`, { cause: e });
  }
  let store: SqliteStore | null = null;
  const checkpointer = file === ':memory:' ? null : await Checkpointer.start(file, { onRestart: () => store?.restartWal() });
  if (checkpointer === null) db.exec('PRAGMA wal_autocheckpoint = 1000');
  store = new SqliteStore(db, checkpointer, o.staleHours, o.now);
  return store;
}

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly statements = new Map<string, StatementSync>();
  private readonly queue = new BatchQueue<DerivedReport, AddResult>((items) => this.writeBatch(items));
  private readonly ctx: ReadContext;
  private closed = false;

  constructor(
    private readonly db: DatabaseSync,
    private readonly checkpointer: Checkpointer | null,
    staleHours: number,
    private readonly now: () => Date,
  ) {
    this.ctx = { all: async (sql, params) => this.all(sql, params), snapshot: async (queries) => this.snapshot(queries), staleHours, now };
  }

  private open(): void {
    if (this.closed) throw new CcfleetError('STORE_UNAVAILABLE', 'the store is closed');
  }

  /**
   * The checkpointer thread copies the WAL into the database, but SQLite restarts the WAL from its
   * beginning only after a checkpoint on the writer's own connection (measured: passes on another
   * thread's connection never let it restart, so the WAL grew to the backstop, whose checkpoint then
   * copied and synced up to a second of frames on the event loop: 40–70 ms stalls every few seconds at a
   * fleet's cadence). Called when a pass has left (almost) nothing to copy: this checkpoint copies the few
   * frames written since, and the next commit starts the WAL again.
   */
  restartWal(): void {
    if (this.closed || this.db.isTransaction) return;
    try {
      this.stmt('PRAGMA wal_checkpoint(PASSIVE)').get();
    } catch {
      // busy or failing: the backstop remains
    }
  }

  private stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private all(sql: string, params: SqlValue[] = []): SqlRow[] {
    this.open();
    return this.stmt(sql).all(...params.map(bind)) as SqlRow[];
  }

  /**
   * The queries in one read transaction (BEGIN … COMMIT, synchronously: nothing else in this process runs
   * in between, and a writer elsewhere on the file cannot change what the transaction sees).
   */
  private snapshot(queries: ReadonlyArray<readonly [string, SqlValue[]]>): SqlRow[][] {
    this.open();
    if (this.db.isTransaction) return queries.map(([sql, params]) => this.all(sql, params)); // never: every transaction here is synchronous
    this.stmt('BEGIN').run();
    try {
      const out = queries.map(([sql, params]) => this.all(sql, params));
      this.stmt('COMMIT').run();
      return out;
    } catch (e) {
      if (this.db.isOpen && this.db.isTransaction) this.stmt('ROLLBACK').run();
      throw e;
    }
  }

  private run(sql: string, ...params: SqlValue[]): number {
    return Number(this.stmt(sql).run(...params.map(bind)).changes);
  }

  async schemaVersion(): Promise<number> {
    return Number(this.all('SELECT MAX(version) AS v FROM schema_migrations')[0]?.v ?? 0);
  }

  async ping(): Promise<boolean> {
    try {
      return this.all('SELECT 1 AS ok').length === 1;
    } catch {
      return false;
    }
  }

  async enroll(d: { id: string; tokenHash: string; hostname: string; at: string }): Promise<void> {
    this.open();
    try {
      this.run(ENROLL, d.id, d.hostname, d.tokenHash, canonicalTime(d.at, 'enrolment time'));
    } catch (e) {
      if (errcode(e) === SQLITE_CONSTRAINT_UNIQUE) throw new CcfleetError('INTERNAL', 'this token hash already belongs to another device', { cause: e });
      throw e;
    }
  }

  async deviceForToken(tokenHash: string): Promise<{ id: string; hostname: string } | null> {
    const [row] = this.all('SELECT id, hostname FROM devices WHERE token_hash = ?', [tokenHash]);
    return row === undefined ? null : { id: String(row.id), hostname: String(row.hostname) };
  }

  async addReport(r: Parameters<Store['addReport']>[0]): Promise<AddResult> {
    this.open();
    return this.queue.push(deriveReport(r.report, r.receivedAt));
  }

  /**
   * One transaction for the whole batch. A failing item (a device never enrolled) is rare: the batch is
   * then rolled back and replayed with a savepoint per item, so the others still commit.
   */
  private writeBatch(items: DerivedReport[]): Array<Outcome<AddResult>> {
    try {
      return this.transaction(() => this.counted(items.map((d) => ({ ok: true, value: this.applyReport(d) }))));
    } catch (first) {
      if (isCcfleetError(first)) throw first;
      try {
        return this.transaction(() =>
          this.counted(items.map((d): Outcome<AddResult> => {
            this.db.exec('SAVEPOINT report');
            try {
              const value = this.applyReport(d);
              this.db.exec('RELEASE report');
              return { ok: true, value };
            } catch (e) {
              this.db.exec('ROLLBACK TO report');
              this.db.exec('RELEASE report');
              return { ok: false, error: errcode(e) === SQLITE_CONSTRAINT_FOREIGNKEY ? new CcfleetError('DEVICE_UNKNOWN', `device ${d.deviceId} is not enrolled`) : e };
            }
          })),
        );
      } catch (e) {
        throw isCcfleetError(e) ? e : new CcfleetError('STORE_UNAVAILABLE', `the SQLite store could not commit ${items.length} report(s): ${message(e)}`, { retryable: true, cause: e });
      }
    }
  }

  /** Adds the batch's stored reports to report_counts (inside its transaction). */
  private counted(out: Array<Outcome<AddResult>>): Array<Outcome<AddResult>> {
    const stored = out.filter((o) => o.ok && o.value === 'stored').length;
    if (stored > 0) this.run(COUNT_REPORTS, stored);
    return out;
  }

  /** BEGIN IMMEDIATE … COMMIT around `work`; rolled back if anything throws (COMMIT included). */
  private transaction<T>(work: () => T): T {
    this.stmt('BEGIN IMMEDIATE').run();
    try {
      const out = work();
      this.stmt('COMMIT').run();
      return out;
    } catch (e) {
      if (this.db.isOpen && this.db.isTransaction) this.stmt('ROLLBACK').run();
      throw e;
    }
  }

  private applyReport(d: DerivedReport): AddResult {
    const inserted = this.run(INSERT_REPORT, d.id, d.deviceId, d.createdAt, d.receivedAt, d.compliant, d.users, d.nonCompliantUsers, d.repaired, d.events, d.body);
    if (inserted === 0) return 'duplicate';
    for (const e of d.eventRows) this.run(INSERT_EVENT, d.id, d.deviceId, e.at, e.kind, e.user, e.path, e.codes, e.message);
    this.run(TREND_HOUR, d.hourBucket, d.deviceId, d.createdAt, d.id, d.compliant);
    this.run(TREND_DAY, d.dayBucket, d.deviceId, d.createdAt, d.id, d.compliant);
    const l = d.latest;
    const usersKey = this.stmt(USERS_KEY).get(d.deviceId)?.users_key ?? null;
    const newest = this.run(
      UPDATE_LATEST,
      l.hostname, d.id, d.createdAt, d.receivedAt, l.compliant, l.policyId, l.policyVersion, l.agentVersion, l.platform, l.users, l.nonCompliantUsers, l.models, l.usedModels, d.usersKey,
      d.deviceId, d.createdAt, d.createdAt, d.id,
    );
    // A heartbeat with the same users (the usual case) leaves device_users as it is.
    if (newest > 0 && usersKey !== d.usersKey) {
      this.run(DELETE_USERS, d.deviceId);
      for (const u of d.userRows) this.run(INSERT_USER, d.deviceId, u.name, u.compliant, u.selected, u.used);
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
    const steps: Array<[string, string, boolean]> = [
      [PRUNE_REPORTS, c.history, true],
      [PRUNE_EVENTS, c.history, false],
      [PRUNE_TREND_HOURS, c.hourBucket, false],
      [PRUNE_TREND_DAYS, c.dayBucket, false],
    ];
    let deleted = 0;
    for (const [sql, cutoff, counted] of steps) {
      for (;;) {
        this.open();
        const n = this.transaction(() => {
          const removed = this.run(sql, cutoff, PRUNE_CHUNK);
          if (counted && removed > 0) this.run(COUNT_REPORTS, -removed);
          return removed;
        });
        if (counted) deleted += n;
        if (n < PRUNE_CHUNK) break;
        // Let requests in between chunks: a large first prune must not stall ingestion.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return deleted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.queue.drain();
    this.closed = true;
    await this.checkpointer?.stop();
    try {
      this.db.exec('PRAGMA optimize');
    } catch {
      // best effort
    }
    this.db.close();
  }
}
