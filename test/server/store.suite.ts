/**
 * The one test suite both stores pass (SQLite always; PostgreSQL when CCFLEET_TEST_DATABASE_URL is set).
 * `fresh()` hands out an empty database of its own (a temp file; a schema of its own) as a store URL; the
 * tests open it through `openStore`, exactly as the server does, with an injected clock.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { isCcfleetError } from '../../src/core/errors.js';
import { openStore } from '../../src/server/store/open.js';
import { SCHEMA_VERSION } from '../../src/server/store/migrations.js';
import type { DeviceQuery, DeviceRow, Store, StoreOptions } from '../../src/server/store/types.js';
import { makeReport, type FixtureReport } from './report-fixture.js';

export interface FreshDatabase {
  url: string;
  drop(): Promise<void>;
}

const T0 = Date.parse('2025-06-01T12:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const hours = (n: number): number => n * 3_600_000;

export async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `expected a ${code} error`).toBeDefined();
  expect(isCcfleetError(e) ? e.code : e).toBe(code);
}

export function storeSuite(name: string, fresh: () => Promise<FreshDatabase>): void {
  describe(`${name} store`, () => {
    let clockMs = T0;
    const cleanups: Array<() => Promise<void>> = [];
    const opts = (extra: StoreOptions = {}): StoreOptions => ({ now: () => new Date(clockMs), ...extra });

    async function database(): Promise<string> {
      const db = await fresh();
      cleanups.push(() => db.drop());
      return db.url;
    }
    async function open(url: string, extra: StoreOptions = {}): Promise<Store> {
      const s = await openStore(url, opts(extra));
      cleanups.push(() => s.close());
      return s;
    }
    async function store(extra: StoreOptions = {}): Promise<Store> {
      return open(await database(), extra);
    }
    async function enroll(s: Store, id: string, at = iso(clockMs)): Promise<void> {
      await s.enroll({ id, tokenHash: `hash-${id}`, hostname: `host-${id}`, at });
    }
    const add = (s: Store, f: FixtureReport, receivedAt = iso(clockMs)) => s.addReport({ report: makeReport(f), receivedAt });
    async function allDevices(s: Store, q: Omit<DeviceQuery, 'limit' | 'cursor'> = {}, limit = 1000): Promise<DeviceRow[]> {
      const out: DeviceRow[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 1000; i++) {
        const page = await s.devices({ ...q, limit, ...(cursor === undefined ? {} : { cursor }) });
        expect(page.devices.length).toBeLessThanOrEqual(limit);
        out.push(...page.devices);
        if (page.nextCursor === null) return out;
        cursor = page.nextCursor;
      }
      throw new Error('pagination did not end');
    }

    afterEach(async () => {
      clockMs = T0;
      // Stores close before their databases are dropped (reverse order of creation).
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    test('migrations run at open, once: opening the same database again keeps the version and the data', async () => {
      const url = await database();
      const a = await open(url);
      expect(await a.schemaVersion()).toBe(SCHEMA_VERSION);
      expect(await a.ping()).toBe(true);
      await enroll(a, 'dev-1');
      await a.close();
      const b = await open(url);
      expect(await b.schemaVersion()).toBe(SCHEMA_VERSION);
      expect(await b.deviceForToken('hash-dev-1')).toEqual({ id: 'dev-1', hostname: 'host-dev-1' });
      expect(b.kind).toBe(a.kind);
    });

    test('enrolment, re-enrolment (the token replaced, the enrolment time kept) and token lookup', async () => {
      const s = await store();
      expect(await s.deviceForToken('hash-x')).toBeNull();
      await s.enroll({ id: 'dev-1', tokenHash: 'h1', hostname: 'laptop-1', at: '2025-06-01T10:00:00Z' });
      expect(await s.deviceForToken('h1')).toEqual({ id: 'dev-1', hostname: 'laptop-1' });
      await s.enroll({ id: 'dev-1', tokenHash: 'h2', hostname: 'laptop-1b', at: '2025-06-01T11:00:00Z' });
      expect(await s.deviceForToken('h1')).toBeNull();
      expect(await s.deviceForToken('h2')).toEqual({ id: 'dev-1', hostname: 'laptop-1b' });
      const devices = await allDevices(s);
      expect(devices).toHaveLength(1);
      expect(devices[0]).toMatchObject({ id: 'dev-1', hostname: 'laptop-1b', enrolledAt: '2025-06-01T10:00:00.000Z', lastReportAt: null, compliant: null, state: 'noncompliant', users: 0, models: [] });
    });

    test('a report is stored once: a redelivery is a duplicate and changes nothing, even with another body', async () => {
      const s = await store();
      await enroll(s, 'dev-1');
      const first = { id: 'rep-1', deviceId: 'dev-1', createdAt: iso(T0 - 60_000), compliant: true };
      expect(await add(s, first)).toBe('stored');
      expect(await add(s, first)).toBe('duplicate');
      expect(await add(s, { ...first, compliant: false, users: [{ name: 'mallory', compliant: false, selected: 'x' }] })).toBe('duplicate');
      const d = await s.device('dev-1', 10);
      expect(d?.history).toHaveLength(1);
      expect(d?.device).toMatchObject({ compliant: true, users: 2 });
      expect(d?.latest?.report.users.map((u) => u.name)).toEqual(['alice', 'bob']);
      expect((await s.summary()).reportsTotal).toBe(1);
    });

    test('the body round-trips exactly: the validated JSON, key order included', async () => {
      const s = await store();
      await enroll(s, 'dev-1');
      const report = makeReport({
        id: 'rep-1',
        deviceId: 'dev-1',
        createdAt: '2025-06-01T13:59:59.123+02:00',
        events: [{ at: '2025-06-01T11:00:00Z', kind: 'drift-repaired', user: 'alice', path: '/home/alice/.claude/settings.json', codes: ['model', 'env.ANTHROPIC_BASE_URL'], message: 'ü ✓ "quoted" \\ \u2028' }],
      });
      await s.addReport({ report, receivedAt: iso(T0) });
      const d = await s.device('dev-1', 1);
      expect(d?.latest).toEqual({ id: 'rep-1', deviceId: 'dev-1', receivedAt: iso(T0), report });
      expect(JSON.stringify(d?.latest?.report)).toBe(JSON.stringify(report));
      expect(d?.device.lastReportAt).toBe('2025-06-01T11:59:59.123Z');
    });

    test('device detail: events when asked for; latest, history and events agree while reports keep arriving', async () => {
      const s = await store();
      await enroll(s, 'dev-1');
      const rep = (k: number) => ({ id: `rep-${k}`, deviceId: 'dev-1', createdAt: iso(T0 + k * 1000), events: [{ at: iso(T0 + k * 1000), kind: 'drift-repaired', user: 'alice', path: '/home/alice/.claude/settings.json', codes: ['model-present'] }] });
      await add(s, rep(0));
      expect((await s.device('dev-1', 5))?.events).toEqual([]);
      expect((await s.device('dev-1', 5, 5))?.events).toEqual([{ deviceId: 'dev-1', at: iso(T0), kind: 'drift-repaired', user: 'alice', path: '/home/alice/.claude/settings.json', codes: ['model-present'], message: null }]);
      await expectCode(s.device('dev-1', 5, -1), 'INVALID_QUERY');
      // Reads racing writes: each read sees a report in all three places or in none.
      for (let k = 1; k <= 30; k++) {
        const [, d] = await Promise.all([add(s, rep(k)), s.device('dev-1', 3, 3), add(s, rep(100 + k))]);
        expect(d?.history[0]?.id).toBe(d?.latest?.id);
        expect(d?.events[0]?.at).toBe(d?.latest?.report.createdAt);
        expect(d?.device.lastReportAt).toBe(d?.latest?.report.createdAt);
      }
    });

    test('the latest report is the newest by createdAt, whatever order reports arrive in', async () => {
      const s = await store();
      await enroll(s, 'dev-1');
      const newer = { id: 'rep-new', deviceId: 'dev-1', createdAt: iso(T0 - hours(1)), hostname: 'renamed', users: [{ name: 'carol', compliant: false, selected: 'claude-opus-4-1', used: 'claude-opus-4-1' }] };
      const older = { id: 'rep-old', deviceId: 'dev-1', createdAt: iso(T0 - hours(2)), users: [{ name: 'alice', compliant: true, selected: 'claude-sonnet-4-5' }] };
      expect(await add(s, newer)).toBe('stored');
      expect(await add(s, older)).toBe('stored');
      const d = await s.device('dev-1', 10);
      expect(d?.latest?.id).toBe('rep-new');
      expect(d?.device).toMatchObject({ hostname: 'renamed', lastReportAt: iso(T0 - hours(1)), compliant: false, nonCompliantUsers: 1, models: ['claude-opus-4-1'], usedModels: ['claude-opus-4-1'] });
      expect(d?.history.map((h) => h.id)).toEqual(['rep-new', 'rep-old']);
      // The user filter follows the latest report only.
      expect((await allDevices(s, { user: 'carol' })).map((x) => x.id)).toEqual(['dev-1']);
      expect(await allDevices(s, { user: 'alice' })).toEqual([]);
      // A still newer one takes over.
      await add(s, { id: 'rep-newest', deviceId: 'dev-1', createdAt: iso(T0), users: [{ name: 'alice', compliant: true, selected: 'claude-sonnet-4-5' }] });
      expect((await s.device('dev-1', 0))?.device).toMatchObject({ lastReportAt: iso(T0), compliant: true, models: ['claude-sonnet-4-5'], usedModels: [] });
      expect((await allDevices(s, { user: 'alice' })).map((x) => x.id)).toEqual(['dev-1']);
    });

    test('a report from a device never enrolled is refused (DEVICE_UNKNOWN) without failing the others sent with it', async () => {
      const s = await store();
      await enroll(s, 'dev-1');
      const results = await Promise.allSettled([
        add(s, { id: 'a', deviceId: 'dev-1', createdAt: iso(T0) }),
        add(s, { id: 'b', deviceId: 'ghost', createdAt: iso(T0) }),
        add(s, { id: 'c', deviceId: 'dev-1', createdAt: iso(T0 - 1000) }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      await expectCode(add(s, { id: 'b', deviceId: 'ghost', createdAt: iso(T0) }), 'DEVICE_UNKNOWN');
      expect((await s.summary()).reportsTotal).toBe(2);
      expect(await s.device('ghost', 1)).toBeNull();
    });

    test('summary: the numbers the seeded reports imply', async () => {
      const s = await store({ staleHours: 24 });
      for (const id of ['ok-1', 'ok-2', 'bad', 'old', 'new-silent']) await enroll(s, id, iso(T0 - hours(72)));
      await enroll(s, 'new-silent', iso(T0 - hours(1))); // re-enrolment keeps the first time: stale
      await enroll(s, 'fresh', iso(T0 - hours(1))); // never reported, enrolled an hour ago: not stale
      await add(s, { id: 'r1', deviceId: 'ok-1', createdAt: iso(T0 - hours(1)), users: [{ name: 'alice', selected: 'sonnet-x', used: 'sonnet-x' }] });
      await add(s, { id: 'r2', deviceId: 'ok-2', createdAt: iso(T0 - hours(2)), users: [{ name: 'bob', selected: 'sonnet-x', used: 'opus-y' }, { name: 'carol', selected: 'opus-y', used: null }] });
      await add(s, {
        id: 'r3',
        deviceId: 'bad',
        createdAt: iso(T0 - hours(3)),
        users: [{ name: 'dave', compliant: false, selected: 'opus-y', used: 'opus-y' }, { name: 'erin', selected: 'sonnet-x', used: 'sonnet-x' }],
        events: [
          { at: iso(T0 - hours(4)), kind: 'drift-repaired', user: 'dave', codes: ['model'] },
          { at: iso(T0 - hours(30)), kind: 'drift-repaired', user: 'dave', codes: ['model'] },
          { at: iso(T0 - hours(5)), kind: 'policy-applied' },
        ],
      });
      await add(s, { id: 'r4-old', deviceId: 'old', createdAt: iso(T0 - hours(60)), users: [{ name: 'frank', selected: '__proto__', used: null }] });
      await add(s, { id: 'r4', deviceId: 'old', createdAt: iso(T0 - hours(48)), users: [{ name: 'frank', selected: 'haiku-z', used: null }] });
      const sum = await s.summary();
      expect(sum).toEqual({
        devices: 6,
        byState: { compliant: 2, noncompliant: 2, stale: 2 },
        complianceRatio: 0.5,
        users: 6,
        nonCompliantUsers: 1,
        modelsSelected: { 'sonnet-x': 3, 'opus-y': 2, 'haiku-z': 1 },
        modelsUsed: { 'sonnet-x': 2, 'opus-y': 2 },
        driftRepairs24h: 1,
        reportsTotal: 5,
      });
      // Time passes: everything goes stale.
      clockMs = T0 + hours(100);
      expect((await s.summary()).byState).toEqual({ compliant: 0, noncompliant: 0, stale: 6 });
      expect((await s.summary()).complianceRatio).toBeNull();
    });

    test('summary of an empty fleet, and of devices that never reported', async () => {
      const s = await store();
      expect(await s.summary()).toEqual({
        devices: 0,
        byState: { compliant: 0, noncompliant: 0, stale: 0 },
        complianceRatio: null,
        users: 0,
        nonCompliantUsers: 0,
        modelsSelected: {},
        modelsUsed: {},
        driftRepairs24h: 0,
        reportsTotal: 0,
      });
      await enroll(s, 'dev-1');
      expect(await s.summary()).toMatchObject({ devices: 1, byState: { compliant: 0, noncompliant: 1, stale: 0 }, complianceRatio: null });
    });

    test('device filters: state, model (selected or used), user, stale-since, search, and combinations', async () => {
      const s = await store({ staleHours: 24 });
      await enroll(s, 'alpha-01', iso(T0 - hours(100)));
      await enroll(s, 'beta-02', iso(T0 - hours(100)));
      await enroll(s, 'gamma_03', iso(T0 - hours(100)));
      await enroll(s, 'delta-04', iso(T0 - hours(100)));
      await enroll(s, 'silent-05', iso(T0 - hours(1)));
      await add(s, { id: 'a', deviceId: 'alpha-01', hostname: 'MacBook-Alpha', createdAt: iso(T0 - hours(1)), users: [{ name: 'alice', selected: 'sonnet', used: 'opus' }] });
      await add(s, { id: 'b', deviceId: 'beta-02', hostname: 'build%box', createdAt: iso(T0 - hours(2)), users: [{ name: 'bob', compliant: false, selected: 'opus', used: 'opus' }] });
      await add(s, { id: 'g', deviceId: 'gamma_03', hostname: 'ws-gamma', createdAt: iso(T0 - hours(30)), users: [{ name: 'alice', selected: 'haiku', used: null }] });
      await add(s, { id: 'd', deviceId: 'delta-04', hostname: 'ws-delta', createdAt: iso(T0 - hours(3)), users: [{ name: 'dan', selected: 'sonnet', used: 'sonnet' }] });
      const ids = async (q: Omit<DeviceQuery, 'limit'>) => (await allDevices(s, q)).map((d) => d.id);
      expect(await ids({})).toEqual(['alpha-01', 'beta-02', 'delta-04', 'gamma_03', 'silent-05']);
      expect(await ids({ state: 'compliant' })).toEqual(['alpha-01', 'delta-04']);
      expect(await ids({ state: 'noncompliant' })).toEqual(['beta-02', 'silent-05']);
      expect(await ids({ state: 'stale' })).toEqual(['gamma_03']);
      expect(await ids({ model: 'opus' })).toEqual(['alpha-01', 'beta-02']);
      expect(await ids({ model: 'sonnet' })).toEqual(['alpha-01', 'delta-04']);
      expect(await ids({ model: 'nope' })).toEqual([]);
      expect(await ids({ user: 'alice' })).toEqual(['alpha-01', 'gamma_03']);
      expect(await ids({ staleSince: iso(T0 - hours(2.5)) })).toEqual(['delta-04', 'gamma_03', 'silent-05']);
      expect(await ids({ search: 'GAMMA' })).toEqual(['gamma_03']);
      expect(await ids({ search: 'macbook' })).toEqual(['alpha-01']);
      expect(await ids({ search: '%' })).toEqual(['beta-02']);
      expect(await ids({ search: '_0' })).toEqual(['gamma_03']);
      expect(await ids({ search: 'ws-' })).toEqual(['delta-04', 'gamma_03']);
      expect(await ids({ user: 'alice', state: 'compliant' })).toEqual(['alpha-01']);
      expect(await ids({ model: 'sonnet', search: 'delta', state: 'compliant' })).toEqual(['delta-04']);
      const [alpha] = await allDevices(s, { search: 'alpha' });
      expect(alpha).toEqual({
        id: 'alpha-01',
        hostname: 'MacBook-Alpha',
        enrolledAt: iso(T0 - hours(100)),
        lastReportAt: iso(T0 - hours(1)),
        compliant: true,
        state: 'compliant',
        policyId: 'acme-bifrost',
        policyVersion: 7,
        agentVersion: '0.1.0',
        platform: 'linux',
        users: 1,
        nonCompliantUsers: 0,
        models: ['sonnet'],
        usedModels: ['opus'],
      });
    });

    test('pagination: every device exactly once across pages, in a stable order, with ties and never-reported devices', async () => {
      const s = await store();
      const expected: string[] = [];
      for (let i = 0; i < 23; i++) {
        const id = `dev-${String(i).padStart(2, '0')}`;
        await enroll(s, id, iso(T0 - hours(2)));
        // Groups of three share a report time (ties broken by id); every fifth never reports.
        if (i % 5 !== 4) await add(s, { id: `r-${id}`, deviceId: id, createdAt: iso(T0 - Math.floor(i / 3) * 60_000) });
      }
      const single = (await s.devices({ limit: 1000 })).devices.map((d) => d.id);
      expect(single).toHaveLength(23);
      for (let i = 0; i < 23; i++) {
        const id = `dev-${String(i).padStart(2, '0')}`;
        if (i % 5 !== 4) expected.push(id);
      }
      expect(single.slice(0, expected.length)).toEqual(expected);
      expect(single.slice(expected.length)).toEqual(['dev-04', 'dev-09', 'dev-14', 'dev-19']);
      for (const size of [1, 2, 4, 7, 22, 23, 24]) {
        const paged = (await allDevices(s, {}, size)).map((d) => d.id);
        expect(paged, `page size ${size}`).toEqual(single);
      }
      const first = await s.devices({ limit: 23 });
      expect(first.nextCursor).toBeNull();
      // Filtered pages too.
      const silent = (await allDevices(s, { state: 'noncompliant' }, 2)).map((d) => d.id);
      expect(silent).toEqual(['dev-04', 'dev-09', 'dev-14', 'dev-19']);
      // A device reporting between two page loads moves to the top: no other device vanishes or repeats.
      const p1 = await s.devices({ limit: 5 });
      expect(p1.devices.map((d) => d.id)).toEqual(single.slice(0, 5));
      await add(s, { id: 'late', deviceId: 'dev-19', createdAt: iso(T0 + 1000) });
      const rest: string[] = [];
      for (let cursor = p1.nextCursor; cursor !== null; ) {
        const page = await s.devices({ limit: 5, cursor });
        rest.push(...page.devices.map((d) => d.id));
        cursor = page.nextCursor;
      }
      expect(rest).toEqual(single.slice(5).filter((id) => id !== 'dev-19'));
    });

    test('bad queries are refused with INVALID_QUERY', async () => {
      const s = await store();
      await expectCode(s.devices({ limit: 10, cursor: 'not-a-cursor' }), 'INVALID_QUERY');
      await expectCode(s.devices({ limit: 10, cursor: Buffer.from('{"a":1}').toString('base64url') }), 'INVALID_QUERY');
      await expectCode(s.devices({ limit: 0 }), 'INVALID_QUERY');
      await expectCode(s.devices({ limit: 1.5 }), 'INVALID_QUERY');
      await expectCode(s.devices({ limit: 10, staleSince: 'yesterday' }), 'INVALID_QUERY');
      await expectCode(s.devices({ limit: 10, state: 'sleepy' as never }), 'INVALID_QUERY');
      await expectCode(s.trend({ since: 'nope', bucket: 'hour' }), 'INVALID_QUERY');
      await expectCode(s.trend({ since: iso(T0), bucket: 'week' as never }), 'INVALID_QUERY');
      await expectCode(s.events({ limit: -1 }), 'INVALID_QUERY');
      await expectCode(s.device('x', -1), 'INVALID_QUERY');
      await expectCode(s.prune(-1), 'INVALID_QUERY');
      expect((await s.devices({ limit: 5000 })).devices).toEqual([]);
    });

    test('stale: no report (or, never reported, no enrolment) for staleHours', async () => {
      const s = await store({ staleHours: 6 });
      await enroll(s, 'reports', iso(T0 - hours(10)));
      await enroll(s, 'silent', iso(T0 - hours(1)));
      await add(s, { id: 'r', deviceId: 'reports', createdAt: iso(T0 - hours(5)) });
      const states = async () => Object.fromEntries((await allDevices(s)).map((d) => [d.id, d.state]));
      expect(await states()).toEqual({ reports: 'compliant', silent: 'noncompliant' });
      clockMs = T0 + hours(2);
      expect(await states()).toEqual({ reports: 'stale', silent: 'noncompliant' });
      expect((await allDevices(s, { state: 'stale' })).map((d) => d.id)).toEqual(['reports']);
      clockMs = T0 + hours(6);
      expect(await states()).toEqual({ reports: 'stale', silent: 'stale' });
      expect((await s.device('silent', 0))?.device.state).toBe('stale');
      await add(s, { id: 'r2', deviceId: 'reports', createdAt: iso(clockMs) });
      expect(await states()).toEqual({ reports: 'compliant', silent: 'stale' });
    });

    test('trend: per bucket, each device counted once by its last report in the bucket; empty buckets are null', async () => {
      const s = await store();
      await enroll(s, 'a');
      await enroll(s, 'b');
      const h = (n: number, min = 0) => iso(T0 - hours(n) + min * 60_000);
      // Bucket T0-3h: a compliant then non-compliant (last wins: no), b compliant → 1/2.
      await add(s, { id: 'a1', deviceId: 'a', createdAt: h(3, 5), compliant: true });
      await add(s, { id: 'a2', deviceId: 'a', createdAt: h(3, 40), compliant: false });
      await add(s, { id: 'b1', deviceId: 'b', createdAt: h(3, 10), compliant: true });
      // Bucket T0-2h: nothing. Bucket T0-1h: a compliant → 1/1 (delivered out of order).
      await add(s, { id: 'a4', deviceId: 'a', createdAt: h(1, 30), compliant: true });
      await add(s, { id: 'a3', deviceId: 'a', createdAt: h(1, 1), compliant: false });
      // Before `since`: ignored.
      await add(s, { id: 'a0', deviceId: 'a', createdAt: h(10), compliant: false });
      const points = await s.trend({ since: h(3, 30), bucket: 'hour' });
      expect(points).toEqual([
        { at: h(3), devices: 2, complianceRatio: 0.5 },
        { at: h(2), devices: 0, complianceRatio: null },
        { at: h(1), devices: 1, complianceRatio: 1 },
        { at: h(0), devices: 0, complianceRatio: null },
      ]);
      const days = await s.trend({ since: iso(T0 - hours(48)), bucket: 'day' });
      expect(days.map((p) => p.at)).toEqual(['2025-05-30T00:00:00.000Z', '2025-05-31T00:00:00.000Z', '2025-06-01T00:00:00.000Z']);
      expect(days[2]).toEqual({ at: '2025-06-01T00:00:00.000Z', devices: 2, complianceRatio: 1 });
      expect(days[0]!.complianceRatio).toBeNull();
    });

    test('events: newest first, by device and kind, with their codes', async () => {
      const s = await store();
      await enroll(s, 'a');
      await enroll(s, 'b');
      await add(s, {
        id: 'ra',
        deviceId: 'a',
        createdAt: iso(T0),
        events: [
          { at: iso(T0 - 3000), kind: 'drift-repaired', user: 'alice', path: '/home/alice/.claude/settings.json', codes: ['model'] },
          { at: iso(T0 - 1000), kind: 'policy-applied', message: 'policy acme v7' },
        ],
      });
      await add(s, { id: 'rb', deviceId: 'b', createdAt: iso(T0), events: [{ at: '2025-06-01T13:59:58.000+02:00', kind: 'drift-repaired', user: 'bob', codes: ['env.X', 'model'] }] });
      const all = await s.events({ limit: 10 });
      expect(all.map((e) => [e.deviceId, e.kind, e.at])).toEqual([
        ['a', 'policy-applied', iso(T0 - 1000)],
        ['b', 'drift-repaired', iso(T0 - 2000)],
        ['a', 'drift-repaired', iso(T0 - 3000)],
      ]);
      expect(all[2]).toEqual({ deviceId: 'a', at: iso(T0 - 3000), kind: 'drift-repaired', user: 'alice', path: '/home/alice/.claude/settings.json', codes: ['model'], message: null });
      expect(all[0]).toMatchObject({ user: null, path: null, codes: [], message: 'policy acme v7' });
      expect((await s.events({ kind: 'drift-repaired', limit: 10 })).map((e) => e.deviceId)).toEqual(['b', 'a']);
      expect((await s.events({ deviceId: 'a', limit: 10 })).map((e) => e.kind)).toEqual(['policy-applied', 'drift-repaired']);
      expect((await s.events({ deviceId: 'a', kind: 'drift-repaired', limit: 10 })).map((e) => e.user)).toEqual(['alice']);
      expect(await s.events({ limit: 1 })).toHaveLength(1);
      const history = (await s.device('a', 5))?.history;
      expect(history).toEqual([{ id: 'ra', createdAt: iso(T0), receivedAt: iso(T0), compliant: true, repaired: 1, events: 2 }]);
    });

    test('history counts repaired files and drift-repaired events, newest first, limited', async () => {
      const s = await store();
      await enroll(s, 'a');
      await add(s, { id: 'r1', deviceId: 'a', createdAt: iso(T0 - 2000), repairedFiles: 2 });
      await add(s, { id: 'r2', deviceId: 'a', createdAt: iso(T0 - 1000), compliant: false, users: [{ name: 'x', compliant: false }] });
      const d = await s.device('a', 1);
      expect(d?.history).toEqual([{ id: 'r2', createdAt: iso(T0 - 1000), receivedAt: iso(T0), compliant: false, repaired: 0, events: 0 }]);
      expect((await s.device('a', 10))?.history.map((h) => [h.id, h.repaired])).toEqual([
        ['r2', 0],
        ['r1', 2],
      ]);
      expect((await s.device('a', 0))?.history).toEqual([]);
    });

    test("prune: history older than N days goes (with its events); a device's latest report never does", async () => {
      const s = await store();
      await enroll(s, 'busy');
      await enroll(s, 'quiet');
      const day = hours(24);
      await add(s, { id: 'b-old', deviceId: 'busy', createdAt: iso(T0 - 10 * day), events: [{ at: iso(T0 - 10 * day), kind: 'drift-repaired' }] });
      await add(s, { id: 'b-mid', deviceId: 'busy', createdAt: iso(T0 - 5 * day) });
      await add(s, { id: 'b-new', deviceId: 'busy', createdAt: iso(T0 - day / 2), events: [{ at: iso(T0 - day / 2), kind: 'drift-repaired' }] });
      await add(s, { id: 'q-only', deviceId: 'quiet', createdAt: iso(T0 - 30 * day), events: [{ at: iso(T0 - 30 * day), kind: 'contested' }] });
      // An old report delivered late, older than the latest: pruned too.
      await add(s, { id: 'q-older', deviceId: 'quiet', createdAt: iso(T0 - 40 * day) });
      const daysWithDevices = async () => (await s.trend({ since: iso(T0 - 45 * day), bucket: 'day' })).filter((p) => p.devices > 0).map((p) => p.at.slice(0, 10));
      expect(await daysWithDevices()).toEqual(['2025-04-22', '2025-05-02', '2025-05-22', '2025-05-27', '2025-06-01']);
      expect(await s.prune(7)).toBe(2);
      // The trend's daily buckets older than the history go too; the hourly ones are kept for at most 8 days.
      expect(await daysWithDevices()).toEqual(['2025-05-27', '2025-06-01']);
      expect((await s.device('busy', 10))?.history.map((h) => h.id)).toEqual(['b-new', 'b-mid']);
      expect((await s.device('quiet', 10))?.history.map((h) => h.id)).toEqual(['q-only']);
      expect((await s.device('quiet', 10))?.latest?.id).toBe('q-only');
      expect((await s.events({ limit: 10 })).map((e) => e.kind)).toEqual(['drift-repaired', 'contested']);
      expect(await s.prune(7)).toBe(0);
      expect(await s.prune(0)).toBe(1);
      expect((await s.device('busy', 10))?.history.map((h) => h.id)).toEqual(['b-new']);
      expect((await s.summary()).reportsTotal).toBe(2);
    });

    test('concurrency: 100 concurrent reports of which 30 are redeliveries → exactly 70 stored', async () => {
      const s = await store();
      for (let d = 0; d < 10; d++) await enroll(s, `dev-${d}`);
      const unique = Array.from({ length: 70 }, (_, i) => ({ id: `rep-${i}`, deviceId: `dev-${i % 10}`, createdAt: iso(T0 - i * 1000) }));
      const redeliveries = Array.from({ length: 30 }, (_, i) => unique[(i * 7) % 70]!);
      // Interleaved deterministically: a redelivery lands before, next to and after its original.
      const all = [...unique, ...redeliveries].map((f, i) => ({ f, k: (i * 37) % 100 })).sort((a, b) => a.k - b.k).map((x) => x.f);
      const results = await Promise.all(all.map((f) => add(s, f)));
      expect(results.filter((r) => r === 'stored')).toHaveLength(70);
      expect(results.filter((r) => r === 'duplicate')).toHaveLength(30);
      const sum = await s.summary();
      expect(sum.reportsTotal).toBe(70);
      expect(sum.devices).toBe(10);
      // Each device's latest is its newest (i = d, the smallest index for that device).
      for (let d = 0; d < 10; d++) expect((await s.device(`dev-${d}`, 0))?.latest?.id).toBe(`rep-${d}`);
      // A second wave: all 100 again, all duplicates.
      const again = await Promise.all(all.map((f) => add(s, f)));
      expect(again.every((r) => r === 'duplicate')).toBe(true);
    });

    test('after close, calls fail with STORE_UNAVAILABLE (and close twice is fine)', async () => {
      const s = await store();
      await enroll(s, 'a');
      await s.close();
      await s.close();
      await expectCode(s.summary(), 'STORE_UNAVAILABLE');
      await expectCode(add(s, { id: 'x', deviceId: 'a', createdAt: iso(T0) }), 'STORE_UNAVAILABLE');
      expect(await s.ping()).toBe(false);
    });
  });
}
