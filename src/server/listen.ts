/**
 * The listening socket: plain HTTP, or HTTPS with a certificate and key (PEM). `listen` resolves once the
 * server accepts connections, with the URL to print. `close(graceMs)` stops accepting, closes idle
 * keep-alive connections, lets requests in flight finish (the app's `drain()` makes their answers close
 * their connections), and after `graceMs` cuts whatever is still open.
 * Timeouts: headers within 20 s, a whole request within 60 s, keep-alive 65 s (longer than the usual load
 * balancer idle timeout of 60 s, so the balancer closes first).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { CcfleetError } from '../core/errors.js';

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
}

export interface Listening {
  url: string;
  port: number;
  server: http.Server;
  close(graceMs?: number): Promise<void>;
}

export function listen(handler: http.RequestListener, o: ListenOptions): Promise<Listening> {
  let server: http.Server;
  try {
    server = o.tls ? https.createServer({ cert: o.tls.cert, key: o.tls.key }, handler) : http.createServer(handler);
  } catch (e) {
    return Promise.reject(new CcfleetError('CONFIG_INVALID', `TLS: the certificate or key is not usable (${(e as Error).message})`));
  }
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the address is in use' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EADDRNOTAVAIL' ? 'no such local address' : e.message;
      reject(new CcfleetError('USAGE', `--listen ${hostPort(o.host, o.port)}: cannot listen (${why})`, { cause: e }));
    };
    server.once('error', onError);
    server.listen(o.port, o.host, () => {
      server.off('error', onError);
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `${o.tls ? 'https' : 'http'}://${hostPort(o.host, port)}`,
        port,
        server,
        close: (graceMs = 10_000) =>
          new Promise<void>((done) => {
            const force = setTimeout(() => server.closeAllConnections(), graceMs);
            force.unref();
            server.close(() => {
              clearTimeout(force);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/** `host:port`, with brackets around an IPv6 address. */
export const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
