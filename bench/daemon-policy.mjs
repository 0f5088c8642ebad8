// Helpers of bench/daemon.mjs: a policy server (http, or https with a throw-away self-signed certificate)
// that serves a signed policy with an ETag and the ccfleet-signature header and answers If-None-Match with
// 304, counting the bytes of every connection on the wire (the TCP socket's bytesRead / bytesWritten: the
// request and the response, TLS records included for https).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

/** A self-signed P-256 certificate for 127.0.0.1 (openssl), or null when openssl is not there. */
export function selfSignedCert(dir) {
  const key = path.join(dir, 'tls-key.pem');
  const cert = path.join(dir, 'tls-cert.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    return { key: fs.readFileSync(key), cert: fs.readFileSync(cert), certFile: cert };
  } catch {
    return null;
  }
}

/**
 * Serves `GET /v1/policy`. `publish(bytes, signatureHeader)` changes what is served (and the ETag).
 * `connections` lists every closed connection: { bytesIn, bytesOut, statuses, ms }.
 */
export async function startPolicyServer({ tls = null } = {}) {
  let current = null;
  const connections = [];
  const waiters = [];
  const byPort = new Map(); // client port → the statuses answered on that connection
  const heads = {}; // status → the first request answered with it, as header lines
  const note = (req, status) => {
    byPort.get(req.socket.remotePort)?.push(status);
    heads[status] ??= [`${req.method} ${req.url} HTTP/${req.httpVersion}`, ...req.rawHeaders.flatMap((v, i, all) => (i % 2 === 0 ? [`${v}: ${all[i + 1]}`] : []))];
  };
  const handler = (req, res) => {
    if (req.url !== '/v1/policy' || current === null) {
      note(req, 404);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not-found","message":"no such route"}}');
      return;
    }
    if (req.headers['if-none-match'] === current.etag) {
      note(req, 304);
      res.writeHead(304, { etag: current.etag, 'cache-control': 'no-cache' }).end();
      return;
    }
    note(req, 200);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': current.bytes.length, etag: current.etag, 'cache-control': 'no-cache', 'ccfleet-signature': current.signature }).end(current.bytes);
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  // `Keep-Alive: timeout=1`: the agent ends each connection after its answer, as its own 2-s keep-alive does
  // between real refreshes (5 minutes apart); here they are 2 s apart. So: one new connection per refresh.
  server.keepAliveTimeout = 1_000;
  // 'connection' hands over the TCP socket itself (under TLS too): its counters are the bytes on the wire.
  server.on('connection', (socket) => {
    const t0 = performance.now();
    const port = socket.remotePort;
    const statuses = [];
    byPort.set(port, statuses);
    socket.on('close', () => {
      byPort.delete(port);
      const c = { bytesIn: socket.bytesRead, bytesOut: socket.bytesWritten, statuses, ms: Math.round(performance.now() - t0) };
      connections.push(c);
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/v1/policy`,
    connections,
    heads,
    publish(bytes, signature) {
      current = { bytes, signature, etag: `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"` };
    },
    /** Resolves once `n` connections in all have closed. */
    async until(n, timeoutMs = 30_000) {
      const deadline = performance.now() + timeoutMs;
      while (connections.length < n) {
        if (performance.now() > deadline) throw new Error(`policy server: ${connections.length} of ${n} connections within ${timeoutMs} ms`);
        await new Promise((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
    close: () => new Promise((r) => server.close(() => r()) && server.closeAllConnections?.()),
  };
}
