/**
 * The store suite against PostgreSQL (when CCFLEET_TEST_DATABASE_URL is set; CI sets it), then what only
 * PostgreSQL promises: several server replicas (two Stores, two pools) on one database — migrating at the
 * same moment, enrolling and ingesting concurrently, and seeing the same numbers.
 */
import { Client } from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { openStore } from '../../src/server/store/open.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/server/store/migrations.js';
import type { Store } from '../../src/server/store/types.js';
import { adminQuery, freshSchema, PG_URL, withSearchPath } from './pg-schema.js';
import { makeReport } from './report-fixture.js';
import { expectCode, storeSuite } from './store.suite.js';

if (PG_URL === '') {
  test.skip('PostgreSQL store: skipped — set CCFLEET_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it', () => undefined);
} else {
  storeSuite('postgres', freshSchema);

  describe('postgres: two server replicas on one database', () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    const T0 = Date.parse('2025-06-01T12:00:00.000Z');
    const iso = (ms: number) => new Date(ms).toISOString();

    async function replicas(n: number): Promise<{ stores: Store[]; schema: string }> {
      const db = await freshSchema();
      cleanups.push(db.drop);
      // Every replica starts at the same moment: each runs the migrations, under the advisory lock.
      const stores = await Promise.all(Array.from({ length: n }, () => openStore(db.url, { now: () => new Date(T0) })));
      for (const s of stores) cleanups.push(() => s.close());
      return { stores, schema: db.schema };
    }

    test('replicas starting together migrate once', async () => {
      const { stores, schema } = await replicas(4);
      for (const s of stores) expect(await s.schemaVersion()).toBe(SCHEMA_VERSION);
      const rows = await adminQuery<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    });

    test('concurrent enrolment and reports through both replicas: stored once, the newest is latest, the same numbers from both', async () => {
      const { stores } = await replicas(2);
      const [a, b] = stores as [Store, Store];
      // 20 devices enrolled half through each replica, and one enrolled through both at once.
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).enroll({ id: `dev-${i}`, tokenHash: `h-${i}`, hostname: `host-${i}`, at: iso(T0 - 3_600_000) })),
        a.enroll({ id: 'twice', tokenHash: 'h-twice-a', hostname: 'twice', at: iso(T0 - 3_600_000) }),
        b.enroll({ id: 'twice', tokenHash: 'h-twice-b', hostname: 'twice', at: iso(T0 - 3_600_000) }),
      ]);
      const tokens = [await a.deviceForToken('h-twice-a'), await b.deviceForToken('h-twice-b')].filter((x) => x !== null);
      expect(tokens).toHaveLength(1);
      expect(await b.deviceForToken('h-7')).toEqual({ id: 'dev-7', hostname: 'host-7' });

      // 10 reports per device, each delivered to both replicas (a load balancer retrying), in opposite orders;
      // the newest of each device says non-compliant for odd devices.
      const reports = Array.from({ length: 20 }, (_, dev) =>
        Array.from({ length: 10 }, (_, k) =>
          makeReport({
            id: `r-${dev}-${k}`,
            deviceId: `dev-${dev}`,
            createdAt: iso(T0 - (10 - k) * 60_000),
            users: [{ name: `u${dev}`, compliant: !(k === 9 && dev % 2 === 1), selected: k === 9 ? 'newest-model' : 'older-model' }],
          }),
        ),
      ).flat();
      const receivedAt = iso(T0);
      const results = await Promise.all([
        ...reports.map((report) => a.addReport({ report, receivedAt })),
        ...[...reports].reverse().map((report) => b.addReport({ report, receivedAt })),
      ]);
      expect(results.filter((r) => r === 'stored')).toHaveLength(200);
      expect(results.filter((r) => r === 'duplicate')).toHaveLength(200);

      const [sa, sb] = [await a.summary(), await b.summary()];
      expect(sa).toEqual(sb);
      expect(sa).toMatchObject({ devices: 21, reportsTotal: 200, users: 20, nonCompliantUsers: 10, byState: { compliant: 10, noncompliant: 11, stale: 0 }, modelsSelected: { 'newest-model': 20 } });
      expect((await a.devices({ limit: 100 })).devices).toEqual((await b.devices({ limit: 100 })).devices);
      for (let dev = 0; dev < 20; dev++) {
        const d = await (dev % 2 === 0 ? b : a).device(`dev-${dev}`, 100);
        expect(d?.latest?.id).toBe(`r-${dev}-9`);
        expect(d?.history).toHaveLength(10);
      }
      // Each device has exactly its latest report's users, however the writers interleaved.
      const users = await a.devices({ limit: 100, model: 'older-model' });
      expect(users.devices).toEqual([]);
    });

    test('both replicas pruning while reports arrive through both: the count of reports held stays exact, latest reports stay', async () => {
      const { stores, schema } = await replicas(2);
      const [a, b] = stores as [Store, Store];
      const day = 86_400_000;
      for (let i = 0; i < 5; i++) await a.enroll({ id: `dev-${i}`, tokenHash: `h-${i}`, hostname: `host-${i}`, at: iso(T0 - 60 * day) });
      const old = Array.from({ length: 5 }, (_, dev) => Array.from({ length: 40 }, (_, k) => makeReport({ id: `old-${dev}-${k}`, deviceId: `dev-${dev}`, createdAt: iso(T0 - 50 * day + k * 3_600_000) }))).flat();
      for (const report of old) await a.addReport({ report, receivedAt: iso(T0) });
      const fresh = Array.from({ length: 5 }, (_, dev) => Array.from({ length: 20 }, (_, k) => makeReport({ id: `new-${dev}-${k}`, deviceId: `dev-${dev}`, createdAt: iso(T0 - k * 60_000) }))).flat();
      const [pa, pb] = await Promise.all([a.prune(7), b.prune(7), ...fresh.map((report, i) => (i % 2 === 0 ? a : b).addReport({ report, receivedAt: iso(T0) }))]);
      // Old reports go, except one still a device's latest when its chunk was pruned (the next prune takes it).
      const [row] = await adminQuery<{ n: string }>(`SELECT COUNT(*) AS n FROM ${schema}.reports`);
      const n = Number(row?.n);
      expect((await a.summary()).reportsTotal).toBe(n);
      expect((await b.summary()).reportsTotal).toBe(n);
      expect(Number(pa) + Number(pb)).toBe(200 + 100 - n);
      for (let dev = 0; dev < 5; dev++) expect((await b.device(`dev-${dev}`, 0))?.latest?.id).toBe(`new-${dev}-0`);
      await a.prune(7);
      expect((await a.summary()).reportsTotal).toBe(100);
    });

    test('a device read is one snapshot: a report committed between its statements shows nowhere, not in the history alone', async () => {
      const { stores, schema } = await replicas(1);
      const [a] = stores as [Store];
      await a.enroll({ id: 'dev-1', tokenHash: 'h-1', hostname: 'host-1', at: iso(T0 - 3_600_000) });
      await a.addReport({ report: makeReport({ id: 'r-1', deviceId: 'dev-1', createdAt: iso(T0 - 60_000) }), receivedAt: iso(T0) });
      // A writer (another replica) holds the reports table while it stores r-2 and makes it the latest: the
      // read takes its first statement (the device row: still r-1), then waits for the table; the writer commits.
      const writer = new Client({ connectionString: withSearchPath(PG_URL, schema) });
      await writer.connect();
      try {
        await writer.query('BEGIN');
        await writer.query('LOCK TABLE reports IN ACCESS EXCLUSIVE MODE');
        const body = JSON.stringify(makeReport({ id: 'r-2', deviceId: 'dev-1', createdAt: iso(T0) }));
        await writer.query("INSERT INTO reports (id, device_id, created_at, received_at, compliant, users, non_compliant_users, repaired, events, body) VALUES ('r-2', 'dev-1', $1, $1, TRUE, 2, 0, 0, 0, $2)", [iso(T0), body]);
        await writer.query("UPDATE devices SET last_report_id = 'r-2', last_report_at = $1 WHERE id = 'dev-1'", [iso(T0)]);
        const reading = a.device('dev-1', 10, 10);
        for (let i = 0; ; i++) {
          const [w] = (await writer.query("SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted AND c.relname = 'reports' AND c.relnamespace = $1::regnamespace", [schema])).rows as Array<{ n: string }>;
          if (Number(w?.n) > 0) break;
          if (i > 500) throw new Error('the read never waited for the reports table');
          await new Promise((r) => setTimeout(r, 10));
        }
        await writer.query('COMMIT');
        const d = await reading;
        expect(d?.device.lastReportAt).toBe(iso(T0 - 60_000));
        expect(d?.latest?.id).toBe('r-1');
        expect(d?.history.map((h) => h.id)).toEqual(['r-1']);
        // The next read sees r-2 everywhere.
        const after = await a.device('dev-1', 10);
        expect([after?.latest?.id, after?.history.map((h) => h.id)]).toEqual(['r-2', ['r-2', 'r-1']]);
      } finally {
        await writer.query('ROLLBACK').catch(() => undefined);
        await writer.end();
      }
    });

    test('a search_path naming no schema, and a database that does not exist: STORE_UNAVAILABLE', async () => {
      await expectCode(openStore(withSearchPath(PG_URL, 'ccfleet_no_such_schema_x')), 'STORE_UNAVAILABLE');
      const u = new URL(PG_URL);
      u.pathname = '/ccfleet_no_such_database_x';
      await expectCode(openStore(u.toString()), 'STORE_UNAVAILABLE');
    });
  });
}
