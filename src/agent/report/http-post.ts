/**
 * JSON POSTs to the ccfleet server (enroll, reports), with the same undici set-up as the policy fetch and
 * doctor (src/agent/policy-fetch.ts, src/agent/doctor/http.ts): a deadline per request (connect + TLS +
 * headers + body, also as undici's own timeouts), proxies from the environment (EnvHttpProxyAgent:
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY), `ca` as the trusted roots (agent config `caFile`, ca-bundle.ts),
 * redirects not followed, the answer's body read up to 64 KiB. Optionally gzip (Content-Encoding).
 * Never throws for a network failure: the outcome says what happened, with the error code, and whether
 * trying again later can help. Request headers and bodies (tokens, the enrollment secret) are never part
 * of an outcome.
 */
import { gzipSync } from 'node:zlib';
import { EnvHttpProxyAgent, request } from 'undici';
import { describeNetworkError, proxyNote } from '../doctor/http.js';
import { ourWords, PERMANENT } from '../policy-fetch.js';

export interface PostClientOptions {
  timeoutMs: number;
  /** Trusted CA certificates (PEM), replacing Node's defaults; undefined keeps the defaults. */
  ca?: readonly string[];
  userAgent: string;
  /** Compress bodies over 1 KiB (Content-Encoding: gzip). Default false. */
  gzip?: boolean;
  /** Aborts requests in flight (daemon shutdown). */
  signal?: AbortSignal;
}

export type PostOutcome =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'failure'; code: string; message: string; retryable: boolean };

export interface PostClient {
  post(url: string, body: Buffer | string, headers?: Readonly<Record<string, string>>): Promise<PostOutcome>;
  close(): Promise<void>;
}

const MAX_ANSWER = 64 * 1024;

export function createPostClient(o: PostClientOptions): PostClient {
  const tls = { timeout: o.timeoutMs, keepAlive: false, ...(o.ca ? { ca: [...o.ca] } : {}) }; // keepAlive: see policy-fetch.ts
  const dispatcher = new EnvHttpProxyAgent({ connect: tls, requestTls: tls, proxyTls: tls, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs, proxyTunnel: false });

  const post = async (url: string, body: Buffer | string, headers: Readonly<Record<string, string>> = {}): Promise<PostOutcome> => {
    const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const zip = o.gzip === true && raw.length > 1024;
    const payload = zip ? gzipSync(raw) : raw;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), o.timeoutMs);
    const signal = o.signal ? AbortSignal.any([deadline.signal, o.signal]) : deadline.signal;
    try {
      const res = await request(url, {
        method: 'POST',
        headers: {
          'user-agent': o.userAgent,
          accept: 'application/json',
          'content-type': 'application/json',
          ...(zip ? { 'content-encoding': 'gzip' } : {}),
          ...headers,
        },
        body: payload,
        dispatcher,
        signal,
      });
      const answer = await readCapped(res.body);
      return { kind: 'response', status: res.statusCode, headers: flatHeaders(res.headers), body: answer };
    } catch (e) {
      if (o.signal?.aborted) return { kind: 'failure', code: 'ABORTED', message: 'aborted (shutting down)', retryable: true };
      const d = deadline.signal.aborted ? { cause: `timed out after ${o.timeoutMs} ms`, code: 'TIMEOUT' } : describeNetworkError(e, o.timeoutMs);
      return { kind: 'failure', code: d.code, message: ourWords(d.cause) + proxyNote(url, process.env), retryable: !PERMANENT.has(d.code) };
    } finally {
      clearTimeout(timer);
    }
  };

  return { post, close: () => dispatcher.close().catch(() => undefined) };
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown; on(ev: 'error', f: () => void): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = MAX_ANSWER - size;
    if (chunk.length >= room) {
      chunks.push(chunk.subarray(0, room));
      body.on('error', () => undefined);
      body.destroy();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** The server's `{ error: { code, message } }`, when the answer is one (else a short excerpt). */
export function serverError(body: string): { code: string | null; message: string } {
  try {
    const v = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof v.error?.code === 'string' ? v.error.code.slice(0, 64) : null;
    const message = typeof v.error?.message === 'string' ? v.error.message.slice(0, 300) : '';
    if (code !== null || message !== '') return { code, message };
  } catch {
    // not JSON
  }
  return { code: null, message: body.replace(/\s+/g, ' ').trim().slice(0, 200) };
}

/** Retry-After in ms (seconds or an HTTP date), capped at an hour; null when absent or unreadable. */
export function retryAfterMs(headers: Record<string, string>, now: number): number | null {
  const v = headers['retry-after'];
  if (v === undefined) return null;
  const s = Number(v);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 3_600_000) : null;
}
