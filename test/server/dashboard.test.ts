// The dashboard over HTTP on a real server (127.0.0.1, port 0) with the embedded SQLite store (:memory:),
// seeded the way agents seed it (POST /v1/enroll + /v1/reports): login flow and cookie flags, redirects
// when logged out, CSRF checks, security headers on every page, escaping of hostile agent data, the
// numbers the seeded reports imply, filters and cursor pages, the device page, assets, errors.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/server/admin-auth.js';
import { createApp, type App } from '../../src/server/app.js';
import { ASSETS } from '../../src/server/dashboard/assets/index.js';
import { trendChart } from '../../src/server/dashboard/chart.js';
import { escapeHtml, html, href } from '../../src/server/dashboard/html.js';
import { createDashboard, type DashboardOptions } from '../../src/server/dashboard/index.js';
import { safeNext } from '../../src/server/dashboard/pages/login.js';
import { staticPolicy } from '../../src/server/policy-source.js';
import { openStore } from '../../src/server/store/open.js';
import type { Store } from '../../src/server/store/types.js';
import { EXPECT, FLEET, HOSTILE, seedFleet } from './dashboard-seed.js';

const ADMIN = 'dashboard-admin-token-0123456789abcdef';
const ENROLL = 'dashboard-enroll-secret';

interface Server {
  url: string;
  host: string;
  app: App;
  store: Store;
  close(): Promise<void>;
}

