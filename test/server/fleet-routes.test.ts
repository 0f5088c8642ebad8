// The admin side on a real server over the in-memory store: who may read the fleet API (admin bearer
// token, the dashboard's session cookie, the authenticateAdmin hook — nobody else), the queries and their
// validation, and /metrics as well-formed Prometheus text.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_COOKIE } from '../../src/server/admin-auth.js';
import { ADMIN, bearer, enroll, postReport, report, request, start, type Running } from './fixtures.js';
import { parseExposition } from './prom.js';

let s: Running;
let now: Date;
beforeEach(async () => {
  now = new Date('2025-06-01T12:00:00Z');
  s = await start({ now: () => now });
});
afterEach(async () => {
  await s.close();
});

const admin = (path: string, headers: Record<string, string> = bearer(ADMIN)) => request(`${s.url}${path}`, { headers });

/** Three devices: a compliant one, a non-compliant one, and one whose last report is two days old. */
async function seed(): Promise<Record<'ok' | 'bad' | 'old', string>> {
  const ok = await enroll(s.url, { deviceId: 'dev-ok', hostname: 'mac-ok' });
  const bad = await enroll(s.url, { deviceId: 'dev-bad', hostname: 'linux-bad' });
  const old = await enroll(s.url, { deviceId: 'dev-old', hostname: 'win-old' });
  const at = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();
  await postReport(s.url, ok.token, report('dev-ok', { createdAt: at(1), hostname: 'mac-ok', users: [{ name: 'alice', model: 'sonnet-model', used: 'sonnet-model' }], events: [{ at: at(1), kind: 'drift-repaired', user: 'alice', path: '/home/alice/.claude/settings.json', codes: ['model-present'] }] }));
  await postReport(s.url, bad.token, report('dev-bad', { createdAt: at(2), compliant: false, hostname: 'linux-bad', users: [{ name: 'bob', model: 'claude-opus-4-1', used: 'claude-opus-4-1', compliant: false }, { name: 'carol', model: 'sonnet-model', compliant: true }] }));
  await postReport(s.url, old.token, report('dev-old', { createdAt: at(48), hostname: 'win-old', users: [{ name: 'dave', model: 'haiku-model' }] }));
  return { ok: 'dev-ok', bad: 'dev-bad', old: 'dev-old' };
}

