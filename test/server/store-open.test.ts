/**
 * openStore's choices and refusals: which URL is which store, the SQLite file's permissions, a file that
 * is not a database, a schema newer than this ccfleet, no password in any message, no warning printed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { openStore } from '../../src/server/store/open.js';
import { parseStoreUrl, redactStoreUrl } from '../../src/server/store/store-url.js';
import { sqliteModule } from '../../src/server/store/sqlite-module.js';
import { MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION } from '../../src/server/store/migrations.js';
import { isCcfleetError } from '../../src/core/errors.js';
import { makeReport } from './report-fixture.js';
import { expectCode } from './store.suite.js';

const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-store-open-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('store URLs', () => {
  test('postgres URLs, SQLite paths and refusals', () => {
    expect(parseStoreUrl('postgres://u:p@db:5432/fleet')).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/fleet' });
    expect(parseStoreUrl('PostgreSQL://db/fleet').kind).toBe('postgres');
    expect(parseStoreUrl('/var/lib/ccfleet/ccfleet.db')).toEqual({ kind: 'sqlite', path: '/var/lib/ccfleet/ccfleet.db' });
    expect(parseStoreUrl('data/ccfleet.db')).toEqual({ kind: 'sqlite', path: 'data/ccfleet.db' });
    expect(parseStoreUrl(':memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(parseStoreUrl('sqlite:///var/lib/x.db')).toEqual({ kind: 'sqlite', path: '/var/lib/x.db' });
    expect(parseStoreUrl('sqlite:x.db')).toEqual({ kind: 'sqlite', path: 'x.db' });
    expect(parseStoreUrl('file:///var/lib/x.db')).toEqual({ kind: 'sqlite', path: '/var/lib/x.db' });
    expect(parseStoreUrl('C:\\ProgramData\\ccfleet\\x.db')).toEqual({ kind: 'sqlite', path: 'C:\\ProgramData\\ccfleet\\x.db' });
    expect(() => parseStoreUrl('mysql://db/fleet')).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => parseStoreUrl('  ')).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => parseStoreUrl('sqlite:')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  test('redaction drops the password and the query', () => {
    expect(redactStoreUrl('postgres://fleet:s3cr3t-pw@db.internal:5432/ccfleet?sslmode=require&password=x')).toBe('postgres://fleet:***@db.internal:5432/ccfleet');
    expect(redactStoreUrl('postgres://db/ccfleet')).toBe('postgres://db/ccfleet');
    expect(redactStoreUrl('postgres://[bad')).toBe('postgres://…');
  });
});

describe('opening a SQLite store', () => {
  test('creates the folder 0700 and the file 0600, and prints no warning', async () => {
    const file = path.join(tmp, 'new', 'deeper', 'ccfleet.db');
    const s = await openStore(file);
    await s.enroll({ id: 'd', tokenHash: 'h', hostname: 'x', at: new Date().toISOString() });
    expect(s.kind).toBe('sqlite');
    expect(fs.statSync(path.join(tmp, 'new')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // SQLite gives its WAL the database file's permissions.
    expect(fs.statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    await s.close();
    await new Promise((r) => setImmediate(r));
    expect(warnings).toEqual([]);
  });

  test('checkpoints happen off the event loop (the database file grows with no automatic checkpoint due), and close leaves no WAL', async () => {
    const file = path.join(tmp, 'checkpointed', 'ccfleet.db');
    const s = await openStore(file);
    await s.enroll({ id: 'dev', tokenHash: 'h', hostname: 'x', at: new Date().toISOString() });
    const before = fs.statSync(file).size;
    // ~200 pages: far below the writer's own automatic checkpoint (8,000 pages).
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.addReport({ report: makeReport({ id: `r${i}`, deviceId: 'dev', createdAt: new Date(Date.now() - i * 1000).toISOString() }), receivedAt: new Date().toISOString() })));
    const deadline = Date.now() + 20_000;
    while (fs.statSync(file).size <= before + 100 * 4096 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fs.statSync(file).size).toBeGreaterThan(before + 100 * 4096);
    await s.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const again = await openStore(file);
    expect((await again.summary()).reportsTotal).toBe(200);
    await again.close();
  });

  test(':memory: works', async () => {
    const s = await openStore(':memory:');
    expect(await s.ping()).toBe(true);
    await s.close();
  });

  test('a file that is not a SQLite database: STORE_UNAVAILABLE', async () => {
    const file = path.join(tmp, 'not-a-db.db');
    fs.writeFileSync(file, 'this is a text file, and long enough to have a header SQLite would check'.repeat(20));
    await expectCode(openStore(file), 'STORE_UNAVAILABLE');
  });

  test('a folder where the file should be: STORE_UNAVAILABLE', async () => {
    fs.mkdirSync(path.join(tmp, 'is-a-dir.db'));
    await expectCode(openStore(path.join(tmp, 'is-a-dir.db')), 'STORE_UNAVAILABLE');
  });

  test('a schema newer than this ccfleet: STORE_SCHEMA, and the database is left alone', async () => {
    const file = path.join(tmp, 'future.db');
    await (await openStore(file)).close();
    const { DatabaseSync } = sqliteModule();
    const db = new DatabaseSync(file);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', '2030-01-01T00:00:00.000Z')").run();
    db.close();
    await expectCode(openStore(file), 'STORE_SCHEMA');
    const again = new DatabaseSync(file);
    expect(again.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()?.n).toBe(MIGRATIONS.length + 1);
    again.close();
  });

  test('a store made by an older ccfleet (schema 1) is migrated at open, its reports kept', async () => {
    const file = path.join(tmp, 'schema1.db');
    const { DatabaseSync } = sqliteModule();
    const old = new DatabaseSync(file);
    old.exec('PRAGMA journal_mode = WAL');
    old.exec(MIGRATIONS_TABLE);
    for (const sql of MIGRATIONS[0]!.sqlite) old.exec(sql);
    old.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, ?, '2026-01-01T00:00:00.000Z')").run(MIGRATIONS[0]!.name);
    old.prepare("INSERT INTO devices (id, hostname, token_hash, enrolled_at) VALUES ('dev', 'x', 'h', '2026-01-01T00:00:00.000Z')").run();
    old.close();
    const s = await openStore(file);
    expect(await s.schemaVersion()).toBe(SCHEMA_VERSION);
    await s.addReport({ report: makeReport({ id: 'after-upgrade', deviceId: 'dev', createdAt: new Date().toISOString() }), receivedAt: new Date().toISOString() });
    expect((await s.summary()).reportsTotal).toBe(1);
    await s.close();
    const db = new DatabaseSync(file, { readOnly: true });
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'device_users' ORDER BY name").all().map((r) => r.name);
    db.close();
    expect(indexes).toEqual(['device_users_device', 'device_users_selected', 'device_users_used']);
  });

  test('bad options: USAGE', async () => {
    await expectCode(openStore(':memory:', { staleHours: 0 }), 'USAGE');
    await expectCode(openStore(':memory:', { staleHours: Number.NaN }), 'USAGE');
  });
});

describe('opening a PostgreSQL store', () => {
  test('unreachable: STORE_UNAVAILABLE, retryable, and the password appears nowhere (message, cause, inspection)', async () => {
    const url = 'postgres://fleet:Sup3r-Secret-pw@127.0.0.1:1/ccfleet?sslmode=disable';
    const e: unknown = await openStore(url).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isCcfleetError(e) && e.code).toBe('STORE_UNAVAILABLE');
    expect(isCcfleetError(e) && e.retryable).toBe(true);
    expect(String((e as Error).message)).toContain('postgres://fleet:***@127.0.0.1:1/ccfleet');
    expect(inspect(e, { depth: 10 })).not.toContain('Sup3r-Secret-pw');
  });
});
