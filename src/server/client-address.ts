/**
 * Who is on the other end of a request, and did the browser come over HTTPS — believing a reverse proxy's
 * X-Forwarded-For / X-Forwarded-Proto only when the connection comes from an address in the trusted list.
 *
 *   const trust = trustedProxies(['10.0.0.0/8', '::1']);     // --trust-proxy; [] (the default): trust none
 *   clientOf(req, trust) → { ip: '203.0.113.7', https: true, viaProxy: true }
 *
 * - Without a trusted peer, `ip` is the socket's address and `https` is whether this server did the TLS;
 *   forwarded headers are ignored (anyone can send them). Loopback is trusted only when listed.
 * - From a trusted peer: `ip` is the right-most X-Forwarded-For entry that is not itself a trusted proxy
 *   (each proxy appends the address it saw; entries further left are the client's own claims), or the
 *   left-most when all are trusted, or the peer when the header is missing or unreadable. `https` is true
 *   when this server did TLS or the first X-Forwarded-Proto value is `https` (the proxy facing browsers).
 * IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are written as IPv4.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface ClientInfo {
  /** The client's address (as above); '' when the socket has none (closed). */
  ip: string;
  /** The browser reached us over HTTPS (this server's TLS, or a trusted proxy's X-Forwarded-Proto). */
  https: boolean;
  /** The peer is a trusted proxy (its forwarded headers were used). */
  viaProxy: boolean;
}

export interface TrustedProxies {
  /** The list as given (for logs). */
  readonly entries: readonly string[];
  has(ip: string): boolean;
}

/** Parses `<address>[/<prefix>]` entries (IPv4 or IPv6); throws RangeError naming the first bad one. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const raw of entries) {
    const e = raw.trim();
    const slash = e.indexOf('/');
    const addr = plainIp(slash < 0 ? e : e.slice(0, slash));
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    const prefix = slash < 0 ? max : /^\d{1,3}$/.test(e.slice(slash + 1)) ? Number(e.slice(slash + 1)) : -1;
    if (family === 0 || prefix < 0 || prefix > max) throw new RangeError(`"${raw}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, 127.0.0.1, ::1, fd00::/8)`);
    list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  const frozen = [...entries];
  return {
    entries: frozen,
    has: (ip) => {
      const family = isIP(ip);
      return frozen.length > 0 && family !== 0 && list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

export const NO_PROXIES: TrustedProxies = trustedProxies([]);

/** `::ffff:a.b.c.d` → `a.b.c.d`; a zone (`fe80::1%eth0`) removed; anything else as is. */
export function plainIp(ip: string): string {
  const z = ip.indexOf('%');
  const s = z < 0 ? ip : ip.slice(0, z);
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(s) ? s.slice(7) : s;
}

export function clientOf(req: IncomingMessage, trust: TrustedProxies): ClientInfo {
  const peer = plainIp(req.socket?.remoteAddress ?? '');
  const tls = (req.socket as TLSSocket | undefined)?.encrypted === true;
  if (!trust.has(peer)) return { ip: peer, https: tls, viaProxy: false };
  return { ip: forwardedFor(req, trust) ?? peer, https: tls || forwardedProto(req) === 'https', viaProxy: true };
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

function forwardedFor(req: IncomingMessage, trust: TrustedProxies): string | null {
  const h = headerText(req.headers['x-forwarded-for']);
  if (h === undefined || h.length > 4096) return null;
  const hops = h.split(',').map((x) => plainIp(stripPort(x.trim())));
  if (hops.some((x) => isIP(x) === 0)) return null;
  for (let i = hops.length - 1; i >= 0; i--) if (!trust.has(hops[i]!)) return hops[i]!;
  return hops[0] ?? null;
}

/** `1.2.3.4:5678` → `1.2.3.4`, `[::1]:80` → `::1` (some proxies add the port). */
function stripPort(x: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(x);
  if (v6) return v6[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(x);
  return v4 ? v4[1]! : x;
}

function forwardedProto(req: IncomingMessage): string | null {
  const h = headerText(req.headers['x-forwarded-proto']);
  return h === undefined ? null : (h.split(',')[0] ?? '').trim().toLowerCase();
}

/**
 * The key a per-client limit counts under: the IPv4 address, or the IPv6 /64 (one subscriber usually holds
 * a whole /64, so counting single IPv6 addresses would let one client rotate through millions).
 */
export function clientKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
