// The dashboard in a real browser: Debian's chromium driven by playwright-core, against a real server
// (createApp + a SQLite file + createDashboard on 127.0.0.1, port 0) seeded through POST /v1/enroll and
// /v1/reports. Logs in through the form, checks the numbers the seeded reports imply, filters, searches,
// opens a device, opens the stale view, logs out; screenshots go to test-artifacts/.
// Without /usr/bin/chromium the suite is skipped — unless CCFLEET_BROWSER=require (CI), then it fails.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/server/admin-auth.js';
import { createApp, type App } from '../../src/server/app.js';
import { createDashboard } from '../../src/server/dashboard/index.js';
import { staticPolicy } from '../../src/server/policy-source.js';
import { openStore } from '../../src/server/store/open.js';
import type { Store } from '../../src/server/store/types.js';
import { EXPECT, HOSTILE, seedFleet } from './dashboard-seed.js';

const CHROMIUM = process.env.CCFLEET_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const REQUIRED = process.env.CCFLEET_BROWSER === 'require';
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts');
const ADMIN = 'browser-admin-token-9f8e7d6c5b4a';
const ENROLL = 'browser-enroll-secret';

if (!HAVE_CHROMIUM) {
  // Said once, plainly, so a skipped run is never mistaken for a passing one.
  process.stderr.write(`dashboard browser test: ${CHROMIUM} not found — ${REQUIRED ? 'FAILING (CCFLEET_BROWSER=require)' : 'skipped (install Debian\'s chromium, or set CCFLEET_BROWSER=require to fail instead)'}\n`);
}

describe.runIf(!HAVE_CHROMIUM && REQUIRED)('dashboard in a browser (required)', () => {
  it('needs chromium', () => {
    throw new Error(`CCFLEET_BROWSER=require but ${CHROMIUM} does not exist: apt-get install chromium`);
  });
});

