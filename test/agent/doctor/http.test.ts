// doctor's HTTP client against real servers on 127.0.0.1: deadlines, the body cap, no redirects, TLS
// trust (a private CA added to the defaults), and failures described in words a person can act on.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readCaFile, trustedRoots } from '../../../src/agent/doctor/ca.js';
import { createHttpClient, describeNetworkError, proxyNote, type HttpClient } from '../../../src/agent/doctor/http.js';
import { makePrivateCa } from '../../support/private-ca.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(handler: http.RequestListener, tls?: { key: string; cert: string }): Promise<string> {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

function client(opts: Partial<Parameters<typeof createHttpClient>[0]> = {}): HttpClient {
  const c = createHttpClient({ timeoutMs: 2000, userAgent: 'test/1', ...opts });
  cleanups.push(() => c.close());
  return c;
}

describe('createHttpClient', () => {
  it('returns status, lower-case headers and the body; sends our user agent and the given headers', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const url = await serve((req, res) => {
      seen = req.headers;
      res.writeHead(201, { 'X-Thing': 'a', date: 'Thu, 01 Jan 2026 00:00:00 GMT' }).end('hello');
    });
    const r = await client().get(`${url}/x`, { authorization: 'Bearer t' });
    expect(r).toMatchObject({ kind: 'response', status: 201, body: 'hello', truncated: false });
    if (r.kind !== 'response') throw new Error('no response');
    expect(r.headers['x-thing']).toBe('a');
    expect(r.headers.date).toBe('Thu, 01 Jan 2026 00:00:00 GMT');
    expect(seen['user-agent']).toBe('test/1');
    expect(seen.authorization).toBe('Bearer t');
  });

  it('does not follow redirects', async () => {
    const url = await serve((_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:9/' }).end());
    expect(await client().get(url)).toMatchObject({ kind: 'response', status: 302 });
  });

  it('caps the body', async () => {
    const url = await serve((_req, res) => res.end(Buffer.alloc(50_000, 'a')));
    const r = await client({ maxBodyBytes: 1000 }).get(url);
    expect(r).toMatchObject({ kind: 'response', status: 200, truncated: true });
    expect(r.kind === 'response' && r.body.length).toBe(1000);
  });

  it('a server that never answers, or stalls mid-body: a timeout failure', async () => {
    const silent = await serve(() => undefined);
    expect(await client({ timeoutMs: 200 }).get(silent)).toMatchObject({ kind: 'failure', cause: expect.stringMatching(/timed out after 200 ms/) });
    const stalls = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    expect(await client({ timeoutMs: 200 }).get(stalls)).toMatchObject({ kind: 'failure', cause: expect.stringMatching(/timed out after 200 ms/) });
  });

  it('connection refused names ECONNREFUSED and the address', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    expect(await client().get(`http://127.0.0.1:${port}/`)).toMatchObject({ kind: 'failure', code: 'ECONNREFUSED', cause: `connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('TLS with a private CA: unknown authority without it, a 200 with the defaults plus it', async () => {
    const ca = makePrivateCa();
    cleanups.push(() => ca.cleanup());
    const url = await serve((_req, res) => res.end('ok'), { key: ca.key, cert: ca.cert });
    const bad = await client().get(url);
    expect(bad).toMatchObject({ kind: 'failure', cause: expect.stringMatching(/^certificate signed by unknown authority \(\w+\) — pass --ca/) });
    expect(await client({ ca: trustedRoots(readCaFile(ca.caCertPath)) }).get(url)).toMatchObject({ kind: 'response', status: 200, body: 'ok' });
  });
});

describe('describeNetworkError', () => {
  const err = (code: string, message = code, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra });
  it.each([
    [err('ENOTFOUND', 'getaddrinfo ENOTFOUND gw.example', { hostname: 'gw.example' }), /^DNS: cannot resolve gw\.example \(ENOTFOUND\)$/],
    [err('CERT_HAS_EXPIRED'), /expired/],
    [err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), /for another host/],
    [err('UND_ERR_HEADERS_TIMEOUT'), /^timed out after 700 ms/],
    [err('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), /^TLS handshake failed/],
    [Object.assign(new Error('fetch failed'), { cause: err('SELF_SIGNED_CERT_IN_CHAIN') }), /unknown authority \(SELF_SIGNED_CERT_IN_CHAIN\)/],
    [err('UND_ERR_ABORTED', 'Proxy response (403) !== 200 when HTTP Tunneling'), /^proxy: Proxy response \(403\)/],
  ])('%s', (e, want) => expect(describeNetworkError(e, 700).cause).toMatch(want));
});

describe('proxyNote', () => {
  it('names the proxy variable that applies to the scheme, without user info, and NO_PROXY', () => {
    expect(proxyNote('http://gw', {})).toBe('');
    expect(proxyNote('http://gw', { HTTPS_PROXY: 'http://p:1' })).toBe('');
    expect(proxyNote('https://gw', { HTTP_PROXY: 'http://u:secret@p:1', NO_PROXY: 'x' })).toBe(' (proxy from the environment: HTTP_PROXY=http://p:1, NO_PROXY=x)');
    expect(proxyNote('https://gw', { https_proxy: 'http://q:2', HTTP_PROXY: 'http://p:1' })).toBe(' (proxy from the environment: https_proxy=http://q:2)');
  });
});

describe('readCaFile', () => {
  it('reads one or more PEM certificates; anything else is a USAGE error', async () => {
    const ca = makePrivateCa();
    const other = makePrivateCa();
    cleanups.push(() => ca.cleanup(), () => other.cleanup());
    expect(readCaFile(ca.caCertPath)).toHaveLength(1);
    const fs = await import('node:fs');
    const both = `${ca.dir}/both.pem`;
    fs.writeFileSync(both, `# bundle\n${ca.caCert}\n${other.caCert}`);
    expect(readCaFile(both)).toHaveLength(2);
    const bad = `${ca.dir}/bad.pem`;
    fs.writeFileSync(bad, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    for (const [file, msg] of [[`${ca.dir}/missing.pem`, /ENOENT/], [ca.dir, /not a file/], [ca.keyPath, /no PEM certificate/], [bad, /does not parse/]] as const) {
      expect(() => readCaFile(file)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(msg) }));
    }
    const roots = trustedRoots([ca.caCert]);
    expect(roots.length).toBeGreaterThan(10);
    expect(roots.at(-1)).toBe(ca.caCert);
  });
});
