/**
 * Policy refreshes over HTTPS resume the TLS session: the fetches share a dispatcher per trust
 * configuration, so the second refresh — on a new connection, the first one closed — skips the full
 * handshake (the server sees a reused session and sends no certificate chain again). Nothing stays open:
 * each connection ends after its response here, as the dispatcher's short keep-alive ends it between
 * 5-minute refreshes.
 */
import https from 'node:https';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closePolicyHttp, fetchPolicy } from '../../src/agent/policy-fetch.js';
import { makePrivateCa, type PrivateCa } from '../support/private-ca.js';

let ca: PrivateCa;
let server: https.Server;
let url: string;
/** Lets the client end the previous connection (the server asks for it: `Keep-Alive: timeout=1`). */
const closeConnections = async (): Promise<void> => {
  await new Promise((r) => setTimeout(r, 50));
  fullGc(); // minutes pass between real refreshes: a session held only weakly (undici's own cache) is gone
};
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;
const sessions: { reused: boolean; protocol: string | null }[] = [];

beforeAll(async () => {
  ca = makePrivateCa();
  server = https.createServer({ key: ca.key, cert: ca.cert }, (req, res) => {
    const body = JSON.stringify({ id: 'tls', version: 1, env: {} });
    if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
    res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(body);
  });
  server.on('secureConnection', (s: TLSSocket) => sessions.push({ reused: s.isSessionReused(), protocol: s.getProtocol() }));
  // `Keep-Alive: timeout=1`: undici ends each connection itself after the response, as its own short
  // keep-alive does between real refreshes (a server-side close would look like an error to it).
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  url = `https://127.0.0.1:${addr.port}/v1/policy`;
});

afterAll(async () => {
  await closePolicyHttp();
  await new Promise((r) => server.close(r));
  ca.cleanup();
});

describe('policy fetch over HTTPS', () => {
  it('resumes the TLS session on the next refresh', async () => {
    const o = { timeoutMs: 5_000, maxBytes: 1 << 20, wantSignature: false, ca: [ca.caCert] };
    const first = await fetchPolicy(url, o);
    expect(first.kind).toBe('fetched');
    for (let i = 0; i < 3; i++) {
      await closeConnections();
      const again = await fetchPolicy(url, { ...o, etag: '"v1"' });
      expect(again.kind).toBe('not-modified');
    }
    expect(sessions).toHaveLength(4); // a new connection each time
    expect(sessions[0]!.reused).toBe(false);
    expect(sessions.slice(1).map((s) => s.reused)).toEqual([true, true, true]);
  });

  it('a different trust configuration does not share the session cache', async () => {
    const before = sessions.length;
    await closeConnections();
    const r = await fetchPolicy(url, { timeoutMs: 4_000, maxBytes: 1 << 20, wantSignature: false, ca: [ca.caCert] });
    expect(r.kind).toBe('fetched');
    expect(sessions[before]!.reused).toBe(false);
  });
});
