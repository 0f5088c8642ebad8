// The agent-facing routes on a real server (127.0.0.1, port 0) over the in-memory store: enrolment,
// the signed policy with ETag/304 (also through the daemon's own PolicyClient), report ingest and every
// refusal (each with its code, and no store change).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PolicyClient } from '../../src/agent/policy-client.js';
import { decodeSignatureHeader, verifyPolicy } from '../../src/agent/policy-signing.js';
import { tokenHashHex } from '../../src/server/device-auth.js';
import { servedPolicy, staticPolicy } from '../../src/server/policy-source.js';
import { ADMIN, ENROLL, KEYS, bearer, enroll, jsonHeaders, policyBytes, postReport, report, reportCount, request, start, type Running } from './fixtures.js';

let s: Running;
beforeEach(async () => {
  s = await start();
});
afterEach(async () => {
  await s.close();
});

const expectError = (r: { status: number; json: any; headers: Record<string, unknown> }, status: number, code: string) => {
  expect(r.status).toBe(status);
  expect(r.json).toEqual({ error: { code, message: expect.any(String) } });
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expect(r.headers['cache-control']).toBe('no-store');
};

describe('GET /healthz', () => {
  it('is 200 while the store answers and 503 store-unavailable when it does not', async () => {
    const ok = await request(`${s.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ status: 'ok', store: 'sqlite' });
    s.store.failing = true;
    const down = await request(`${s.url}/healthz`);
    expectError(down, 503, 'store-unavailable');
    expect(down.headers['retry-after']).toBe('5');
  });

  it('refuses other methods with 405 and an Allow header', async () => {
    const r = await request(`${s.url}/healthz`, { method: 'POST' });
    expectError(r, 405, 'method-not-allowed');
    expect(r.headers.allow).toBe('GET, HEAD');
  });
});

describe('POST /v1/enroll', () => {
  it('hands out a 32-byte base64url token and keeps only its sha256', async () => {
    const r = await request(`${s.url}/v1/enroll`, { method: 'POST', headers: jsonHeaders(), body: JSON.stringify({ enrollSecret: ENROLL, hostname: 'mac-7' }) });
    expect(r.status).toBe(201);
    expect(r.json.deviceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.json.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(r.json.token, 'base64url')).toHaveLength(32);
    expect(await s.store.deviceForToken(tokenHashHex(r.json.token))).toEqual({ id: r.json.deviceId, hostname: 'mac-7' });
    expect(await s.store.deviceForToken(r.json.token)).toBeNull();
  });

  it('keeps the id a re-enrolling device gives, and its old token stops working', async () => {
    const first = await enroll(s.url, { deviceId: 'dev-1', hostname: 'a' });
    expect(first.deviceId).toBe('dev-1');
    expect((await request(`${s.url}/v1/policy`, { headers: bearer(first.token) })).status).toBe(200);
    const again = await enroll(s.url, { deviceId: 'dev-1' });
    expect(again.deviceId).toBe('dev-1');
    expect(again.token).not.toBe(first.token);
    expectError(await request(`${s.url}/v1/policy`, { headers: bearer(first.token) }), 401, 'unauthorized');
    expect((await request(`${s.url}/v1/policy`, { headers: bearer(again.token) })).status).toBe(200);
  });

  it('accepts any of several secrets', async () => {
    await s.close();
    const { hashSecret } = await import('../../src/server/admin-auth.js');
    s = await start({ enrollSecretHashes: [hashSecret('old-secret'), hashSecret('new-secret')] });
    for (const secret of ['old-secret', 'new-secret']) {
      const r = await request(`${s.url}/v1/enroll`, { method: 'POST', headers: jsonHeaders(), body: JSON.stringify({ enrollSecret: secret }) });
      expect(r.status).toBe(201);
    }
    expectError(await request(`${s.url}/v1/enroll`, { method: 'POST', headers: jsonHeaders(), body: JSON.stringify({ enrollSecret: ENROLL }) }), 401, 'unauthorized');
  });

  it('refuses a wrong secret (401), a bad body (400), bad JSON, a wrong content type and GET — storing nothing', async () => {
    const post = (body: string, headers = jsonHeaders()) => request(`${s.url}/v1/enroll`, { method: 'POST', headers, body });
    const wrong = await post(JSON.stringify({ enrollSecret: 'nope', deviceId: 'x' }));
    expectError(wrong, 401, 'unauthorized');
    expect(wrong.text).not.toContain('nope');
    expectError(await post(JSON.stringify({ enrollSecret: 'nope', deviceId: '../../etc' })), 401, 'unauthorized');
    const missing = await post(JSON.stringify({ hostname: 'h' }));
    expectError(missing, 400, 'invalid-body');
    expect(missing.json.error.message).toMatch(/^enrollSecret: /);
    const badId = await post(JSON.stringify({ enrollSecret: ENROLL, deviceId: '../../etc' }));
    expectError(badId, 400, 'invalid-body');
    expect(badId.json.error.message).toMatch(/^deviceId: /);
    expectError(await post('{"enrollSecret": '), 400, 'bad-json');
    expectError(await post(JSON.stringify({ enrollSecret: ENROLL }), { 'content-type': 'text/plain' }), 415, 'unsupported-media-type');
    expectError(await request(`${s.url}/v1/enroll`), 405, 'method-not-allowed');
    expect(s.store.writes).toBe(0);
    expect(s.app.metrics.authFailures.get('enroll')).toBe(2);
  });
});

describe('GET /v1/policy', () => {
  it('serves the exact signed bytes with ETag, signature and no-cache; If-None-Match → 304 with no body', async () => {
    const { token } = await enroll(s.url);
    const r = await request(`${s.url}/v1/policy`, { headers: bearer(token) });
    expect(r.status).toBe(200);
    expect(r.body.equals(policyBytes())).toBe(true);
    expect(r.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(r.headers['cache-control']).toBe('no-cache');
    const sig = r.headers['ccfleet-signature'] as string;
    expect(verifyPolicy(r.body, decodeSignatureHeader(sig), [KEYS.publicKey])).toMatchObject({ ok: true });

    for (const inm of [r.headers.etag!, `W/${r.headers.etag}`, `"other", ${r.headers.etag}`, '*']) {
      const again = await request(`${s.url}/v1/policy`, { headers: { ...bearer(token), 'if-none-match': inm } });
      expect(again.status).toBe(304);
      expect(again.body).toHaveLength(0);
      expect(again.headers.etag).toBe(r.headers.etag);
    }
    const stale = await request(`${s.url}/v1/policy`, { headers: { ...bearer(token), 'if-none-match': '"0000"' } });
    expect(stale.status).toBe(200);
    expect(s.app.metrics.policyServed).toEqual({ full: 2, notModified: 4 });
  });

  it('works with the daemon\'s policy client: updated, then unchanged through a 304', async () => {
    const { token } = await enroll(s.url);
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-srv-pc-'));
    try {
      const client = new PolicyClient({ source: `${s.url}/v1/policy`, publicKeys: [KEYS.publicKey], stateDir, headers: { authorization: `Bearer ${token}` } });
      const first = await client.refresh();
      expect(first.kind).toBe('updated');
      const second = await client.refresh();
      expect(second.kind).toBe('unchanged');
      expect(s.app.metrics.policyServed).toEqual({ full: 1, notModified: 1 });
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('needs a device token: none, a malformed one, an unknown one and an admin token are 401', async () => {
    for (const headers of [{}, bearer('short'), bearer('A'.repeat(43)), bearer(ADMIN), { authorization: 'Basic YTpi' }]) {
      const r = await request(`${s.url}/v1/policy`, { headers });
      expectError(r, 401, 'unauthorized');
      expect(r.headers['www-authenticate']).toBe('Bearer realm="ccfleet"');
    }
  });

  it('is 404 not-found when no policy is configured', async () => {
    await s.close();
    s = await start({ policy: staticPolicy(null) });
    const { token } = await enroll(s.url);
    expectError(await request(`${s.url}/v1/policy`, { headers: bearer(token) }), 404, 'not-found');
  });

  it('serves an unsigned policy without the signature header', async () => {
    await s.close();
    s = await start({ policy: staticPolicy(servedPolicy(policyBytes(2), null, 'x')) });
    const { token } = await enroll(s.url);
    const r = await request(`${s.url}/v1/policy`, { headers: bearer(token) });
    expect(r.status).toBe(200);
    expect(r.headers['ccfleet-signature']).toBeUndefined();
  });

  it('rate-limits per device: 429 with Retry-After, other devices unaffected', async () => {
    await s.close();
    const t = new Date('2025-06-01T10:00:00Z');
    s = await start({ now: () => t, limits: { policyRate: { perMinute: 60, burst: 3 } } });
    const a = await enroll(s.url);
    const b = await enroll(s.url);
    for (let i = 0; i < 3; i++) expect((await request(`${s.url}/v1/policy`, { headers: bearer(a.token) })).status).toBe(200);
    const limited = await request(`${s.url}/v1/policy`, { headers: bearer(a.token) });
    expectError(limited, 429, 'rate-limited');
    expect(limited.headers['retry-after']).toBe('1');
    expect((await request(`${s.url}/v1/policy`, { headers: bearer(b.token) })).status).toBe(200);
    t.setTime(t.getTime() + 1000);
    expect((await request(`${s.url}/v1/policy`, { headers: bearer(a.token) })).status).toBe(200);
  });
});

describe('POST /v1/reports', () => {
  it('stores a report (202 stored) and is idempotent on its id (202 duplicate)', async () => {
    const { deviceId, token } = await enroll(s.url);
    const body = report(deviceId, { id: 'rep-1' });
    const r = await postReport(s.url, token, body);
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ id: 'rep-1', status: 'stored' });
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    const again = await postReport(s.url, token, body);
    expect(again.status).toBe(202);
    expect(again.json).toEqual({ id: 'rep-1', status: 'duplicate' });
    expect(await reportCount(s)).toBe(1);
    expect(s.app.metrics.reportsStored).toBe(1);
    expect(s.app.metrics.reportsDuplicate).toBe(1);
  });

  it('drops unknown fields (newer agents) and fills defaults before storing', async () => {
    const { deviceId, token } = await enroll(s.url);
    const body = { ...report(deviceId, { id: 'rep-new' }), futureField: { x: 1 } };
    delete (body as { events?: unknown }).events;
    expect((await postReport(s.url, token, body)).status).toBe(202);
    const stored = (await s.store.device(deviceId, 10))!.latest!.report as unknown as Record<string, unknown>;
    expect(stored.futureField).toBeUndefined();
    expect(stored.events).toEqual([]);
  });

  it('refuses a report for another device (403 forbidden)', async () => {
    const a = await enroll(s.url);
    const b = await enroll(s.url);
    expectError(await postReport(s.url, a.token, report(b.deviceId)), 403, 'forbidden');
    expect(await reportCount(s)).toBe(0);
  });

  it('refuses an invalid report with 400 invalid-body naming the first issue\'s path', async () => {
    const { deviceId, token } = await enroll(s.url);
    const body = report(deviceId) as any;
    body.users[0].selectedModel.source = 42;
    const r = await postReport(s.url, token, body);
    expectError(r, 400, 'invalid-body');
    expect(r.json.error.message).toContain('users.0.selectedModel.source');
    const noSchema = await postReport(s.url, token, { ...report(deviceId), schema: 'ccfleet.report/v0' });
    expectError(noSchema, 400, 'invalid-body');
    expect(noSchema.json.error.message).toContain('schema');
    expectError(await postReport(s.url, token, '[1, 2'), 400, 'bad-json');
    expectError(await postReport(s.url, token, 'null'), 400, 'invalid-body');
    expect(s.store.writes).toBe(1); // the enrolment only
    expect(s.app.metrics.reportsRejected.get('invalid-body')).toBe(3);
    expect(s.app.metrics.reportsRejected.get('bad-json')).toBe(1);
  });

  it('refuses a report holding a raw key or bearer token (400 raw-secret), also escaped or in an unknown field', async () => {
    const { deviceId, token } = await enroll(s.url);
    const withKey = report(deviceId, { extraText: ' sk-ant-api03-abcdefghijklmnopqrstuvwxyz' });
    expectError(await postReport(s.url, token, withKey), 400, 'raw-secret');
    const escaped = JSON.stringify(report(deviceId)).replace('"laptop-1"', '"\\u0073k-bf-0123456789abcdefghij"');
    expect(escaped).not.toMatch(/sk-bf/);
    expectError(await postReport(s.url, token, escaped), 400, 'raw-secret');
    expectError(await postReport(s.url, token, { ...report(deviceId), note: 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345' }), 400, 'raw-secret');
    expect(await reportCount(s)).toBe(0);
    // "sk-" inside a word is a path, not a key.
    const benign = report(deviceId, { extraText: '/home/ana/desk-organizer-project-abc' });
    expect((await postReport(s.url, token, benign)).status).toBe(202);
  });

  it('refuses a body that is not JSON by content type (415), and requests without a valid device token (401)', async () => {
    const { deviceId, token } = await enroll(s.url);
    const body = JSON.stringify(report(deviceId));
    expectError(await request(`${s.url}/v1/reports`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'text/plain' }, body }), 415, 'unsupported-media-type');
    expectError(await request(`${s.url}/v1/reports`, { method: 'POST', headers: jsonHeaders(), body }), 401, 'unauthorized');
    expectError(await request(`${s.url}/v1/reports`, { method: 'POST', headers: jsonHeaders('x'.repeat(43)), body }), 401, 'unauthorized');
    expectError(await request(`${s.url}/v1/reports`, { method: 'POST', headers: jsonHeaders(ADMIN), body }), 401, 'unauthorized');
    expectError(await request(`${s.url}/v1/reports`, { method: 'GET', headers: bearer(token) }), 405, 'method-not-allowed');
    expect(await reportCount(s)).toBe(0);
  });

  it('takes gzip bodies (the agent compresses larger reports), caps what they inflate to, refuses other encodings', async () => {
    const { deviceId, token } = await enroll(s.url);
    const headers = { ...jsonHeaders(token), 'content-encoding': 'gzip' };
    const ok = await request(`${s.url}/v1/reports`, { method: 'POST', headers, body: gzipSync(JSON.stringify(report(deviceId, { id: 'zipped' }))) });
    expect(ok.status).toBe(202);
    expect(ok.json).toEqual({ id: 'zipped', status: 'stored' });
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100 * 1024);
    expectError(await request(`${s.url}/v1/reports`, { method: 'POST', headers, body: bomb }), 413, 'too-large');
    expectError(await request(`${s.url}/v1/reports`, { method: 'POST', headers, body: 'not gzip at all' }), 400, 'invalid-body');
    expectError(await request(`${s.url}/v1/reports`, { method: 'POST', headers: { ...headers, 'content-encoding': 'br' }, body: 'x' }), 415, 'unsupported-media-type');
    expect(await reportCount(s)).toBe(1);
  });

  it('rate-limits reports per device (429, Retry-After)', async () => {
    await s.close();
    const t = new Date('2025-06-01T10:00:00Z');
    s = await start({ now: () => t, limits: { reportRate: { perMinute: 6, burst: 2 } } });
    const { deviceId, token } = await enroll(s.url);
    expect((await postReport(s.url, token, report(deviceId))).status).toBe(202);
    expect((await postReport(s.url, token, report(deviceId))).status).toBe(202);
    const limited = await postReport(s.url, token, report(deviceId));
    expectError(limited, 429, 'rate-limited');
    expect(limited.headers['retry-after']).toBe('10');
    expect(await reportCount(s)).toBe(2);
    expect(s.app.metrics.reportsRejected.get('rate-limited')).toBe(1);
  });

  it('answers 503 store-unavailable when the store fails, and counts it', async () => {
    const { deviceId, token } = await enroll(s.url);
    await postReport(s.url, token, report(deviceId)); // warms the token cache
    s.store.failing = true;
    expectError(await postReport(s.url, token, report(deviceId)), 503, 'store-unavailable');
    expect(s.app.metrics.reportsRejected.get('store-unavailable')).toBe(1);
  });
});

describe('routing', () => {
  it('answers unknown routes with 404 not-found (JSON), also / without a dashboard', async () => {
    for (const p of ['/v1/nope', '/v1', '/', '/v1/policy/', '/v1/fleet/devices/a/b']) expectError(await request(`${s.url}${p}`), 404, 'not-found');
  });

  it('hands everything outside the API to the dashboard hook', async () => {
    await s.close();
    s = await start({
      dashboard: (req, res, ctx) => {
        if (ctx.path === '/') {
          res.writeHead(200, { 'content-type': 'text/html' }).end(`<p>admin=${ctx.admin.authenticate(req)}</p>`);
          return true;
        }
        if (ctx.path === '/boom') {
          ctx.sendError('forbidden', 'no');
          return true;
        }
        return false;
      },
    });
    const home = await request(`${s.url}/`);
    expect(home.status).toBe(200);
    expect(home.text).toBe('<p>admin=false</p>');
    expect((await request(`${s.url}/`, { headers: bearer(ADMIN) })).text).toBe('<p>admin=true</p>');
    expectError(await request(`${s.url}/boom`), 403, 'forbidden');
    expectError(await request(`${s.url}/elsewhere`), 404, 'not-found');
    expectError(await request(`${s.url}/v1/elsewhere`), 404, 'not-found');
  });
});
