// POST /v1/reports with a JSON array (an agent draining its spool): each report checked on its own and
// answered per item; the batch is one request for the per-device limit, its reports charged to the batch
// allowance; bounded by the body limit and maxItems; the single-report form unchanged (and advertising).
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, bearer, enroll, jsonHeaders, postReport, report, reportCount, request, start, type Running } from './fixtures.js';
import { parseExposition } from './prom.js';

let s: Running;
afterEach(async () => {
  await s.close();
});

describe('report batches', () => {
  it('answers per item: stored, duplicate, rejected (invalid, another device, a raw key even escaped); the good ones stored', async () => {
    s = await start();
    const d = await enroll(s.url);
    const other = await enroll(s.url);
    const single = await postReport(s.url, d.token, report(d.deviceId, { id: 'first' }));
    expect(single.status).toBe(202);
    expect(single.json).toEqual({ id: 'first', status: 'stored' });
    expect(single.headers['ccfleet-report-batch']).toBe('100');

    const bad = { ...report(d.deviceId, { id: 'bad' }), compliant: 'yes' };
    const foreign = report(other.deviceId, { id: 'foreign' });
    const escaped = JSON.stringify(report(d.deviceId, { id: 'leaky', extraText: '-KEY' })).replace('-KEY', '/\\u0073k-ant-api03-0123456789abcdefXYZ');
    const body = `[${[report(d.deviceId, { id: 'a' }), report(d.deviceId, { id: 'first' }), bad, foreign].map((r) => JSON.stringify(r)).join(',')},${escaped},${JSON.stringify(report(d.deviceId, { id: 'b' }))}]`;
    const r = await postReport(s.url, d.token, body);
    expect(r.status).toBe(200);
    expect(r.headers['ccfleet-report-batch']).toBe('100');
    expect(r.json.results.map((x: { id: string; status: string; error?: { code: string } }) => [x.id, x.status, x.error?.code])).toEqual([
      ['a', 'stored', undefined],
      ['first', 'duplicate', undefined],
      ['bad', 'rejected', 'invalid-body'],
      ['foreign', 'rejected', 'forbidden'],
      ['leaky', 'rejected', 'raw-secret'],
      ['b', 'stored', undefined],
    ]);
    expect(r.text).not.toContain('0123456789abcdefXYZ');
    expect(await reportCount(s)).toBe(3);
    const m = parseExposition((await request(`${s.url}/metrics`)).text);
    expect(m.value('ccfleet_reports_received_total')).toBe(4);
    expect(m.value('ccfleet_reports_duplicate_total')).toBe(1);
    expect(m.value('ccfleet_reports_rejected_total', { reason: 'forbidden' })).toBe(1);
    expect(m.value('ccfleet_reports_rejected_total', { reason: 'raw-secret' })).toBe(1);
    // The fleet API shows them like any report.
    const dev = await request(`${s.url}/v1/fleet/devices/${d.deviceId}`, { headers: bearer(ADMIN) });
    expect(dev.json.history.map((h: { id: string }) => h.id).sort()).toEqual(['a', 'b', 'first']);
  });

  it('refuses an empty batch, one over maxItems, one over the body limit, and items that are not reports — storing nothing', async () => {
    s = await start({ limits: { reportBytes: 64 * 1024, reportBatch: { maxItems: 5, itemsPerMinute: 60, itemsBurst: 100 } } });
    const d = await enroll(s.url);
    expect((await postReport(s.url, d.token, '[]')).json.error.code).toBe('invalid-body');
    const six = await postReport(s.url, d.token, Array.from({ length: 6 }, (_, i) => report(d.deviceId, { id: `six-${i}` })));
    expect([six.status, six.json.error.code]).toEqual([400, 'invalid-body']);
    const big = await postReport(s.url, d.token, Array.from({ length: 5 }, (_, i) => report(d.deviceId, { id: `big-${i}`, extraText: 'x'.repeat(20_000) })));
    expect([big.status, big.json.error.code]).toEqual([413, 'too-large']);
    const junk = await postReport(s.url, d.token, [1, 'x', null]);
    expect(junk.status).toBe(200);
    expect(junk.json.results.map((x: { id: null; status: string; error: { code: string } }) => [x.id, x.status, x.error.code])).toEqual([
      [null, 'rejected', 'invalid-body'],
      [null, 'rejected', 'invalid-body'],
      [null, 'rejected', 'invalid-body'],
    ]);
    expect(await reportCount(s)).toBe(0);
  });

  it('one request for the per-device limit; the reports in it charged to the batch allowance (429, nothing stored, when it has no room)', async () => {
    let now = Date.parse('2025-06-01T12:00:00Z');
    s = await start({ now: () => new Date(now), limits: { reportRate: { perMinute: 60, burst: 3 }, reportBatch: { maxItems: 50, itemsPerMinute: 60, itemsBurst: 80 } } });
    const d = await enroll(s.url);
    const batch = (tag: string, n: number) => postReport(s.url, d.token, Array.from({ length: n }, (_, i) => report(d.deviceId, { id: `${tag}-${i}` })));
    expect((await batch('one', 50)).status).toBe(200);
    const second = await batch('two', 50); // 30 left in the allowance
    expect(second.status).toBe(429);
    expect(second.json.error.code).toBe('rate-limited');
    expect(second.headers['retry-after']).toBe('20');
    expect(await reportCount(s)).toBe(50);
    // Each batch was one request: of the burst of 3, the third goes to a single report, the fourth is refused.
    expect((await postReport(s.url, d.token, report(d.deviceId, { id: 'single' }))).status).toBe(202);
    const fourth = await postReport(s.url, d.token, report(d.deviceId, { id: 'single-2' }));
    expect(fourth.status).toBe(429);
    expect(fourth.json.error.message).toMatch(/too many reports from this device/);
    now += 20_000;
    expect((await batch('two', 50)).status).toBe(200);
    expect(await reportCount(s)).toBe(101);
  });

  it('with per-device report limits off (--rate-limit off) batches are not charged either: a backlog larger than the allowance drains at once', async () => {
    s = await start({ limits: { reportRate: null, policyRate: null, reportBatch: { maxItems: 50, itemsPerMinute: 60, itemsBurst: 80 } } });
    const d = await enroll(s.url);
    for (let b = 0; b < 4; b++) {
      const r = await postReport(s.url, d.token, Array.from({ length: 50 }, (_, i) => report(d.deviceId, { id: `b${b}-${i}` })));
      expect(r.status).toBe(200);
    }
    expect(await reportCount(s)).toBe(200);
  });

  it('with batches off (limits.reportBatch null) an array is one bad report, as before, and nothing is advertised', async () => {
    s = await start({ limits: { reportBatch: null } });
    const d = await enroll(s.url);
    const r = await request(`${s.url}/v1/reports`, { method: 'POST', headers: jsonHeaders(d.token), body: JSON.stringify([report(d.deviceId)]) });
    expect([r.status, r.json.error.code]).toEqual([400, 'invalid-body']);
    const one = await postReport(s.url, d.token, report(d.deviceId));
    expect(one.status).toBe(202);
    expect(one.headers['ccfleet-report-batch']).toBeUndefined();
  });
});
