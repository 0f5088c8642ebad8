/**
 * A policy host for the daemon tests: a real HTTP server on 127.0.0.1 port 0 serving whatever the test
 * sets — policy bytes, a signature in the `ccfleet-signature` header or at `<path>.sig`, or neither — with
 * ETag / If-None-Match (304). `close()` makes it unreachable (connection refused on that port).
 */
import http from 'node:http';
import type net from 'node:net';
import { createHash } from 'node:crypto';
import { encodeSignatureHeader, serializeSignatureDoc, signPolicy, type SignatureDoc } from '../../../src/agent/policy-signing.js';

export interface Served {
  body: Buffer;
  /** Where the signature travels: the response header, `<path>.sig`, or nowhere. */
  sig: { doc: SignatureDoc; via: 'header' | 'file' } | null;
}

export interface PolicyServer {
  /** `http://127.0.0.1:<port>/policy.jsonc` */
  url: string;
  serve(s: Served): void;
  /** Requests seen for the policy path (the `.sig` ones not counted). */
  hits(): number;
  close(): Promise<void>;
}

export async function startPolicyServer(): Promise<PolicyServer> {
  let served: Served | null = null;
  let hits = 0;
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    if (served === null) return void res.writeHead(404).end();
    if (p === '/policy.jsonc.sig') {
      if (served.sig?.via !== 'file') return void res.writeHead(404).end();
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(serializeSignatureDoc(served.sig.doc));
    }
    if (p !== '/policy.jsonc') return void res.writeHead(404).end();
    hits++;
    const etag = `"${createHash('sha256').update(served.body).update(JSON.stringify(served.sig)).digest('hex').slice(0, 16)}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    const headers: Record<string, string> = { 'content-type': 'application/jsonc', etag };
    if (served.sig?.via === 'header') headers['ccfleet-signature'] = encodeSignatureHeader(served.sig.doc);
    res.writeHead(200, headers).end(served.body);
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/policy.jsonc`,
    serve: (s) => void (served = s),
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        if (!server.listening) return r();
        server.close(() => r());
        for (const s of sockets) s.destroy(); // keep-alive connections would keep answering
      }),
  };
}

/** Text → bytes + a signature by `privateKeyPem` over exactly those bytes. */
export function signed(text: string, privateKeyPem: string, via: 'header' | 'file' = 'header'): Served {
  const body = Buffer.from(text, 'utf8');
  return { body, sig: { doc: signPolicy(body, privateKeyPem), via } };
}
