/**
 * One request and its response, as the routes see them. Every answer goes through `json`, `error`, or
 * `send`, which add the API's security headers, close the connection when a request body was left unread
 * (a refused upload is never drained to its end) or the server is draining, and record the request's
 * duration for /metrics. No per-request logging here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, type ApiErrorCode, API_ERRORS } from './errors.js';
import type { ClientInfo } from './client-address.js';
import type { RouteId } from './metrics.js';

/** Headers on every API answer: nothing is cached, sniffed, framed or given a referrer. */
export const API_HEADERS: readonly string[] = [
  'cache-control', 'no-store',
  'x-content-type-options', 'nosniff',
  'content-security-policy', "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy', 'no-referrer',
];

const JSON_TYPE = 'application/json; charset=utf-8';

export interface ExchangeHost {
  /** Records a finished request (route, seconds). */
  observe(route: RouteId, seconds: number): void;
  /** True once the server is shutting down: answers close their connection. */
  readonly draining: boolean;
}

export class Exchange {
  /** Set by readBody once the whole request body was read. */
  bodyRead = false;
  /** Set once an answer went through `send` (its duration recorded). */
  answered = false;
  /** The client (AppState.client), worked out once when first needed. */
  client: ClientInfo | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly host: ExchangeHost,
    public route: RouteId,
    readonly t0: number,
    /** The request path (no query string). */
    readonly path: string,
    /** The query string without `?` ('' when none). */
    readonly query: string,
  ) {}

  json(status: number, value: unknown, extra: readonly string[] = []): void {
    const body = JSON.stringify(value);
    this.send(status, [...API_HEADERS, 'content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body)), ...extra], body);
  }

  error(code: ApiErrorCode, message: string, extra: readonly string[] = []): void {
    this.json(API_ERRORS[code], { error: { code, message } }, extra);
  }

  fail(e: ApiError): void {
    this.error(e.code, e.message, e.headers);
  }

  /** Writes the head (flat [name, value, …] list) and the body, and records the duration. */
  send(status: number, headers: readonly string[], body?: string | Buffer): void {
    const res = this.res;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const close = this.host.draining || (!this.bodyRead && hasBody(this.req));
    res.writeHead(status, close ? [...headers, 'connection', 'close'] : (headers as string[]));
    res.end(body);
    this.answered = true;
    this.host.observe(this.route, (performance.now() - this.t0) / 1000);
  }
}

/** Whether the request announces a body (chunked, or a non-zero Content-Length). */
export function hasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

export { ApiError };