describe('admin authentication', () => {
  const routes = ['/v1/fleet/summary', '/v1/fleet/devices', '/v1/fleet/devices/dev-ok', '/v1/fleet/trend', '/v1/fleet/events'];

  it('refuses a request with no credential (no cookie, no token), a wrong token and a device token', async () => {
    const device = await enroll(s.url);
    for (const route of routes) {
      now = new Date(now.getTime() + 60_000); // two wrong tokens a route: within the admin throttle's refill (1 per 30 s)
      for (const headers of [{}, bearer('wrong-admin-token'), bearer(device.token), { cookie: 'other=1' }]) {
        const r = await admin(route, headers);
        expect(r.status, `${route} ${JSON.stringify(headers)}`).toBe(401);
        expect(r.json.error.code).toBe('unauthorized');
        expect(r.headers['www-authenticate']).toBe('Bearer realm="ccfleet"');
      }
    }
    expect(s.app.metrics.authFailures.get('admin')).toBe(routes.length * 4);
  });

  it('accepts the admin token as a Bearer token (any case of the scheme)', async () => {
    expect((await admin('/v1/fleet/summary')).status).toBe(200);
    expect((await admin('/v1/fleet/summary', { authorization: `bearer ${ADMIN}` })).status).toBe(200);
  });

  it('accepts the dashboard session cookie until it expires; a tampered one never', async () => {
    const cookie = s.app.admin.sessionCookie({ secure: true });
    expect(cookie).toMatch(new RegExp(`^${ADMIN_COOKIE}=v1\\.\\d+\\.[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$`));
    const value = cookie.slice(ADMIN_COOKIE.length + 1, cookie.indexOf(';'));
    expect((await admin('/v1/fleet/summary', { cookie: `theme=dark; ${ADMIN_COOKIE}=${value}` })).status).toBe(200);
    const [v, exp, mac] = value.split('.');
    const later = `${v}.${Number(exp) + 3600}.${mac}`;
    expect((await admin('/v1/fleet/summary', { cookie: `${ADMIN_COOKIE}=${later}` })).status).toBe(401);
    const flipped = `${v}.${exp}.${mac!.slice(0, -2)}${mac!.endsWith('AA') ? 'BA' : 'AA'}`;
    expect((await admin('/v1/fleet/summary', { cookie: `${ADMIN_COOKIE}=${flipped}` })).status).toBe(401);
    now = new Date(now.getTime() + 12 * 3_600_000 + 1000);
    const expired = await admin('/v1/fleet/summary', { cookie: `${ADMIN_COOKIE}=${value}` });
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toContain('session');
    expect(s.app.admin.clearCookie()).toBe(`${ADMIN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
  });

  it('a session minted by a server with other admin tokens is refused', async () => {
    const other = await start({ adminTokenHashes: [(await import('../../src/server/admin-auth.js')).hashSecret('another-token')] });
    try {
      const foreign = other.app.admin.newSession();
      expect((await admin('/v1/fleet/summary', { cookie: `${ADMIN_COOKIE}=${foreign}` })).status).toBe(401);
      expect(s.app.admin.checkToken(ADMIN)).toBe(true);
      expect(other.app.admin.checkToken(ADMIN)).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('takes the authenticateAdmin hook as a third way in', async () => {
    await s.close();
    s = await start({ now: () => now, authenticateAdmin: (req) => req.headers['x-test-sso'] === 'yes' });
    expect((await admin('/v1/fleet/summary', { 'x-test-sso': 'yes' })).status).toBe(200);
    expect((await admin('/v1/fleet/summary', { 'x-test-sso': 'no' })).status).toBe(401);
  });
});

describe('fleet API', () => {
  it('summarises the fleet', async () => {
    await seed();
    const r = await admin('/v1/fleet/summary');
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.json).toMatchObject({ devices: 3, byState: { compliant: 1, noncompliant: 1, stale: 1 }, complianceRatio: 0.5, users: 4, nonCompliantUsers: 1, driftRepairs24h: 1, reportsTotal: 3, generatedAt: now.toISOString() });
  });

  it('lists devices with filters and pages through them with the cursor', async () => {
    await seed();
    const all = await admin('/v1/fleet/devices');
    expect(all.status).toBe(200);
    expect(all.json.devices.map((d: { id: string }) => d.id).sort()).toEqual(['dev-bad', 'dev-ok', 'dev-old']);
    expect(all.json.devices.find((d: { id: string }) => d.id === 'dev-bad')).toMatchObject({ hostname: 'linux-bad', compliant: false, state: 'noncompliant', lastReportAt: expect.any(String) });
    expect(all.json.nextCursor).toBeNull();
    const ids = async (q: string) => ((await admin(`/v1/fleet/devices?${q}`)).json.devices as Array<{ id: string }>).map((d) => d.id).sort();
    expect(await ids('state=noncompliant')).toEqual(['dev-bad']);
    expect(await ids('state=stale')).toEqual(['dev-old']);
    expect(await ids('model=claude-opus-4-1')).toEqual(['dev-bad']);
    expect(await ids('user=dave')).toEqual(['dev-old']);
    expect(await ids('q=mac')).toEqual(['dev-ok']);
    expect(await ids('stale-since=24')).toEqual(['dev-old']);
    expect(await ids(`stale-since=${encodeURIComponent(new Date(now.getTime() - 90 * 60_000).toISOString())}`)).toEqual(['dev-bad', 'dev-old']);
    const page1 = await admin('/v1/fleet/devices?limit=2');
    expect(page1.json.devices).toHaveLength(2);
    expect(page1.json.nextCursor).toEqual(expect.any(String));
    const page2 = await admin(`/v1/fleet/devices?limit=2&cursor=${encodeURIComponent(page1.json.nextCursor)}`);
    expect(page2.json.devices).toHaveLength(1);
    expect([...page1.json.devices, ...page2.json.devices].map((d: { id: string }) => d.id).sort()).toEqual(['dev-bad', 'dev-ok', 'dev-old']);
    expect(page2.json.nextCursor).toBeNull();
  });

  it('refuses bad queries with 400 invalid-query naming the parameter', async () => {
    for (const [q, word] of [
      ['state=broken', 'state'],
      ['limit=501', 'limit'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['stale_since=3', 'stale_since'],
      ['stale-since=yesterday', 'stale-since'],
      ['q=', 'q'],
      ['state=stale&state=compliant', 'state'],
    ] as const) {
      const r = await admin(`/v1/fleet/devices?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.error.code).toBe('invalid-query');
      expect(r.json.error.message).toContain(word);
    }
    expect((await admin('/v1/fleet/trend?bucket=week')).json.error.code).toBe('invalid-query');
    const cursor = await admin('/v1/fleet/devices?cursor=not-a-cursor');
    expect(cursor.status).toBe(400);
    expect(cursor.json.error.code).toBe('invalid-query');
    expect((await admin('/v1/fleet/trend?since=99999&bucket=hour')).json.error.code).toBe('invalid-query');
    expect((await admin('/v1/fleet/devices/dev-ok?history=1000')).json.error.code).toBe('invalid-query');
  });

  it('shows one device: latest report, history and recent events; 404 for an unknown id', async () => {
    await seed();
    const r = await admin('/v1/fleet/devices/dev-ok');
    expect(r.status).toBe(200);
    expect(r.json.device).toMatchObject({ id: 'dev-ok', hostname: 'mac-ok', state: 'compliant' });
    expect(r.json.latest.report.deviceId).toBe('dev-ok');
    expect(r.json.history).toHaveLength(1);
    expect(r.json.events).toEqual([expect.objectContaining({ kind: 'drift-repaired', user: 'alice' })]);
    for (const id of ['nope', '..%2F..%2Fetc', '%E0%A4%A']) {
      const miss = await admin(`/v1/fleet/devices/${id}`);
      expect(miss.status, id).toBe(404);
      expect(miss.json.error.code).toBe('not-found');
    }
  });

  it('gives the compliance trend and the recent events', async () => {
    await seed();
    const t = await admin('/v1/fleet/trend?since=72&bucket=hour');
    expect(t.status).toBe(200);
    expect(t.json.bucket).toBe('hour');
    expect(t.json.points.filter((p: { devices: number }) => p.devices > 0)).toHaveLength(3);
    const day = await admin('/v1/fleet/trend?since=2025-05-01T00:00:00Z');
    expect(day.json.bucket).toBe('day');
    expect(day.json.since).toBe('2025-05-01T00:00:00.000Z');
    const ev = await admin('/v1/fleet/events?kind=drift-repaired');
    expect(ev.json.events).toHaveLength(1);
    expect((await admin('/v1/fleet/events?kind=policy-applied')).json.events).toHaveLength(0);
  });

  it('answers 503 store-unavailable when the store fails, 405 for other methods', async () => {
    s.store.failing = true;
    const r = await admin('/v1/fleet/summary');
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe('store-unavailable');
    s.store.failing = false;
    const post = await request(`${s.url}/v1/fleet/devices`, { method: 'POST', headers: bearer(ADMIN) });
    expect(post.status).toBe(405);
    expect(post.json.error.code).toBe('method-not-allowed');
  });
});

