// The fake Bifrost answers the routes Claude Code and doctor use, records every request, enforces virtual
// keys like Bifrost when asked, and fails on demand (status, delay, clock skew, TLS with a private CA).
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startFakeGateway, type FakeGateway } from './fake-gateway.js';
import { makePrivateCa } from './private-ca.js';

let gw: FakeGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('startFakeGateway', () => {
  it('answers a non-streaming message with JSON that echoes the model, and records the request', async () => {
    gw = await startFakeGateway();
    const res = await post(`${gw.url}/v1/messages?beta=true`, { model: 'sonnet-model', max_tokens: 5, messages: [] }, {
      authorization: 'Bearer tok',
      'x-api-key': 'key',
      'user-agent': 'claude-cli/2.1.332 (external, sdk-cli)',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string; content: Array<{ text: string }> };
    expect(body.model).toBe('sonnet-model');
    expect(body.content[0]?.text).toBe('ok');
    expect(gw.requests).toHaveLength(1);
    expect(gw.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/messages?beta=true',
      model: 'sonnet-model',
      stream: undefined,
      authorization: 'Bearer tok',
      apiKey: 'key',
      userAgent: 'claude-cli/2.1.332 (external, sdk-cli)',
    });
  });

  it('streams SSE events ending in message_stop when stream is true', async () => {
    gw = await startFakeGateway();
    const res = await post(`${gw.url}/v1/messages`, { model: 'm', stream: true, messages: [] });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = [...(await res.text()).matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(gw.requests[0]?.stream).toBe(true);
  });

  it('serves count_tokens, models and the hello probe under a base path, and 404s outside it', async () => {
    gw = await startFakeGateway({ basePath: '/anthropic/' });
    expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/anthropic$/);
    const count = (await (await post(`${gw.url}/v1/messages/count_tokens`, { model: 'm', messages: [] })).json()) as { input_tokens: number };
    expect(count.input_tokens).toBeGreaterThan(0);
    const models = (await (await fetch(`${gw.url}/v1/models`)).json()) as { data: unknown[] };
    expect(models.data.length).toBeGreaterThan(0);
    expect((await fetch(`${gw.url}/api/hello`, { method: 'HEAD' })).status).toBe(200);
    const outside = await post(`${new URL(gw.url).origin}/v1/messages`, { model: 'm' });
    expect(outside.status).toBe(404);
    expect(gw.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /anthropic/v1/messages/count_tokens',
      'GET /anthropic/v1/models',
      'HEAD /anthropic/api/hello',
      'POST /v1/messages',
    ]);
  });
});

