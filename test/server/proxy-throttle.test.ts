// Behind a TLS-terminating proxy (--trust-proxy, --cookie-secure) and the admin-credential throttle: the
// client address and HTTPS come from X-Forwarded-* only when the peer is a trusted proxy; wrong admin
// tokens (login form, Bearer on /v1/fleet/*, Bearer on dashboard pages) are throttled per client with a
// fake clock: 5, then 1 per 30 s.
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { clientKey, clientOf, plainIp, trustedProxies } from '../../src/server/client-address.js';
import { createDashboard, type DashboardOptions } from '../../src/server/dashboard/index.js';
import { LoginThrottle } from '../../src/server/login-throttle.js';
import { ADMIN, bearer, request, start, type Running } from './fixtures.js';
import { parseExposition } from './prom.js';

const fakeReq = (remoteAddress: string, headers: Record<string, string> = {}, encrypted = false): IncomingMessage =>
  ({ socket: { remoteAddress, encrypted }, headers }) as unknown as IncomingMessage;

describe('client address', () => {
  it('parses addresses and CIDR ranges, IPv4 and IPv6, and refuses anything else', () => {
    const t = trustedProxies(['10.0.0.0/8', '::1', '192.168.1.7', 'fd00::/8']);
    expect(['10.2.3.4', '::1', '192.168.1.7', 'fd12::5', '::ffff:10.9.9.9'].map(t.has)).toEqual([true, true, true, true, true]);
    expect(['11.0.0.1', '127.0.0.1', '192.168.1.8', 'fe80::1', 'not-an-ip', ''].map(t.has)).toEqual([false, false, false, false, false, false]);
    for (const bad of ['10.0.0.0/33', 'localhost', '10.0.0/8', '::1/129', '1.2.3.4/x', '']) expect(() => trustedProxies([bad]), bad).toThrow(RangeError);
    expect(trustedProxies([]).has('127.0.0.1')).toBe(false);
  });

  it('ignores X-Forwarded-* from a peer that is not trusted (loopback included unless listed)', () => {
    const headers = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };
    expect(clientOf(fakeReq('127.0.0.1', headers), trustedProxies([]))).toEqual({ ip: '127.0.0.1', https: false, viaProxy: false });
    expect(clientOf(fakeReq('::ffff:198.51.100.2', headers), trustedProxies(['10.0.0.0/8']))).toEqual({ ip: '198.51.100.2', https: false, viaProxy: false });
    expect(clientOf(fakeReq('198.51.100.2', {}, true), trustedProxies([]))).toEqual({ ip: '198.51.100.2', https: true, viaProxy: false });
  });

  it('from a trusted proxy: the right-most untrusted X-Forwarded-For hop, and the first X-Forwarded-Proto', () => {
    const t = trustedProxies(['127.0.0.1', '10.0.0.0/8']);
    const via = (h: Record<string, string>) => clientOf(fakeReq('127.0.0.1', h), t);
    expect(via({ 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' })).toEqual({ ip: '203.0.113.9', https: true, viaProxy: true });
    // The client's own claim (left) is not believed over what the proxies saw.
    expect(via({ 'x-forwarded-for': '1.1.1.1, 203.0.113.9, 10.1.1.1' }).ip).toBe('203.0.113.9');
    expect(via({ 'x-forwarded-for': '10.1.1.1, 10.2.2.2' }).ip).toBe('10.1.1.1');
    expect(via({ 'x-forwarded-for': '[2001:db8::1]:443, 198.51.100.4:5000' }).ip).toBe('198.51.100.4');
    expect(via({ 'x-forwarded-for': 'garbage, 203.0.113.9' }).ip).toBe('127.0.0.1');
    expect(via({}).ip).toBe('127.0.0.1');
    expect(via({ 'x-forwarded-proto': 'https, http' }).https).toBe(true);
    expect(via({ 'x-forwarded-proto': 'http' }).https).toBe(false);
  });

  it('counts IPv6 clients by /64 and IPv4 by address', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
    expect(plainIp('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(plainIp('fe80::1%eth0')).toBe('fe80::1');
  });
});

describe('login throttle', () => {
  it('allows 5 failures, then one every 30 s; only failures count', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 5; i++) {
      expect(t.wait('a', 0)).toBe(0);
      t.failed('a', 0);
    }
    expect(t.wait('a', 0)).toBe(30_000);
    expect(t.wait('a', 29_999)).toBeGreaterThan(0);
    expect(t.wait('a', 30_000)).toBe(0);
    expect(t.wait('b', 0)).toBe(0);
  });

  it('remembers at most maxClients, least recently failed forgotten first; refilled buckets are swept', () => {
    const t = new LoginThrottle({ burst: 1, refillSeconds: 30, maxClients: 3 });
    for (const k of ['a', 'b', 'c']) t.failed(k, 0);
    t.failed('a', 1); // a is now the most recent
    t.failed('d', 2);
    expect(t.size).toBe(3);
    expect(t.wait('b', 2)).toBe(0); // forgotten
    expect(t.wait('a', 2)).toBeGreaterThan(0);
    expect(t.wait('d', 2)).toBeGreaterThan(0);
    t.sweep(40_000);
    expect(t.size).toBe(0);
  });
});

describe('on the server', () => {
  let s: Running;
  let now: number;
  afterEach(async () => {
    await s.close();
  });
  async function server(o: { trustProxy?: string[]; dashboard?: DashboardOptions } = {}): Promise<Running> {
    now = Date.parse('2025-06-01T12:00:00Z');
    s = await start({ now: () => new Date(now), dashboard: createDashboard(o.dashboard ?? {}), ...(o.trustProxy ? { trustProxy: o.trustProxy } : {}) });
    return s;
  }
  const login = (token: string, headers: Record<string, string> = {}) =>
    request(`${s.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.url, ...headers }, body: new URLSearchParams({ token }).toString() });
  const secureFlag = (r: { headers: { 'set-cookie'?: string[] } }) => r.headers['set-cookie']![0]!.split('; ').includes('Secure');
  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  it('cookie Secure: auto follows X-Forwarded-Proto from a trusted proxy only; always and never as said', async () => {
    await server({ trustProxy: ['127.0.0.1'] });
    expect(secureFlag(await login(ADMIN, { 'x-forwarded-proto': 'https' }))).toBe(true);
    expect(secureFlag(await login(ADMIN, { 'x-forwarded-proto': 'http' }))).toBe(false);
    expect(secureFlag(await login(ADMIN))).toBe(false);
    const out = await request(`${s.url}/logout`, { method: 'POST', headers: { origin: s.url, 'x-forwarded-proto': 'https' } });
    expect(secureFlag(out)).toBe(true);
    await s.close();

    await server(); // no trusted proxy: the header is anyone's claim
    expect(secureFlag(await login(ADMIN, { 'x-forwarded-proto': 'https' }))).toBe(false);
    await s.close();
    await server({ dashboard: { cookieSecure: 'always' } });
    expect(secureFlag(await login(ADMIN))).toBe(true);
    await s.close();
    await server({ trustProxy: ['127.0.0.1'], dashboard: { cookieSecure: 'never' } });
    expect(secureFlag(await login(ADMIN, { 'x-forwarded-proto': 'https' }))).toBe(false);
  });

  it('login form: the 6th wrong token is 429 with Retry-After; the right token works after the wait; other clients unaffected', async () => {
    await server({ trustProxy: ['127.0.0.1'] });
    for (let i = 0; i < 5; i++) expect((await login(`wrong-${i}`, from('203.0.113.7'))).status).toBe(401);
    const sixth = await login('wrong-5', from('203.0.113.7'));
    expect(sixth.status).toBe(429);
    expect(sixth.headers['retry-after']).toBe('30');
    expect(sixth.headers['set-cookie']).toBeUndefined();
    // Refused unchecked while throttled, even the right token.
    expect((await login(ADMIN, from('203.0.113.7'))).status).toBe(429);
    // Another client (and another /64) is not affected.
    expect((await login(ADMIN, from('203.0.113.8'))).status).toBe(303);
    expect((await login('wrong', from('2001:db8:9::1'))).status).toBe(401);
    now += 29_000;
    expect((await login(ADMIN, from('203.0.113.7'))).status).toBe(429);
    now += 1_000;
    expect((await login(ADMIN, from('203.0.113.7'))).status).toBe(303);
    const m = parseExposition((await request(`${s.url}/metrics`)).text);
    expect(m.value('ccfleet_admin_auth_throttled_total', { via: 'login' })).toBe(3);
  });

  it('a successful login takes nothing from the allowance; an empty form is not an attempt', async () => {
    await server({ trustProxy: ['127.0.0.1'] });
    for (let i = 0; i < 4; i++) expect((await login(`wrong-${i}`, from('198.51.100.1'))).status).toBe(401);
    for (let i = 0; i < 10; i++) expect((await login(ADMIN, from('198.51.100.1'))).status).toBe(303);
    for (let i = 0; i < 3; i++) expect((await login('', from('198.51.100.1'))).status).toBe(401);
    expect((await login('wrong-4', from('198.51.100.1'))).status).toBe(401);
    expect((await login('wrong-5', from('198.51.100.1'))).status).toBe(429);
  });

  it('without a trusted proxy, X-Forwarded-For cannot buy new allowances', async () => {
    await server();
    for (let i = 0; i < 5; i++) expect((await login(`wrong-${i}`, from(`203.0.113.${i}`))).status).toBe(401);
    expect((await login('wrong', from('203.0.113.99'))).status).toBe(429);
  });

  it('admin Bearer tokens on /v1/fleet/* and dashboard pages share the allowance; 429 is the JSON error', async () => {
    await server({ trustProxy: ['127.0.0.1'] });
    const get = (path: string, token: string, ip: string) => request(`${s.url}${path}`, { headers: { ...bearer(token), ...from(ip) } });
    for (let i = 0; i < 3; i++) expect((await get('/v1/fleet/summary', `wrong-${i}`, '203.0.113.7')).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await get('/devices', `wrong-${i}`, '203.0.113.7')).status).toBe(303);
    const r = await get('/v1/fleet/summary', 'wrong-5', '203.0.113.7');
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe('rate-limited');
    expect(r.headers['retry-after']).toBe('30');
    expect((await get('/devices', ADMIN, '203.0.113.7')).status).toBe(429);
    expect((await get('/v1/fleet/summary', ADMIN, '203.0.113.8')).status).toBe(200);
    // A session cookie is not a guess: it is not throttled.
    const cookie = (await login(ADMIN, from('203.0.113.8'))).headers['set-cookie']![0]!.split(';')[0]!;
    expect((await request(`${s.url}/v1/fleet/summary`, { headers: { cookie, ...from('203.0.113.7') } })).status).toBe(200);
    now += 30_000;
    expect((await get('/v1/fleet/summary', ADMIN, '203.0.113.7')).status).toBe(200);
    const m = parseExposition((await request(`${s.url}/metrics`)).text);
    expect(m.value('ccfleet_admin_auth_throttled_total', { via: 'bearer' })).toBe(2);
  });
});