describe('GET /metrics', () => {
  it('is well-formed Prometheus text with only ccfleet_ series and the fleet\'s numbers', async () => {
    await seed();
    const { token, deviceId } = await enroll(s.url);
    await postReport(s.url, token, { ...report(deviceId), schema: 'nope' });
    await postReport(s.url, token, report('someone-else'));
    const r = await request(`${s.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parseExposition(r.text);
    for (const name of m.names) expect(name).toMatch(/^ccfleet_/);
    const summary = (await admin('/v1/fleet/summary')).json;
    for (const state of ['compliant', 'noncompliant', 'stale']) expect(m.value('ccfleet_devices', { state })).toBe(summary.byState[state]);
    expect(m.value('ccfleet_devices', { state: 'compliant' })).toBe(1);
    expect(m.value('ccfleet_devices', { state: 'stale' })).toBe(1);
    expect(m.value('ccfleet_compliance_ratio')).toBe(summary.complianceRatio);
    expect(m.value('ccfleet_users')).toBe(4);
    expect(m.value('ccfleet_model_selected_users', { model: 'claude-opus-4-1' })).toBe(1);
    expect(m.value('ccfleet_model_used_users', { model: 'sonnet-model' })).toBe(1);
    expect(m.value('ccfleet_drift_repairs_24h')).toBe(1);
    expect(m.value('ccfleet_reports_received_total')).toBe(3);
    expect(m.value('ccfleet_reports_rejected_total', { reason: 'invalid-body' })).toBe(1);
    expect(m.value('ccfleet_reports_rejected_total', { reason: 'forbidden' })).toBe(1);
    expect(m.value('ccfleet_store_info', { kind: 'sqlite' })).toBe(1);
    expect(m.value('ccfleet_store_up')).toBe(1);
    expect(m.value('ccfleet_policy_info', { id: 'fleet', version: '1' })).toBe(1);
    expect(m.value('ccfleet_enrollments_total')).toBe(4);
    expect(m.types.get('ccfleet_http_request_duration_seconds')).toBe('histogram');
    const count = m.value('ccfleet_http_request_duration_seconds_count', { route: 'reports' });
    expect(count).toBe(5);
    expect(m.value('ccfleet_http_request_duration_seconds_bucket', { route: 'reports', le: '+Inf' })).toBe(count);
    const buckets = m.samples.filter((x) => x.name === 'ccfleet_http_request_duration_seconds_bucket' && x.labels.route === 'reports').map((x) => x.value);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
  });

  it('escapes label values and keeps answering (store_up 0) when the store fails', async () => {
    const weird = 'we"ird\\model\nname';
    const { token, deviceId } = await enroll(s.url);
    await postReport(s.url, token, report(deviceId, { users: [{ name: 'eve', model: weird }] }));
    const r = await request(`${s.url}/metrics`);
    expect(r.text).toContain('ccfleet_model_selected_users{model="we\\"ird\\\\model\\nname"} 1');
    expect(parseExposition(r.text).value('ccfleet_model_selected_users', { model: weird })).toBe(1);
    s.store.failing = true;
    const down = await request(`${s.url}/metrics`);
    expect(down.status).toBe(200);
    const m = parseExposition(down.text);
    expect(m.value('ccfleet_store_up')).toBe(0);
    expect(m.names.has('ccfleet_devices')).toBe(false);
  });

  it('appends what onMetrics adds', async () => {
    await s.close();
    s = await start({ onMetrics: (out) => out.push('# TYPE ccfleet_extra_thing gauge', 'ccfleet_extra_thing 7') });
    expect(parseExposition((await request(`${s.url}/metrics`)).text).value('ccfleet_extra_thing')).toBe(7);
  });
});
