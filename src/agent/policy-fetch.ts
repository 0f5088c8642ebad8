/**
 * One fetch of a policy and (optionally) its detached signature, from a local file or an http(s) URL.
 * No verification and no caching here: the exact bytes come back for the policy client to judge.
 *
 * Where the signature is looked for (`wantSignature`):
 *   1. `signatureUrl` when given (a file path or an http(s) URL, whatever the policy's source is);
 *   2. http(s): the `ccfleet-signature` response header (base64url of the signature document);
 *   3. `<source>.sig` — a file beside the policy file, or the URL with ".sig" added to its path
 *      (`https://cdn/p.json?v=2` → `https://cdn/p.json.sig?v=2`).
 *   A signature that is not there (no file, HTTP 404/410) is `none`; one that cannot be read for another
 *   reason makes the whole fetch `unreachable` (we cannot tell whether it is signed).
 *
 * HTTP: undici `request`, a deadline of `timeoutMs` per request (connect + TLS + headers + body), proxies
 * from the environment (EnvHttpProxyAgent, as doctor), `ca` as the trusted roots, `If-None-Match` with the
 * given ETag (304 → not-modified, the body never read), the body cap enforced while streaming (and from
 * Content-Length before reading), redirects not followed. `headers` (e.g. a device token) go only to the
 * policy's own origin. 5xx, 408, 429 and network failures are retryable; 404 and other answers are not.
 * URLs in messages lose their user info and query (signed URLs carry tokens there).
 */
import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { describeNetworkError, proxyNote } from './doctor/http.js';
import { readFileCapped } from './policy-bytes.js';
import { sessionKeepingConnector } from './tls-sessions.js';
import { decodeSignatureHeader, MAX_SIGNATURE_BYTES, SIGNATURE_HEADER } from './policy-signing.js';

export interface FetchPolicyOptions {
  timeoutMs: number;
  maxBytes: number;
  wantSignature: boolean;
  signatureUrl?: string;
  /** ETag of the copy we hold: sent as If-None-Match (http only). */
  etag?: string | null;
  /** Trusted CA certificates (PEM), replacing Node's defaults; undefined keeps the defaults. */
  ca?: readonly string[];
  /** Extra request headers, sent to the policy's origin only. */
  headers?: Readonly<Record<string, string>>;
  userAgent?: string;
  signal?: AbortSignal;
}

export type SignatureFetch =
  | { kind: 'none'; where: string }
  | { kind: 'found'; bytes: Buffer; where: string }
  | { kind: 'malformed'; message: string };

export type FetchResult =
  | { kind: 'fetched'; bytes: Buffer; etag: string | null; signature: SignatureFetch | null }
  | { kind: 'not-modified' }
  | { kind: 'too-large'; message: string }
  /** `notFound`: the policy itself is not there (no such file, HTTP 404/410). */
  | { kind: 'unreachable'; message: string; retryable: boolean; notFound?: boolean };

export const isHttpSource = (s: string): boolean => /^https?:\/\//i.test(s);

/** `<file>.sig`, or the URL with ".sig" appended to its path. */
export function defaultSignatureLocation(source: string): string {
  if (!isHttpSource(source)) return `${source}.sig`;
  const u = new URL(source);
  u.pathname += '.sig';
  return u.toString();
}

