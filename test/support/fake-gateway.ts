/**
 * A fake Bifrost in front of the Anthropic Messages API, for running the real Claude Code and `ccfleet
 * doctor` against, on 127.0.0.1 port 0. Under `<url>` (= http://127.0.0.1:<port><basePath>) it answers:
 *   POST /v1/messages               a one-text-block reply "ok": JSON, or SSE when the body has `stream: true`
 *   POST /v1/messages/count_tokens  `{ input_tokens }`
 *   GET  /v1/models                 a one-page model list
 *   HEAD|GET /api/hello             200 (Claude Code's connectivity probe, sent unless
 *                                   CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is set; never authenticated)
 * At the server ROOT (`origin`, whatever the base path), Bifrost's own routes:
 *   GET /health                                200 `{"status":"ok"}`
 *   GET /api/governance/virtual-keys/quota     the calling virtual key's quota (needs `virtualKeys`, else 404):
 *       200 `{ virtual_key_name, is_active, budgets: [{ id, max_limit, reset_duration, calendar_aligned,
 *       last_reset, current_usage, config_hash, created_at, updated_at }], rate_limit: {...} | null }`
 *       — the shape of docs.getbifrost.ai/api-reference/governance/get-virtual-key-quota; 401 without a known key.
 * Query strings (`?beta=true`) are ignored for routing. Every request, answered or not, is appended to
 * `requests` in arrival order with the headers a gateway routes on. The reply echoes the requested model.
 *
 * Virtual keys (option `virtualKeys`, Bifrost's governance): the key comes as `x-bf-vk`, `Authorization:
 * Bearer`, or `x-api-key` (first present, in that order) and must start with `sk-bf-`. On the API routes:
 *   missing / not sk-bf- / unknown  401 authentication_error
 *   known, `active: false`          403 permission_error   (the quota route still answers, is_active false)
 *   budget used up (usage ≥ limit)  429 rate_limit_error on messages and count_tokens (listing models and the
 *                                   quota route cost nothing and still answer 200)
 * Error bodies are Anthropic-shaped, which Claude Code prints, plus Bifrost's markers:
 *   `{ type: 'error', error: { type, message }, is_bifrost_error: true, status_code }`.
 * Without `virtualKeys` nothing is enforced (the default the e2e suite relies on).
 *
 * Failure modes for `doctor` tests: `delayMs` (every answer waits), `status` (force a status on one route),
 * `clockOffsetMs` (skew the `Date` header), `tls` (serve HTTPS; `url` and `origin` become https://).
 * `set(...)` changes the runtime options (all but `basePath` and `tls`) between requests.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  /** Path and query as received, including the base path: "/v1/messages?beta=true". */
  path: string;
  /** Which route the request matched ("messages", "health", ...), or undefined when none (404). */
  route: RouteName | undefined;
  /** `model` from the JSON body, when there is one. */
  model: string | undefined;
  /** `stream` from the JSON body, when there is one. */
  stream: boolean | undefined;
  apiKey: string | undefined;
  authorization: string | undefined;
  /** The `x-bf-vk` header, when sent. */
  virtualKey: string | undefined;
  userAgent: string | undefined;
  /** All request headers, lower-cased names. */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  body: unknown;
}

export type RouteName = 'messages' | 'count_tokens' | 'models' | 'hello' | 'health' | 'quota';

export interface VirtualKeySpec {
  /** Default true. */
  active?: boolean;
  /** Dollars, as Bifrost counts them. */
  budget?: { maxLimit: number; currentUsage: number; resetDuration?: string };
  rateLimit?: {
    tokenMaxLimit?: number;
    tokenCurrentUsage?: number;
    tokenResetDuration?: string;
    requestMaxLimit?: number;
    requestCurrentUsage?: number;
    requestResetDuration?: string;
  };
  /** Shown as `virtual_key_name` (default: "vk-<n>"). */
  name?: string;
}

/** What `set()` can change while the gateway runs. */
export interface RuntimeOptions {
  /** Key value → its settings. When given, API routes and the quota route require one of these keys. */
  virtualKeys?: Record<string, VirtualKeySpec>;
  /** Every answer (headers included) waits this long. */
  delayMs?: number;
  /** Force a status on a route; the body is a JSON error (for health: `{"status":"error"}`). */
  status?: Partial<Record<RouteName, number>>;
  /** Added to the clock for the `Date` response header (Node sets it otherwise). */
  clockOffsetMs?: number;
}