describe('Bifrost routes and virtual keys', () => {
  const KEY = 'sk-bf-good-key-1';
  const keys = {
    [KEY]: { name: 'team-a', budget: { maxLimit: 10, currentUsage: 2.5, resetDuration: '1M' } },
    'sk-bf-off': { active: false },
    'sk-bf-spent': { budget: { maxLimit: 5, currentUsage: 5 } },
  };
  const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });

  it('serves /health at the server root whatever the base path, and records it', async () => {
    gw = await startFakeGateway({ basePath: '/anthropic' });
    expect(gw.origin).toBe(new URL(gw.url).origin);
    const res = await get(`${gw.origin}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect((await get(`${gw.url}/health`)).status).toBe(404);
    expect(gw.requests.map((r) => [r.path, r.route])).toEqual([['/health', 'health'], ['/anthropic/health', undefined]]);
  });

  it('without virtualKeys enforces nothing and has no quota route', async () => {
    gw = await startFakeGateway({ basePath: '/anthropic' });
    expect((await get(`${gw.url}/v1/models`)).status).toBe(200);
    expect((await get(`${gw.origin}/api/governance/virtual-keys/quota`, { 'x-bf-vk': KEY })).status).toBe(404);
  });

  it('takes the key from x-bf-vk, Authorization: Bearer or x-api-key; refuses missing, unknown and non-sk-bf- keys with 401', async () => {
    gw = await startFakeGateway({ basePath: '/anthropic', virtualKeys: keys });
    for (const h of [{ 'x-bf-vk': KEY }, { authorization: `Bearer ${KEY}` }, { 'x-api-key': KEY }] as Record<string, string>[]) {
      expect((await get(`${gw.url}/v1/models`, h)).status).toBe(200);
    }
    for (const h of [{}, { 'x-api-key': 'sk-bf-unknown' }, { authorization: 'Bearer sk-ant-not-a-vk' }, { 'x-api-key': KEY.replace('sk-bf-', 'sk-xx-') }] as Record<string, string>[]) {
      const res = await get(`${gw.url}/v1/models`, h);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' }, is_bifrost_error: true, status_code: 401 });
    }
    expect(gw.requests[0]?.virtualKey).toBe(KEY);
    // Claude Code's connectivity probe is never authenticated.
    expect((await fetch(`${gw.url}/api/hello`, { method: 'HEAD' })).status).toBe(200);
  });

  it('an inactive key gets 403 on the API but its quota answers is_active false; a spent budget gets 429 on messages only', async () => {
    gw = await startFakeGateway({ basePath: '/anthropic', virtualKeys: keys });
    const off = await post(`${gw.url}/v1/messages`, { model: 'm', messages: [] }, { 'x-api-key': 'sk-bf-off' });
    expect(off.status).toBe(403);
    expect(await off.json()).toMatchObject({ error: { type: 'permission_error' } });
    const offQuota = await get(`${gw.origin}/api/governance/virtual-keys/quota`, { 'x-api-key': 'sk-bf-off' });
    expect(offQuota.status).toBe(200);
    expect(await offQuota.json()).toMatchObject({ is_active: false, budgets: [], rate_limit: null });
    const spent = await post(`${gw.url}/v1/messages`, { model: 'm', messages: [] }, { authorization: 'Bearer sk-bf-spent' });
    expect(spent.status).toBe(429);
    expect(await spent.json()).toMatchObject({ error: { type: 'rate_limit_error' } });
    expect((await get(`${gw.url}/v1/models`, { authorization: 'Bearer sk-bf-spent' })).status).toBe(200);
  });

  it('the quota route returns Bifrost\'s shape for the calling key, and 401 without one', async () => {
    gw = await startFakeGateway({
      basePath: '/anthropic',
      virtualKeys: { ...keys, 'sk-bf-limited': { rateLimit: { requestMaxLimit: 100, requestCurrentUsage: 7, requestResetDuration: '1m' } } },
    });
    const res = await get(`${gw.origin}/api/governance/virtual-keys/quota`, { authorization: `Bearer ${KEY}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      virtual_key_name: 'team-a',
      is_active: true,
      budgets: [expect.objectContaining({ id: expect.any(String), max_limit: 10, current_usage: 2.5, reset_duration: '1M', last_reset: expect.any(String) })],
      rate_limit: null,
    });
    const limited = (await (await get(`${gw.origin}/api/governance/virtual-keys/quota`, { 'x-bf-vk': 'sk-bf-limited' })).json()) as { rate_limit: Record<string, unknown> };
    expect(limited.rate_limit).toMatchObject({ request_max_limit: 100, request_current_usage: 7, request_reset_duration: '1m' });
    expect((await get(`${gw.origin}/api/governance/virtual-keys/quota`)).status).toBe(401);
    expect(gw.requests.filter((r) => r.route === 'quota')).toHaveLength(3);
  });
});

describe('failure modes', () => {
  it('status forces a route\'s answer; set() changes it at runtime', async () => {
    gw = await startFakeGateway({ status: { health: 503 } });
    const res = await fetch(`${gw.origin}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'error' });
    expect((await fetch(`${gw.url}/v1/models`)).status).toBe(200);
    gw.set({ status: { models: 500 } });
    expect((await fetch(`${gw.origin}/health`)).status).toBe(200);
    expect((await fetch(`${gw.url}/v1/models`)).status).toBe(500);
  });

  it('delayMs holds every answer back (the client gives up first), and close() does not wait for it', async () => {
    gw = await startFakeGateway({ delayMs: 60_000 });
    await expect(fetch(`${gw.origin}/health`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(gw.requests).toHaveLength(1);
    gw.set({ delayMs: 0 });
    expect((await fetch(`${gw.origin}/health`)).status).toBe(200);
  });

  it('clockOffsetMs skews the Date header', async () => {
    gw = await startFakeGateway({ clockOffsetMs: -3_600_000 });
    const date = Date.parse((await fetch(`${gw.origin}/health`)).headers.get('date') ?? '');
    expect(Date.now() - date).toBeGreaterThan(3_000_000);
  });

  it('tls serves HTTPS that only a client trusting the private CA accepts', async () => {
    const ca = makePrivateCa();
    try {
      gw = await startFakeGateway({ basePath: '/anthropic', tls: { key: ca.key, cert: ca.cert } });
      expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/anthropic$/);
      expect(gw.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      await expect(request(`${gw.origin}/health`)).rejects.toThrow(/self-signed|unable to verify|certificate/i);
      const agent = new Agent({ connect: { ca: ca.caCert } });
      try {
        const res = await request(`${gw.url}/v1/models`, { dispatcher: agent });
        expect(res.statusCode).toBe(200);
        expect(((await res.body.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
      } finally {
        await agent.close();
      }
    } finally {
      ca.cleanup();
    }
  });
});