describe.runIf(HAVE_CHROMIUM)('dashboard in a browser', { timeout: 90_000 }, () => {
  let dir: string;
  let store: Store;
  let app: App;
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-dashboard-'));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    store = await openStore(path.join(dir, 'ccfleet.db'));
    app = createApp({ store, adminTokenHashes: [hashSecret(ADMIN)], enrollSecretHashes: [hashSecret(ENROLL)], policy: staticPolicy(null), dashboard: createDashboard({ pageSize: 50 }) });
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await seedFleet(base, ENROLL);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    app?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await store?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
  const hostsOnPage = () => page.locator('table.devices tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device')));

  it('sends a visitor to the login form, refuses a wrong token, and logs in with the right one', async () => {
    await page.goto(`${base}/devices`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', 'wrong-token');
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('[role=alert]').count()).toBe(1);
    await shot('login-refused');
    // The refused login is a 401 page, which Chromium logs as a failed resource: expected, not a problem.
    expect(problems.splice(0)).toEqual([expect.stringContaining('status of 401')]);
    await page.fill('#token', ADMIN);
    await Promise.all([page.waitForURL(`${base}/devices`), page.click('button[type=submit]')]);
    const cookies = await context.cookies(base);
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path }))).toEqual([{ name: 'ccfleet_admin', httpOnly: true, sameSite: 'Strict', path: '/' }]);
    // The session is invisible to scripts.
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('shows the numbers the seeded reports imply on the overview', async () => {
    await page.goto(`${base}/`);
    expect(await page.locator('#kpi-compliance .v').textContent()).toBe(EXPECT.ratio);
    expect(await page.locator('#kpi-compliance .l').textContent()).toContain(`${EXPECT.compliant} of ${EXPECT.compliant + EXPECT.noncompliant} reporting devices`);
    expect(await page.locator('#kpi-devices .v').textContent()).toBe(String(EXPECT.devices));
    expect(await page.locator('#kpi-noncompliant .v').textContent()).toBe(String(EXPECT.noncompliant));
    expect(await page.locator('#kpi-users .v').textContent()).toBe(String(EXPECT.users));
    expect(await page.locator('#kpi-users .l').textContent()).toContain(`${EXPECT.nonCompliantUsers} non-compliant`);
    expect(await page.locator('#kpi-repairs .v').textContent()).toBe(String(EXPECT.driftRepairs24h));
    const legend = await page.locator('#states .legend a').allTextContents();
    expect(legend.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([`Compliant ${EXPECT.compliant}`, `Non-compliant ${EXPECT.noncompliant}`, `Stale ${EXPECT.stale}`]);
    // The chart is there and drawn (a line, hover targets), the stylesheet applied, the script ran.
    expect(await page.locator('#trend svg.chart path.line').count()).toBeGreaterThan(0);
    expect(await page.locator('#trend .tabs a.on').textContent()).toBe('7 days');
    expect(await page.locator('.top').evaluate((el) => getComputedStyle(el).display)).toBe('flex');
    expect(await page.locator('#events time').first().getAttribute('title')).toMatch(/\(local time\)$/);
    // The hostile hostname is text, not markup.
    expect(await page.locator('#attention table').textContent()).toContain(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    await shot('overview');
    await page.click('#trend .tabs a:has-text("24 h")');
    await page.waitForURL(`${base}/?range=24h`);
    expect(await page.locator('#trend .tabs a.on').textContent()).toBe('24 h');
  });

  it('filters the device list to the non-compliant devices (the select applies itself) and searches a hostname', async () => {
    await page.click('.top nav a:has-text("Devices")');
    await page.waitForURL(`${base}/devices`);
    expect(await hostsOnPage()).toHaveLength(EXPECT.devices);
    await Promise.all([page.waitForURL(`${base}/devices?*state=noncompliant*`), page.selectOption('select[name=state]', 'noncompliant')]);
    expect((await hostsOnPage()).sort()).toEqual(['dev-frank-ws', 'dev-hostile']);
    expect(await page.locator('table.devices').textContent()).toContain(HOSTILE);
    await shot('devices-noncompliant');
    await page.goto(`${base}/devices`);
    await page.keyboard.press('/');
    await page.keyboard.type('build-07');
    await Promise.all([page.waitForURL(`${base}/devices?q=build-07*`), page.keyboard.press('Enter')]);
    expect(await hostsOnPage()).toEqual(['dev-build-07']);
    await shot('devices-search');
  });

  it('opens a device and shows its users, files and findings', async () => {
    await page.goto(`${base}/devices?state=noncompliant`);
    await Promise.all([page.waitForURL(`${base}/devices/dev-frank-ws`), page.click('a:has-text("ws-frank")')]);
    expect(await page.locator('#device-host').textContent()).toContain('ws-frank');
    const user = page.locator('.user[data-user="frank"]');
    expect(await user.textContent()).toContain('claude-opus-4-1-20250805');
    expect(await user.textContent()).toContain('model-not-mapped');
    expect(await user.textContent()).toContain('fp:3f9a0c1d2e4b');
    const broken = page.locator('#files tr[data-state="unparseable"]');
    expect(await broken.count()).toBe(1);
    expect(await broken.textContent()).toContain('not-strict-json');
    expect(await page.locator('#events').textContent()).toContain('repair-failed');
    expect(await page.locator('#history tbody tr').count()).toBe(2);
    await shot('device');

    await page.goto(`${base}/devices/dev-hostile`);
    expect(await page.title()).toBe(`${HOSTILE} · ccfleet`);
    expect(await page.locator('#device-host').textContent()).toContain(HOSTILE);
    expect(await page.locator('#files').textContent()).toContain('<svg onload=alert(3)>');
    expect(await page.locator('img, main script, main svg[onload]').count()).toBe(0);
    await shot('device-hostile');
  });

  it('opens the stale view', async () => {
    await page.click('.top nav a:has-text("Stale")');
    await page.waitForURL(`${base}/stale`);
    expect((await hostsOnPage()).sort()).toEqual(['dev-gina-old', 'dev-henry-mbp']);
    await shot('stale');
  });

  it('logs out, and the pages need a login again', async () => {
    await Promise.all([page.waitForURL(`${base}/login`), page.click('.top form button')]);
    expect(await context.cookies(base)).toEqual([]);
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('ran without a dialog, a script error or a CSP violation', () => {
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
  });
});