export interface FakeGatewayOptions extends RuntimeOptions {
  /** A prefix every API path lives under, e.g. "/anthropic" (default none). */
  basePath?: string;
  /** Serve HTTPS with this key and certificate (PEM), e.g. from test/support/private-ca.ts. */
  tls?: { key: string; cert: string };
}

export interface FakeGateway {
  /** Base URL to put in ANTHROPIC_BASE_URL (no trailing slash). */
  url: string;
  /** Scheme, host and port, without the base path: where /health and the quota route live. */
  origin: string;
  requests: Recorded[];
  /** Replace some runtime options (the ones not named keep their value; pass `undefined` to clear one). */
  set(opts: RuntimeOptions): void;
  close(): Promise<void>;
}

const REPLY_TEXT = 'ok';
const VK_PREFIX = 'sk-bf-';
const EPOCH = '2025-01-01T00:00:00Z';

export async function startFakeGateway(opts: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const basePath = (opts.basePath ?? '').replace(/\/+$/, '');
  const requests: Recorded[] = [];
  const runtime: RuntimeOptions = { virtualKeys: opts.virtualKeys, delayMs: opts.delayMs, status: opts.status, clockOffsetMs: opts.clockOffsetMs };
  const timers = new Set<NodeJS.Timeout>();
  let counter = 0;

  /** Appends the request to `requests` (on arrival, before any delay) and returns what routing needs. */
  const record = (req: IncomingMessage, raw: string) => {
    const body = parseJson(raw);
    const fields = isRecord(body) ? body : {};
    const route = routeOf(req.method ?? '', req.url ?? '', basePath);
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      route,
      model: typeof fields.model === 'string' ? fields.model : undefined,
      stream: typeof fields.stream === 'boolean' ? fields.stream : undefined,
      apiKey: header(req, 'x-api-key'),
      authorization: header(req, 'authorization'),
      virtualKey: header(req, 'x-bf-vk'),
      userAgent: header(req, 'user-agent'),
      headers: { ...req.headers },
      body,
    });
    return { fields, route };
  };

  const answer = (req: IncomingMessage, res: ServerResponse, raw: string, fields: Record<string, unknown>, route: RouteName | undefined) => {
    if (runtime.clockOffsetMs !== undefined) res.setHeader('date', new Date(Date.now() + runtime.clockOffsetMs).toUTCString());
    if (route === undefined) {
      sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${req.url}` } });
      return;
    }
    const forced = runtime.status?.[route];
    if (forced !== undefined) {
      sendJson(res, forced, route === 'health' ? { status: 'error' } : errorBody(forced, 'api_error', `forced status ${forced}`));
      return;
    }
    if (route === 'health') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (route === 'hello') {
      res.writeHead(200).end();
      return;
    }
    const gate = governance(req, route, runtime.virtualKeys);
    if (gate.refusal) {
      sendJson(res, gate.refusal.status, errorBody(gate.refusal.status, gate.refusal.type, gate.refusal.message));
      return;
    }
    const model = typeof fields.model === 'string' ? fields.model : 'unknown-model';
    switch (route) {
      case 'messages': {
        const id = `msg_fake_${++counter}`;
        if (fields.stream === true) sendStream(res, id, model);
        else sendJson(res, 200, message(id, model));
        return;
      }
      case 'count_tokens':
        sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(raw.length / 4)) });
        return;
      case 'models':
        sendJson(res, 200, modelList());
        return;
      case 'quota':
        sendJson(res, 200, quota(gate.key!, runtime.virtualKeys!));
        return;
    }
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    readBody(req).then(
      (raw) => {
        const { fields, route } = record(req, raw);
        const delay = runtime.delayMs ?? 0;
        if (delay <= 0) return answer(req, res, raw, fields, route);
        const t = setTimeout(() => {
          timers.delete(t);
          if (!res.destroyed) answer(req, res, raw, fields, route);
        }, delay);
        timers.add(t);
      },
      () => res.destroy(),
    );
  };
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : createHttpServer(handler);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    url: `${origin}${basePath}`,
    origin,
    requests,
    set: (next) => Object.assign(runtime, next),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Which route a request is for, or undefined (404). API routes live under the base path, Bifrost's at the root. */
function routeOf(method: string, url: string, basePath: string): RouteName | undefined {
  const path = (url.split('?')[0] ?? '').replace(/(.)\/+$/, '$1');
  if (method === 'GET' && path === '/health') return 'health';
  if (method === 'GET' && path === '/api/governance/virtual-keys/quota') return 'quota';
  if (!path.startsWith(basePath)) return undefined;
  const rest = path.slice(basePath.length);
  if (!rest.startsWith('/')) return undefined;
  if (method === 'POST' && rest === '/v1/messages') return 'messages';
  if (method === 'POST' && rest === '/v1/messages/count_tokens') return 'count_tokens';
  if (method === 'GET' && rest === '/v1/models') return 'models';
  if ((method === 'HEAD' || method === 'GET') && rest === '/api/hello') return 'hello';
  return undefined;
}

interface Gate {
  key?: string;
  refusal?: { status: number; type: string; message: string };
}

/** Bifrost's virtual-key checks for one request (nothing when `keys` is not configured). */
function governance(req: IncomingMessage, route: RouteName, keys: Record<string, VirtualKeySpec> | undefined): Gate {
  if (keys === undefined) return route === 'quota' ? { refusal: { status: 404, type: 'not_found_error', message: 'governance is not enabled' } } : {};
  const bearer = /^Bearer\s+(.+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
  const key = header(req, 'x-bf-vk') ?? bearer ?? header(req, 'x-api-key');
  if (key === undefined) return { refusal: { status: 401, type: 'authentication_error', message: 'virtual key is missing (x-bf-vk, Authorization: Bearer or x-api-key)' } };
  if (!key.startsWith(VK_PREFIX) || !Object.prototype.hasOwnProperty.call(keys, key)) {
    return { refusal: { status: 401, type: 'authentication_error', message: 'virtual key not found' } };
  }
  const spec = keys[key]!;
  if (route === 'quota') return { key };
  if (spec.active === false) return { refusal: { status: 403, type: 'permission_error', message: 'virtual key is blocked (inactive)' } };
  if ((route === 'messages' || route === 'count_tokens') && spec.budget && spec.budget.currentUsage >= spec.budget.maxLimit) {
    return { refusal: { status: 429, type: 'rate_limit_error', message: `budget exceeded: ${spec.budget.currentUsage} >= ${spec.budget.maxLimit}` } };
  }
  return { key };
}

function quota(key: string, keys: Record<string, VirtualKeySpec>) {
  const index = Object.keys(keys).indexOf(key);
  const spec = keys[key]!;
  const b = spec.budget;
  const r = spec.rateLimit;
  return {
    virtual_key_name: spec.name ?? `vk-${index + 1}`,
    is_active: spec.active !== false,
    budgets: b
      ? [{ id: `budget-${index + 1}`, max_limit: b.maxLimit, reset_duration: b.resetDuration ?? '1M', calendar_aligned: false, last_reset: EPOCH, current_usage: b.currentUsage, config_hash: 'fake', created_at: EPOCH, updated_at: EPOCH }]
      : [],
    rate_limit: r
      ? {
          id: `rate-limit-${index + 1}`,
          token_max_limit: r.tokenMaxLimit ?? null,
          token_reset_duration: r.tokenResetDuration ?? null,
          token_current_usage: r.tokenCurrentUsage ?? 0,
          token_last_reset: EPOCH,
          request_max_limit: r.requestMaxLimit ?? null,
          request_reset_duration: r.requestResetDuration ?? null,
          request_current_usage: r.requestCurrentUsage ?? 0,
          request_last_reset: EPOCH,
          config_hash: 'fake',
          created_at: EPOCH,
          updated_at: EPOCH,
        }
      : null,
  };
}

const errorBody = (status: number, type: string, message: string) => ({ type: 'error', error: { type, message }, is_bifrost_error: true, status_code: status });

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
