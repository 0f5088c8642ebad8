/**
 * An undici connector that keeps TLS sessions between connections, strongly. undici's own session cache
 * holds them through WeakRefs, so after the first garbage collection — long before the next 5-minute
 * policy refresh — every refresh is a full handshake again (the server's whole certificate chain on the
 * wire each time). This one remembers the newest session per host:port (at most MAX_HOSTS) and offers
 * it on the next connection; a server that no longer accepts it simply does a full handshake.
 * Sessions are secrets of the connection only (not credentials): they never leave this process.
 */
import type { TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';

const MAX_HOSTS = 16;

export function sessionKeepingConnector(opts: buildConnector.BuildOptions): buildConnector.connector {
  const sessions = new Map<string, Buffer>();
  const remember = (key: string, s: Buffer): void => {
    sessions.delete(key);
    sessions.set(key, s);
    if (sessions.size > MAX_HOSTS) sessions.delete(sessions.keys().next().value!);
  };
  const plain = buildConnector({ ...opts, maxCachedSessions: 0 });
  return (o, callback) => {
    if (o.protocol !== 'https:') return plain(o, callback);
    const key = `${o.servername || o.hostname}:${o.port}`;
    const session = sessions.get(key);
    const connect = session ? buildConnector({ ...opts, maxCachedSessions: 0, session }) : plain;
    connect(o, (err, socket) => {
      if (err === null && socket) {
        const tls = socket as TLSSocket;
        const now = typeof tls.getSession === 'function' ? tls.getSession() : undefined;
        if (now) remember(key, now); // TLS 1.2: the session is known at the handshake
        tls.on('session', (s: Buffer) => remember(key, s)); // TLS 1.3: tickets arrive after it
      }
      if (err === null) callback(null, socket!);
      else callback(err, null);
    });
  };
}
