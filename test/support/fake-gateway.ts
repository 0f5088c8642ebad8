/**
 * A minimal fake of the Anthropic Messages API for running the real Claude Code against, on 127.0.0.1 port 0.
 * Under `<url>` (= http://127.0.0.1:<port><basePath>) it answers:
 *   POST /v1/messages               a one-text-block reply "ok": JSON, or SSE when the body has `stream: true`
 *   POST /v1/messages/count_tokens  `{ input_tokens }`
 *   GET  /v1/models                 a one-page model list
 *   HEAD|GET /api/hello             200 (Claude Code's connectivity probe, sent unless
 *                                   CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is set)
 * Query strings (`?beta=true`) are ignored for routing. Every request, answered or 404, is appended to
 * `requests` in arrival order with the headers a gateway routes on. The reply echoes the requested model.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  /** Path and query as received, including the base path: "/v1/messages?beta=true". */
  path: string;
  /** `model` from the JSON body, when there is one. */
  model: string | undefined;
  /** `stream` from the JSON body, when there is one. */
  stream: boolean | undefined;
  apiKey: string | undefined;
  authorization: string | undefined;
  userAgent: string | undefined;
  /** All request headers, lower-cased names. */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  body: unknown;
}

export interface FakeGateway {
  /** Base URL to put in ANTHROPIC_BASE_URL (no trailing slash). */
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export interface FakeGatewayOptions {
  /** A prefix every API path lives under, e.g. "/anthropic" (default none). */
  basePath?: string;
}

const REPLY_TEXT = 'ok';

export async function startFakeGateway(opts: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const basePath = (opts.basePath ?? '').replace(/\/+$/, '');
  const requests: Recorded[] = [];
  let counter = 0;

  const server = createServer((req, res) => {
    readBody(req).then(
      (raw) => {
        const body = parseJson(raw);
        const fields = isRecord(body) ? body : {};
        requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          model: typeof fields.model === 'string' ? fields.model : undefined,
          stream: typeof fields.stream === 'boolean' ? fields.stream : undefined,
          apiKey: header(req, 'x-api-key'),
          authorization: header(req, 'authorization'),
          userAgent: header(req, 'user-agent'),
          headers: { ...req.headers },
          body,
        });
        const route = routeOf(req.url ?? '', basePath);
        const model = typeof fields.model === 'string' ? fields.model : 'unknown-model';
        if (req.method === 'POST' && route === '/v1/messages') {
          const id = `msg_fake_${++counter}`;
          if (fields.stream === true) sendStream(res, id, model);
          else sendJson(res, 200, message(id, model));
        } else if (req.method === 'POST' && route === '/v1/messages/count_tokens') {
          sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(raw.length / 4)) });
        } else if (req.method === 'GET' && route === '/v1/models') {
          sendJson(res, 200, modelList());
        } else if ((req.method === 'HEAD' || req.method === 'GET') && route === '/api/hello') {
          res.writeHead(200).end();
        } else {
          sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${req.url}` } });
        }
      },
      () => res.destroy(),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The path below the base path without the query, or undefined when outside the base path. */
function routeOf(url: string, basePath: string): string | undefined {
  const path = url.split('?')[0] ?? '';
  if (!path.startsWith(basePath)) return undefined;
  const rest = path.slice(basePath.length);
  return rest.startsWith('/') ? rest.replace(/\/+$/, '') : undefined;
}

function message(id: string, model: string) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: REPLY_TEXT }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 1 },
  };
}

function sendStream(res: ServerResponse, id: string, model: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const event = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('message_start', { message: { ...message(id, model), content: [], stop_reason: null, usage: { input_tokens: 10, output_tokens: 0 } } });
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: REPLY_TEXT } });
  event('content_block_stop', { index: 0 });
  event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } });
  event('message_stop', {});
  res.end();
}

function modelList() {
  const ids = ['claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5'];
  const data = ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' }));
  return { data, has_more: false, first_id: ids[0], last_id: ids[ids.length - 1] };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
