// The fake Messages API answers the routes Claude Code uses and records every request.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGateway, type FakeGateway } from './fake-gateway.js';

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