export async function fetchPolicy(source: string, o: FetchPolicyOptions): Promise<FetchResult> {
  if (!isHttpSource(source)) {
    const r = readFileCapped(source, o.maxBytes);
    if (r.kind === 'too-large') return { kind: 'too-large', message: `policy ${r.message}` };
    if (r.kind === 'missing') return { kind: 'unreachable', message: `policy file ${r.message}`, retryable: false, notFound: true };
    if (r.kind === 'error') return { kind: 'unreachable', message: `policy file ${r.message}`, retryable: r.retryable };
    if (!o.wantSignature) return { kind: 'fetched', bytes: r.bytes, etag: null, signature: null };
    const sig = await fetchSignature(o.signatureUrl ?? defaultSignatureLocation(source), o, null);
    return sig.kind === 'unreachable' ? sig : { kind: 'fetched', bytes: r.bytes, etag: null, signature: sig };
  }
  let origin: string;
  try {
    origin = new URL(source).origin;
  } catch {
    return { kind: 'unreachable', message: `${source}: not a valid URL`, retryable: false };
  }
  const http = new Http(o, origin);
  try {
    const res = await http.get(source, o.maxBytes, o.etag ? { 'if-none-match': o.etag } : {});
    if (res.kind === 'failure') return { kind: 'unreachable', message: `policy ${showUrl(source)}: ${res.message}`, retryable: res.retryable };
    if (res.kind === 'too-large') return { kind: 'too-large', message: `policy ${showUrl(source)}: larger than ${o.maxBytes} bytes` };
    if (res.status === 304 && o.etag) return { kind: 'not-modified' };
    if (res.status !== 200) {
      const notFound = res.status === 404 || res.status === 410;
      return { kind: 'unreachable', ...statusProblem(`policy ${showUrl(source)}`, res.status, res.headers, source), ...(notFound ? { notFound } : {}) };
    }
    const etag = res.headers.etag ?? null;
    if (!o.wantSignature) return { kind: 'fetched', bytes: res.body, etag, signature: null };
    const header = res.headers[SIGNATURE_HEADER];
    let sig: SignatureFetch | Extract<FetchResult, { kind: 'unreachable' }>;
    if (o.signatureUrl === undefined && header !== undefined) sig = { kind: 'found', bytes: decodeSignatureHeader(header), where: `${SIGNATURE_HEADER} header` };
    else sig = await fetchSignature(o.signatureUrl ?? defaultSignatureLocation(source), o, http);
    return sig.kind === 'unreachable' ? sig : { kind: 'fetched', bytes: res.body, etag, signature: sig };
  } finally {
    await http.close();
  }
}

async function fetchSignature(where: string, o: FetchPolicyOptions, http: Http | null): Promise<SignatureFetch | Extract<FetchResult, { kind: 'unreachable' }>> {
  if (!isHttpSource(where)) {
    const r = readFileCapped(where, MAX_SIGNATURE_BYTES);
    if (r.kind === 'bytes') return { kind: 'found', bytes: r.bytes, where };
    if (r.kind === 'missing') return { kind: 'none', where };
    if (r.kind === 'too-large') return { kind: 'malformed', message: `signature ${r.message}: not a signature document` };
    return { kind: 'unreachable', message: `signature file ${r.message}`, retryable: r.retryable };
  }
  const own = http ?? new Http(o, null);
  try {
    const res = await own.get(where, MAX_SIGNATURE_BYTES, {});
    const label = `signature ${showUrl(where)}`;
    if (res.kind === 'failure') return { kind: 'unreachable', message: `${label}: ${res.message}`, retryable: res.retryable };
    if (res.kind === 'too-large') return { kind: 'malformed', message: `${label}: larger than ${MAX_SIGNATURE_BYTES} bytes, not a signature document` };
    if (res.status === 200) return { kind: 'found', bytes: res.body, where: showUrl(where) };
    if (res.status === 404 || res.status === 410) return { kind: 'none', where: showUrl(where) };
    return { kind: 'unreachable', ...statusProblem(label, res.status, res.headers, where) };
  } finally {
    if (!http) await own.close();
  }
}

type HttpAnswer =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: Buffer }
  | { kind: 'too-large' }
  | { kind: 'failure'; message: string; retryable: boolean };

/**
 * Dispatchers shared by every fetch with the same timeout and trust roots, so TLS sessions are resumed
 * across refreshes (tls-sessions.ts: a resumed TLS 1.3 handshake skips the certificate chain, most of
 * the bytes of a 304 refresh). Nothing stays open between refreshes: an idle
 * connection closes after KEEP_ALIVE_MS, far below the 5-minute cadence. A few entries at most (one per
 * configuration the process has used).
 */
const shared = new Map<string, Dispatcher>();
const KEEP_ALIVE_MS = 2_000;
const MAX_SHARED = 4;

