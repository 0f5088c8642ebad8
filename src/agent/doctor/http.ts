/**
 * The one HTTP client `doctor` uses: undici with a deadline on every request, a cap on every body,
 * proxies from the environment and an optional extra set of trusted CAs.
 *
 * - Deadline: `timeoutMs` covers connect + TLS + headers + body of one request (an AbortSignal), and
 *   undici's own connect/headers/body timeouts are set to the same value as a backstop. Never hangs.
 * - Proxies: undici's EnvHttpProxyAgent reads HTTP_PROXY / HTTPS_PROXY / NO_PROXY (either case) when the
 *   client is created. An http:// URL goes to an http:// proxy as an absolute-form request (as curl does;
 *   `proxyTunnel: false`), an https:// URL through a CONNECT tunnel.
 * - Trust: `ca` replaces Node's default roots for the gateway (and an https proxy); doctor passes the
 *   defaults plus the `--ca` file (see ./ca.ts). Undefined: Node's defaults.
 * - Redirects are not followed: a 3xx is an answer like any other.
 * - Never throws for a network failure: the outcome says what happened in words a person can act on.
 * Request headers (credentials) are never part of an outcome or an error message.
 */
import { EnvHttpProxyAgent, request } from 'undici';

export const MAX_BODY_BYTES = 1 << 20;

export interface HttpClientOptions {
  timeoutMs: number;
  /** Trusted CA certificates (PEM), replacing Node's defaults; undefined keeps the defaults. */
  ca?: readonly string[];
  userAgent: string;
  maxBodyBytes?: number;
}

export interface HttpResponse {
  kind: 'response';
  status: number;
  /** Response headers, lower-case names (repeated headers joined with ", "). */
  headers: Record<string, string>;
  /** The body as UTF-8 text, at most maxBodyBytes. */
  body: string;
  truncated: boolean;
  /** Local clock (ms since epoch) when the response headers arrived. */
  receivedAt: number;
  ms: number;
}

export interface HttpFailure {
  kind: 'failure';
  /** What went wrong, for a person: "connect ECONNREFUSED 127.0.0.1:9", "timed out after 500 ms", ... */
  cause: string;
  /** The underlying error code (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, DEPTH_ZERO_SELF_SIGNED_CERT, TIMEOUT...). */
  code: string;
  ms: number;
}

export type HttpOutcome = HttpResponse | HttpFailure;

export interface HttpClient {
  get(url: string, headers?: Readonly<Record<string, string>>): Promise<HttpOutcome>;
  close(): Promise<void>;
}

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  const cap = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const tlsOpts = { timeout: opts.timeoutMs, keepAlive: false, ...(opts.ca ? { ca: [...opts.ca] } : {}) }; // keepAlive: see policy-fetch.ts
  const dispatcher = new EnvHttpProxyAgent({
    connect: tlsOpts,
    requestTls: tlsOpts,
    proxyTls: tlsOpts,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    proxyTunnel: false,
  });

  const get = async (url: string, headers: Readonly<Record<string, string>> = {}): Promise<HttpOutcome> => {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), opts.timeoutMs);
    try {
      const res = await request(url, {
        method: 'GET',
        headers: { 'user-agent': opts.userAgent, accept: 'application/json', ...headers },
        dispatcher,
        signal: deadline.signal,
      });
      const receivedAt = Date.now();
      const { text, truncated } = await readCapped(res.body, cap);
      return { kind: 'response', status: res.statusCode, headers: flatHeaders(res.headers), body: text, truncated, receivedAt, ms: ms() };
    } catch (e) {
      const failure = deadline.signal.aborted ? { cause: `timed out after ${opts.timeoutMs} ms`, code: 'TIMEOUT' } : describeNetworkError(e, opts.timeoutMs);
      return { kind: 'failure', code: failure.code, cause: failure.cause + proxyNote(url, process.env), ms: ms() };
    } finally {
      clearTimeout(timer);
    }
  };

  return { get, close: () => dispatcher.close() };
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, cap: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = cap - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

/** A network error in words: the first error code in the cause chain decides. */
export function describeNetworkError(e: unknown, timeoutMs: number): { cause: string; code: string } {
  const chain: Array<{ code?: unknown; message?: unknown; hostname?: unknown }> = [];
  for (let x: unknown = e, i = 0; x && typeof x === 'object' && i < 5; x = (x as { cause?: unknown }).cause, i++) chain.push(x as never);
  const withCode = chain.find((x) => typeof x.code === 'string' && x.code !== 'UND_ERR_SOCKET') ?? chain[0] ?? {};
  const code = typeof withCode.code === 'string' ? withCode.code : 'UNKNOWN';
  const message = oneLine(typeof withCode.message === 'string' ? withCode.message : String(e));
  if (UNKNOWN_CA.has(code)) return { code, cause: `certificate signed by unknown authority (${code}) — pass --ca <file> with the gateway's CA` };
  switch (code) {
    case 'CERT_HAS_EXPIRED':
      return { code, cause: 'the gateway\'s certificate has expired (CERT_HAS_EXPIRED)' };
    case 'CERT_NOT_YET_VALID':
      return { code, cause: 'the gateway\'s certificate is not valid yet (CERT_NOT_YET_VALID) — check this machine\'s clock' };
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return { code, cause: `the gateway's certificate is for another host: ${message}` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { code, cause: `DNS: cannot resolve ${typeof withCode.hostname === 'string' ? withCode.hostname : 'the host'} (${code})` };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return { code, cause: `timed out after ${timeoutMs} ms (${code})` };
    case 'UND_ERR_ABORTED':
      return /proxy/i.test(message) ? { code, cause: `proxy: ${message}` } : { code, cause: message };
    default:
      if (code.startsWith('ERR_SSL_') || code === 'EPROTO') return { code, cause: `TLS handshake failed: ${message}` };
      return { code, cause: message.includes(code) || code === 'UNKNOWN' ? message : `${message} (${code})` };
  }
}

/**
 * For a failure: the proxy settings that applied to this URL's scheme, if any (undici decides NO_PROXY;
 * this only tells a person where to look). Proxy user info is not shown.
 */
export function proxyNote(url: string, env: NodeJS.ProcessEnv): string {
  const https = url.startsWith('https:');
  const pick = (...names: string[]) => names.map((n) => [n, env[n]] as const).find(([, v]) => v !== undefined && v !== '');
  const proxy = https ? pick('https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY') : pick('http_proxy', 'HTTP_PROXY');
  if (!proxy) return '';
  const noProxy = pick('no_proxy', 'NO_PROXY');
  return ` (proxy from the environment: ${proxy[0]}=${withoutUserInfo(proxy[1]!)}${noProxy ? `, ${noProxy[0]}=${noProxy[1]}` : ''})`;
}

function withoutUserInfo(u: string): string {
  try {
    const x = new URL(u);
    x.username = '';
    x.password = '';
    return x.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

const oneLine = (s: string): string => s.split(/\r?\n/)[0]!.slice(0, 300);
