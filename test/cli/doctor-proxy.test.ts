/**
 * `ccfleet doctor` honours the proxy environment (undici's EnvHttpProxyAgent): an http:// gateway goes
 * through HTTP_PROXY as absolute-form requests, an https:// one through HTTPS_PROXY as a CONNECT tunnel,
 * NO_PROXY bypasses the proxy, and a dead proxy makes the gateway unreachable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGateway, type FakeGateway } from '../support/fake-gateway.js';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.js';
import { makePrivateCa } from '../support/private-ca.js';
import { checkOf, doctorFixture, KEY, type DoctorFixture } from './doctor-fixture.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(tls?: { key: string; cert: string }): Promise<{ gw: FakeGateway; proxy: ForwardProxy; f: DoctorFixture }> {
  const gw = await startFakeGateway({ basePath: '/anthropic', virtualKeys: { [KEY]: {} }, ...(tls ? { tls } : {}) });
  cleanups.push(() => gw.close());
  const proxy = await startForwardProxy();
  cleanups.push(() => proxy.close());
  const f = doctorFixture();
  cleanups.push(() => f.cleanup());
  f.policyFor(gw.url);
  expect(f.run('repair').code).toBe(0);
  return { gw, proxy, f };
}

describe('doctor and proxies', () => {
  it.each(['HTTP_PROXY', 'http_proxy'])('%s: every request to an http:// gateway goes through the proxy (absolute form)', async (name) => {
    const { gw, proxy, f } = await setup();
    const r = await f.doctor(['--json'], { [name]: proxy.url });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(proxy.seen).toEqual(expect.arrayContaining([`GET ${gw.origin}/health`, `GET ${gw.url}/v1/models`, `GET ${gw.origin}/api/governance/virtual-keys/quota`]));
    expect(proxy.seen).toHaveLength(gw.requests.length);
    expect(checkOf(r, 'gateway-models').status).toBe('ok');
  });

  it('NO_PROXY naming the gateway host bypasses the proxy', async () => {
    const { gw, proxy, f } = await setup();
    const r = await f.doctor(['--json'], { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(proxy.seen).toEqual([]);
    expect(gw.requests.length).toBeGreaterThanOrEqual(3);
  });

  it('HTTPS_PROXY tunnels to an https:// gateway with CONNECT (and --ca still applies inside the tunnel)', async () => {
    const ca = makePrivateCa();
    cleanups.push(() => ca.cleanup());
    const { gw, proxy, f } = await setup({ key: ca.key, cert: ca.cert });
    const r = await f.doctor(['--json', '--ca', ca.caCertPath], { HTTPS_PROXY: proxy.url });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${gw.origin.replace('https://', '')}`]));
  });

  it('a proxy that is down makes the gateway unreachable (not a hang, not a crash)', async () => {
    const { proxy, f } = await setup();
    const url = proxy.url;
    await proxy.close();
    const r = await f.doctor(['--json', '--timeout', '2000'], { HTTP_PROXY: url });
    expect(r.code).toBe(1);
    expect(checkOf(r, 'gateway-reachable')).toMatchObject({ status: 'problem', message: expect.stringContaining('ECONNREFUSED') });
  });
});