function dispatcherFor(o: FetchPolicyOptions): Dispatcher {
  const key = JSON.stringify([o.timeoutMs, o.ca ?? null]);
  const hit = shared.get(key);
  if (hit) return hit;
  // keepAlive: false — no TCP keep-alive probes (a connection lives seconds; HTTP keep-alive is unaffected). undici
  // otherwise arms them before the socket connects, which wine refuses (connect UNKNOWN): with it off, the Windows
  // executable's enrollment, policy and reports run under wine in CI (test/ship/sea-smoke.test.ts).
  const tls = { timeout: o.timeoutMs, keepAlive: false, ...(o.ca ? { ca: [...o.ca] } : {}) };
  // Direct connections keep their TLS sessions (tls-sessions.ts); through a proxy, undici's own connector.
  const d = new EnvHttpProxyAgent({ connect: sessionKeepingConnector(tls), requestTls: tls, proxyTls: tls, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs, keepAliveTimeout: KEEP_ALIVE_MS, keepAliveMaxTimeout: KEEP_ALIVE_MS, proxyTunnel: false });
  if (shared.size >= MAX_SHARED) {
    const [oldKey, old] = shared.entries().next().value!;
    shared.delete(oldKey);
    void old.close().catch(() => undefined);
  }
  shared.set(key, d);
  return d;
}

/** Closes the shared dispatchers (the daemon stopping; tests). */
export async function closePolicyHttp(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  await Promise.all(all.map((d) => d.close().catch(() => undefined)));
}

/** One fetch's HTTP: the shared dispatcher for its options, with this fetch's deadline and headers. */
class Http {
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly o: FetchPolicyOptions,
    /** The origin that may receive `o.headers`; null: none may. */
    private readonly trustedOrigin: string | null,
  ) {
    this.dispatcher = dispatcherFor(o);
  }

  async get(url: string, cap: number, extra: Record<string, string>): Promise<HttpAnswer> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.o.timeoutMs);
    const signal = this.o.signal ? AbortSignal.any([deadline.signal, this.o.signal]) : deadline.signal;
    const sameOrigin = this.trustedOrigin !== null && sameOriginAs(url, this.trustedOrigin);
    try {
      const res = await request(url, {
        method: 'GET',
        headers: { 'user-agent': this.o.userAgent ?? 'ccfleet', accept: 'application/json, */*', ...(sameOrigin ? this.o.headers : {}), ...extra },
        dispatcher: this.dispatcher,
        signal,
      });
      const headers = flatHeaders(res.headers);
      if (res.statusCode !== 200) {
        // Not a body we use: drop it without reading (a 304 has none anyway).
        discard(res.body);
        return { kind: 'response', status: res.statusCode, headers, body: Buffer.alloc(0) };
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > cap) {
        discard(res.body);
        return { kind: 'too-large' };
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > cap) {
          discard(res.body);
          return { kind: 'too-large' };
        }
        chunks.push(chunk);
      }
      return { kind: 'response', status: 200, headers, body: Buffer.concat(chunks, size) };
    } catch (e) {
      if (this.o.signal?.aborted) return { kind: 'failure', message: 'aborted', retryable: true };
      const d = deadline.signal.aborted ? { cause: `timed out after ${this.o.timeoutMs} ms`, code: 'TIMEOUT' } : describeNetworkError(e, this.o.timeoutMs);
      return { kind: 'failure', message: ourWords(d.cause) + proxyNote(url, process.env), retryable: !PERMANENT.has(d.code) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The dispatcher is shared: its idle connections close by themselves (KEEP_ALIVE_MS). */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** TLS trust problems do not go away by retrying soon (they are still retried on the normal cadence). */
export const PERMANENT = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT']);

/** doctor's descriptions speak of "the gateway" and its `--ca` option; here it is the policy server and `caFile`. */
export const ourWords = (cause: string): string =>
  cause.replace("pass --ca <file> with the gateway's CA", 'set "caFile" in the agent config to the server\'s CA bundle').replace(/the gateway's/g, "the server's");

function statusProblem(label: string, status: number, headers: Record<string, string>, url: string): { message: string; retryable: boolean } {
  if (status >= 300 && status < 400) {
    const to = headers.location ? ` to ${showUrl(headers.location, url)}` : '';
    return { message: `${label}: HTTP ${status} (redirect${to}): redirects are not followed — configure the final URL`, retryable: false };
  }
  return { message: `${label}: HTTP ${status}`, retryable: status >= 500 || status === 408 || status === 429 };
}

/** Drops a body we will not read (destroying it unobserved would surface as an uncaught AbortError). */
function discard(body: NodeJS.ReadableStream & { destroy(): unknown }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function sameOriginAs(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

/** A URL without user info, query or fragment (they may carry tokens). */
export function showUrl(u: string, base?: string): string {
  try {
    const x = new URL(u, base);
    return `${x.origin}${x.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