async function startServer(opts: DashboardOptions = {}, wrap: (s: Store) => Store = (s) => s): Promise<Server> {
  const store = await openStore(':memory:');
  const wrapped = wrap(store);
  const app = createApp({ store: wrapped, adminTokenHashes: [hashSecret(ADMIN)], enrollSecretHashes: [hashSecret(ENROLL)], policy: staticPolicy(null), dashboard: createDashboard(opts) });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    app,
    store: wrapped,
    close: async () => {
      app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function request(url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function login(s: Server, token = ADMIN, extra: Record<string, string> = {}, next?: string): Promise<Answer> {
  return request(`${s.url}/login`, { method: 'POST', headers: { ...FORM, origin: s.url, ...extra }, body: form({ token, ...(next ? { next } : {}) }) });
}

/** `ccfleet_admin=<value>` from a Set-Cookie header. */
function cookieOf(a: Answer): string {
  const set = a.headers['set-cookie']?.[0];
  if (!set) throw new Error(`no Set-Cookie (status ${a.status})`);
  return set.split(';')[0]!;
}

function expectPageHeaders(a: Answer): void {
  const csp = String(a.headers['content-security-policy']);
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(a.headers['x-frame-options']).toBe('DENY');
  expect(a.headers['x-content-type-options']).toBe('nosniff');
  expect(a.headers['referrer-policy']).toBe('same-origin');
  expect(a.headers['cache-control']).toBe('no-store');
}

/** Hostnames in the device table(s) of a page, in order. */
const hosts = (page: string): string[] => [...page.matchAll(/<tr data-device="([^"]+)">/g)].map((m) => m[1]!);

let s: Server;
let cookie: string;

beforeAll(async () => {
  s = await startServer({ pageSize: 4 });
  await seedFleet(s.url, ENROLL);
  cookie = cookieOf(await login(s));
});
afterAll(async () => {
  await s.close();
});

const get = (path: string, headers: Record<string, string> = { cookie }) => request(`${s.url}${path}`, { headers });

describe('logged out', () => {
  it('sends every page to the login form (303), keeping where it was going', async () => {
    const root = await get('/', {});
    expect(root.status).toBe(303);
    expect(root.headers.location).toBe('/login');
    const list = await get('/devices?state=stale&q=mbp', {});
    expect(list.status).toBe(303);
    expect(list.headers.location).toBe(`/login?next=${encodeURIComponent('/devices?state=stale&q=mbp')}`);
    for (const p of ['/stale', '/devices/dev-frank-ws']) expect((await get(p, {})).status).toBe(303);
  });

  it('refuses a forged or expired-looking cookie the same way', async () => {
    const r = await get('/', { cookie: 'ccfleet_admin=v1.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/login');
  });

  it('shows the login form with the security headers and the return path', async () => {
    const r = await get(`/login?next=${encodeURIComponent('/devices?state=stale')}`, {});
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expectPageHeaders(r);
    expect(r.text).toContain('<form method="post" action="/login">');
    expect(r.text).toContain('name="token" type="password"');
    expect(r.text).toContain('name="next" value="/devices?state=stale"');
  });

  it('answers unknown paths with the app\'s JSON 404, and leaves the API alone', async () => {
    const r = await get('/wp-admin', {});
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toEqual({ error: { code: 'not-found', message: expect.any(String) } });
    const api = await get('/v1/fleet/summary', {});
    expect(api.status).toBe(401);
  });
});

describe('login', () => {
  it('sets an HttpOnly SameSite=Strict session cookie (no Secure on plain HTTP) and sends the browser on', async () => {
    const r = await login(s, ADMIN, {}, '/devices?state=stale');
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/devices?state=stale');
    const set = r.headers['set-cookie']!;
    expect(set).toHaveLength(1);
    expect(set[0]).toMatch(/^ccfleet_admin=v1\.\d+\.[A-Za-z0-9_-]{43}; /);
    const attrs = set[0]!.split('; ').slice(1);
    expect(attrs).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict']));
    expect(attrs.some((a) => /^Max-Age=\d+$/.test(a) && Number(a.slice(8)) > 0)).toBe(true);
    expect(attrs).not.toContain('Secure');
    expect(set[0]).not.toContain(ADMIN);
    const page = await get('/', { cookie: cookieOf(r) });
    expect(page.status).toBe(200);
  });

  it('adds Secure when the dashboard is told browsers come over HTTPS', async () => {
    const t = await startServer({ secureCookies: true });
    try {
      const r = await login(t);
      expect(r.status).toBe(303);
      expect(r.headers['set-cookie']![0]!.split('; ')).toContain('Secure');
      const out = await request(`${t.url}/logout`, { method: 'POST', headers: { origin: t.url } });
      expect(out.headers['set-cookie']![0]!.split('; ')).toContain('Secure');
    } finally {
      await t.close();
    }
  });

  it('answers a wrong or empty token with the form again, 401, and no cookie', async () => {
    for (const token of ['not-the-token', '']) {
      const r = await login(s, token);
      expect(r.status).toBe(401);
      expect(r.headers['set-cookie']).toBeUndefined();
      expectPageHeaders(r);
      expect(r.text).toContain('role="alert"');
      expect(r.text).toContain('name="token"');
      if (token !== '') expect(r.text).not.toContain(token);
    }
  });

  it('refuses a login from another site, from an opaque origin, or with neither Origin nor Referer (403)', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null' }, { referer: 'https://evil.example/page' }, {}] as Array<Record<string, string>>) {
      const r = await request(`${s.url}/login`, { method: 'POST', headers: { ...FORM, ...headers }, body: form({ token: ADMIN }) });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
  });

  it('accepts the Referer when there is no Origin, and a proxy\'s X-Forwarded-Host', async () => {
    const viaReferer = await request(`${s.url}/login`, { method: 'POST', headers: { ...FORM, referer: `${s.url}/login` }, body: form({ token: ADMIN }) });
    expect(viaReferer.status).toBe(303);
    const viaProxy = await request(`${s.url}/login`, { method: 'POST', headers: { ...FORM, origin: 'https://fleet.example.com', 'x-forwarded-host': 'fleet.example.com' }, body: form({ token: ADMIN }) });
    expect(viaProxy.status).toBe(303);
  });

  it('never redirects to another site after login', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/login', '/devices\r\nset-cookie: x=1']) {
      const r = await login(s, ADMIN, {}, next);
      expect(r.status).toBe(303);
      expect(r.headers.location, next).toBe('/');
    }
    expect(safeNext('/devices/dev-1?x=1')).toBe('/devices/dev-1?x=1');
  });

  it('refuses other body types and oversized bodies', async () => {
    const json = await request(`${s.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: s.url }, body: JSON.stringify({ token: ADMIN }) });
    expect(json.status).toBe(415);
    const big = await request(`${s.url}/login`, { method: 'POST', headers: { ...FORM, origin: s.url }, body: form({ token: 'x'.repeat(10_000) }) });
    expect(big.status).toBe(413);
    expect(big.headers['set-cookie']).toBeUndefined();
  });

  it('redirects a visitor who is already signed in away from the form', async () => {
    const r = await get('/login?next=/stale');
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/stale');
  });

  it('logs out with a POST from the dashboard (cookie cleared), not from another site', async () => {
    const cross = await request(`${s.url}/logout`, { method: 'POST', headers: { cookie, origin: 'https://evil.example' } });
    expect(cross.status).toBe(403);
    expect(cross.headers['set-cookie']).toBeUndefined();
    const r = await request(`${s.url}/logout`, { method: 'POST', headers: { cookie, origin: s.url } });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/login');
    expect(r.headers['set-cookie']![0]).toMatch(/^ccfleet_admin=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/);
    expect((await request(`${s.url}/logout`, { headers: { cookie } })).status).toBe(405);
  });
});

describe('pages', () => {
  it('send the security headers and load only same-origin, hashed assets (no inline script or style)', async () => {
    for (const p of ['/', '/?range=24h', '/devices', '/devices?state=noncompliant', '/stale', '/devices/dev-frank-ws', '/devices/dev-hostile']) {
      const r = await get(p);
      expect(r.status, p).toBe(200);
      expectPageHeaders(r);
      expect([...r.text.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]), p).toEqual([`<script src="${ASSETS.js.path}" defer>`]);
      expect(r.text, p).not.toMatch(/<style\b|\sstyle="|\son[a-z]+="/i);
      expect(r.text).toContain(`<link rel="stylesheet" href="${ASSETS.css.path}">`);
    }
  });

  it('serve the assets with a year of caching under their content hash; anything else under /assets is 404', async () => {
    for (const a of Object.values(ASSETS)) {
      expect(a.path).toMatch(/^\/assets\/[a-z]+-[0-9a-f]{12}\.(css|js|svg)$/);
      const r = await get(a.path, {});
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe(a.type);
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(r.text).toBe(a.body.toString('utf8'));
    }
    expect((await get('/assets/app-000000000000.css', {})).status).toBe(404);
  });

  it('accept a Bearer admin token as well as the session (scripts, curl)', async () => {
    const r = await get('/', { authorization: `Bearer ${ADMIN}` });
    expect(r.status).toBe(200);
    const head = await request(`${s.url}/`, { method: 'HEAD', headers: { cookie } });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect((await request(`${s.url}/devices`, { method: 'PUT', headers: { cookie } })).status).toBe(405);
  });

  it('escape hostile agent data everywhere it is shown', async () => {
    for (const p of ['/', '/devices', '/devices?state=noncompliant', '/devices/dev-hostile', `/devices?model=${encodeURIComponent('"><script>alert(2)</script>')}`]) {
      const r = await get(p);
      expect(r.text, p).not.toContain('<img src=x');
      expect(r.text, p).not.toContain('<script>alert');
      expect(r.text, p).not.toContain('<svg onload');
      expect(r.text, p).not.toContain('<b>not</b>');
      expect(r.text, p).not.toContain('claude-3-haiku</td>');
    }
    const device = await get('/devices/dev-hostile');
    expect(device.text).toContain(`<title>${escapeHtml(HOSTILE)} · ccfleet</title>`);
    expect(device.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(device.text).toContain('&lt;svg onload=alert(3)&gt;');
    expect(device.text).toContain('&lt;b&gt;not&lt;/b&gt; the gateway');
    expect(device.text).toContain('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
  });
});

describe('overview', () => {
  it('shows the numbers the seeded reports imply', async () => {
    const r = await get('/');
    const kpi = (id: string) => new RegExp(`id="${id}"><div class="v">([^<]+)</div>`).exec(r.text)?.[1];
    expect(kpi('kpi-compliance')).toBe(EXPECT.ratio);
    expect(r.text).toContain(`${EXPECT.compliant} of ${EXPECT.compliant + EXPECT.noncompliant} reporting devices`);
    expect(kpi('kpi-devices')).toBe(String(EXPECT.devices));
    expect(kpi('kpi-noncompliant')).toBe(String(EXPECT.noncompliant));
    expect(kpi('kpi-users')).toBe(String(EXPECT.users));
    expect(r.text).toContain(`${EXPECT.nonCompliantUsers} non-compliant`);
    expect(kpi('kpi-repairs')).toBe(String(EXPECT.driftRepairs24h));
    for (const [state, n] of [['compliant', EXPECT.compliant], ['noncompliant', EXPECT.noncompliant], ['stale', EXPECT.stale]] as const) {
      expect(r.text).toMatch(new RegExp(`data-state="${state}"><span class="dot ${state}"></span>[^<]+<span class="n">${n}</span>`));
    }
    // Model distribution: sonnet-model is selected by 6 users and really used by 4.
    expect(r.text).toContain('aria-label="sonnet-model: selected by 6, used by 4"');
    expect(r.text).toContain('aria-label="haiku-model: selected by 1, used by 2"');
    // Needs attention: the two non-compliant devices; recent events name devices by hostname.
    expect(hosts(r.text).sort()).toEqual(['dev-frank-ws', 'dev-hostile']);
    expect(r.text).toContain('>fay-wsl</a>');
    expect(r.text).toContain('repair-failed');
  });

  it('draws the trend for the chosen range, falling from 100 % to 71 %', async () => {
    const day = await get('/?range=24h');
    expect(day.text).toMatch(/<a href="\/\?range=24h" class="on">/);
    const points = Number(/data-points="(\d+)"/.exec(day.text)?.[1]);
    expect(points).toBeGreaterThanOrEqual(24);
    expect(points).toBeLessThanOrEqual(26);
    expect(day.text).toMatch(/<title>[^<]+ UTC — 100\.0% of \d+ devices?<\/title>/);
    // The current reports of ws-frank and the hostile device (non-compliant) land in recent hours.
    expect(day.text).toMatch(/<title>[^<]+ UTC — (?!100\.0%)\d+\.\d% of \d+ devices?<\/title>/);
    const month = await get('/?range=30d');
    expect(Number(/data-points="(\d+)"/.exec(month.text)?.[1])).toBe(31);
    const unknown = await get('/?range=1y');
    expect(unknown.text).toMatch(/<a href="\/\?range=7d" class="on">/);
  });
});

describe('device list', () => {
  const all = async (first: string): Promise<string[]> => {
    const seen: string[] = [];
    let path: string | null = first;
    for (let i = 0; path !== null && i < 20; i++) {
      const r = await get(path);
      expect(r.status).toBe(200);
      seen.push(...hosts(r.text));
      const next = /<a href="([^"]+)" rel="next">/.exec(r.text)?.[1];
      path = next === undefined ? null : next.replaceAll('&amp;', '&');
    }
    return seen;
  };

  it('pages through every device with the store\'s cursor, keeping the filters in the links', async () => {
    const first = await get('/devices');
    expect(hosts(first.text)).toHaveLength(4);
    expect(first.text).toMatch(/<a href="\/devices\?cursor=[A-Za-z0-9_-]+" rel="next">Next page/);
    expect(first.text).not.toContain('rel="first"');
    const everything = await all('/devices');
    expect(everything.sort()).toEqual(FLEET.map((d) => d.id).sort());
    const linux = await get('/devices?state=compliant');
    const next = /<a href="([^"]+)" rel="next">/.exec(linux.text)![1]!.replaceAll('&amp;', '&');
    expect(next).toMatch(/^\/devices\?state=compliant&cursor=/);
    const second = await get(next);
    expect(second.text).toContain('<a href="/devices?state=compliant" rel="first">');
    expect(await all('/devices?state=compliant')).toHaveLength(EXPECT.compliant);
  });

  it('filters by state, search, model, user and silence', async () => {
    expect((await all('/devices?state=noncompliant')).sort()).toEqual(['dev-frank-ws', 'dev-hostile']);
    expect((await all('/devices?state=stale')).sort()).toEqual(['dev-gina-old', 'dev-henry-mbp']);
    expect(await all('/devices?q=BUILD')).toEqual(['dev-build-07']);
    expect(await all('/devices?q=onerror')).toEqual(['dev-hostile']);
    expect((await all('/devices?model=haiku-model')).sort()).toEqual(['dev-build-07', 'dev-dan-tp']);
    expect(await all('/devices?user=carol')).toEqual(['dev-build-07']);
    expect((await all('/devices?silent=24')).sort()).toEqual(['dev-gina-old', 'dev-henry-mbp']);
    expect(await all('/devices?silent=168')).toEqual([]);
    expect(await all('/devices?q=mbp&state=stale')).toEqual(['dev-henry-mbp']);
  });

  it('keeps the chosen filters in the form and ignores empty or unexpected values', async () => {
    const r = await get('/devices?q=&state=compliant&model=&user=&silent=');
    expect(r.status).toBe(200);
    expect(r.text).toContain('<option value="compliant" selected>');
    expect(hosts(r.text)).toHaveLength(4);
    const odd = await get('/devices?state=bogus&silent=5');
    expect(odd.status).toBe(200);
    expect(odd.text).toContain('Ignored filters with an unexpected value: state, silent.');
    expect(hosts(odd.text)).toHaveLength(4);
  });

  it('answers a cursor it did not issue with a 400 page', async () => {
    const r = await get('/devices?cursor=not-a-cursor');
    expect(r.status).toBe(400);
    expectPageHeaders(r);
    expect(r.text).toContain('This link is not valid any more');
  });

  it('lists the stale devices on their own page', async () => {
    const r = await get('/stale');
    expect(r.status).toBe(200);
    expect(hosts(r.text).sort()).toEqual(['dev-gina-old', 'dev-henry-mbp']);
    expect(r.text).toContain('3 d ago');
    expect(r.text).toContain('30 h ago');
  });
});

describe('device page', () => {
  it('shows host, OS, agent, policy, each user, files with findings, events and history', async () => {
    const r = await get('/devices/dev-frank-ws');
    expect(r.status).toBe(200);
    const t = r.text;
    expect(t).toContain('<h1 id="device-host">ws-frank <span class="badge noncompliant">Non-compliant</span></h1>');
    expect(t).toContain('linux x64');
    expect(t).toContain('fleet <span class="muted">v3</span>');
    expect(t).toContain('<div class="user" data-user="frank">');
    expect(t).toContain('claude-opus-4-1-20250805');
    expect(t).toContain('project:/home/frank/src/api/.claude/settings.json.model');
    expect(t).toContain('model-not-mapped');
    expect(t).toContain('2.1.332');
    expect(t).toContain('fp:3f9a0c1d2e4b');
    expect(t).toContain('<tr data-state="unparseable"><td class="mono wrap">/home/frank/src/api/.claude/settings.json</td>');
    expect(t).toContain('not-strict-json</code> — trailing comma at line 4');
    expect(t).toContain('repair-failed');
    expect([...t.matchAll(/dev-frank-ws-(now|early)/g)].map((m) => m[1])).toEqual(['now', 'early']);
  });

  it('is a 404 page for an unknown or malformed id', async () => {
    for (const p of ['/devices/no-such-device', '/devices/%E0%A4%A', '/devices/..%2F..%2Fetc']) {
      const r = await get(p);
      expect(r.status, p).toBe(404);
      expectPageHeaders(r);
      expect(r.text).toContain('No such device');
    }
  });
});

describe('store failures', () => {
  it('render a 503 page with Retry-After and log one line', async () => {
    const lines: string[] = [];
    let failing = false;
    const t = await startServer({ log: (l) => lines.push(l) }, (store) =>
      new Proxy(store, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (typeof v !== 'function') return v;
          return (...args: unknown[]) => (failing && prop !== 'close' ? Promise.reject(new Error('database is locked')) : (v as (...a: unknown[]) => unknown).apply(target, args));
        },
      }),
    );
    try {
      const c = cookieOf(await login(t));
      failing = true;
      const r = await request(`${t.url}/`, { headers: { cookie: c } });
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('5');
      expectPageHeaders(r);
      expect(r.text).toContain('The store is not answering');
      expect(r.text).not.toContain('database is locked');
      expect(lines).toEqual(['dashboard /: store error: database is locked']);
    } finally {
      failing = false;
      await t.close();
    }
  });
});

describe('templates and chart (pure)', () => {
  it('escape every interpolated value unless it is a template result', () => {
    const evil = `<a href="x" onclick='y'>\`&`;
    expect(html`<td title="${evil}">${evil}</td>`.text).toBe('<td title="&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&#96;&amp;">&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&#96;&amp;</td>');
    expect(html`<ul>${['<b>', html`<li>${'<i>'}</li>`]}</ul>`.text).toBe('<ul>&lt;b&gt;<li>&lt;i&gt;</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.text).toBe('0');
    expect(href('/devices', { q: 'a b&c', state: undefined, model: '' })).toBe('/devices?q=a+b%26c');
    expect(() => href('//evil.example')).toThrow();
    expect(() => href('javascript:alert(1)')).toThrow();
  });

  it('draws gaps for buckets without reports and says so when there is no data at all', () => {
    const at = (h: number) => new Date(Date.UTC(2025, 0, 1, h)).toISOString();
    const svg = trendChart(
      [
        { at: at(0), complianceRatio: 1, devices: 2 },
        { at: at(1), complianceRatio: 0.5, devices: 2 },
        { at: at(2), complianceRatio: null, devices: 0 },
        { at: at(3), complianceRatio: 0.75, devices: 4 },
      ],
      'hour',
    ).text;
    expect([...svg.matchAll(/class="line" d="([^"]+)"/g)].map((m) => m[1]!.split(' L').length)).toEqual([2, 1]);
    expect(svg).toContain('<title>2025-01-01 02:00 UTC — no reports</title>');
    expect(svg).toContain('<title>2025-01-01 03:00 UTC — 75.0% of 4 devices</title>');
    expect(trendChart([{ at: at(0), complianceRatio: null, devices: 0 }], 'hour').text).toContain('No reports in this period');
  });
});
