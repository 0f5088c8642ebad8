/**
 * Keeps secrets out of anything written down (logs first): a secret is replaced by its fingerprint
 * (fingerprint.ts), never shown, never partly shown. Over-redaction is acceptable, a leak is not.
 *
 * In every string, in this order (f first, so a secret-named value gets the fingerprint a report shows):
 *   (a) each registered secret value (the policy's credential values; at least 4 characters — shorter
 *       values would fingerprint ordinary words),
 *   (b) user info in URLs: https://user:pass@host → https://fp:…@host,
 *   (c) header values: x-api-key, x-bf-vk, api-key, x-auth-token, authorization, proxy-authorization,
 *       cookie, set-cookie (`name: v` or `name=v`; an auth scheme word is kept: `Bearer fp:…`),
 *   (d) `Bearer <token>` anywhere,
 *   (e) `sk-…` keys (sk- and at least 8 of [A-Za-z0-9_-]),
 *   (f) `NAME=value` (value bare or quoted) and `"NAME": "value"` where NAME looks secret
 *       (fingerprint.ts isSecretKey): env assignments, query strings, JSON text; the whole value.
 * In structured values (log meta), recursively: strings as above; under a key that looks secret every
 * string is fingerprinted whole (numbers and booleans are kept; `keys`, a list of setting names, is
 * exempt); Errors become { name, message, stack, code, cause }; cycles and very deep nesting are cut.
 * The result is JSON-safe.
 */
import { fingerprint, isSecretKey } from './fingerprint.js';

export interface Redactor {
  /** Register secret values (cumulative; shorter than 4 characters: ignored). */
  addSecrets(values: readonly string[]): void;
  /** A string with every secret replaced by its fingerprint. */
  text(s: string): string;
  /** A JSON-safe deep copy of `v` with every secret replaced by its fingerprint. */
  value(v: unknown): unknown;
}

const MIN_SECRET = 4;
/**
 * Meta keys that match isSecretKey but hold names, not values: `keys` (which setting keys a finding is
 * about — the evidence of a contested file). Their strings still go through the text rules.
 */
// `keyId` names a public signing key (ccfleet policy keygen prints it): shown as is, never a secret.
const NOT_SECRET_KEYS = new Set(['keys', 'keyId']);
const secretKey = (k: string): boolean => isSecretKey(k) && !NOT_SECRET_KEYS.has(k);
const MAX_DEPTH = 12;

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]+)@/gi;
const HEADER = /\b(x-api-key|x-bf-vk|api-key|x-auth-token|proxy-authorization|authorization|set-cookie|cookie)(\s*[:=]\s*)(?:(Bearer|Basic|Token|Digest)\s+)?([^\s"',;]+)/gi;
const BEARER = /\b(Bearer\s+)([A-Za-z0-9._~+/=-]{4,})/gi;
const SK = /\bsk-[A-Za-z0-9_-]{8,}/g;
const ASSIGN = /\b([A-Za-z_][A-Za-z0-9_.-]*)=(?:"([^"]*)"|'([^']*)'|([^\s&"',;]+))/g;
const JSON_PAIR = /"([^"\\]{1,128})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;

const isFp = (s: string): boolean => s.startsWith('fp:');

/** Rule (f): a secret-named assignment or JSON member, its whole value (as reports fingerprint it). */
function redactNamed(s: string): string {
  return s
    .replace(ASSIGN, (m, name: string, dq: string | undefined, sq: string | undefined, bare: string | undefined) => {
      const v = dq ?? sq ?? bare ?? '';
      if (!isSecretKey(name) || v === '' || isFp(v)) return m;
      return dq !== undefined ? `${name}="${fingerprint(v)}"` : sq !== undefined ? `${name}='${fingerprint(v)}'` : `${name}=${fingerprint(v)}`;
    })
    .replace(JSON_PAIR, (m, name: string, sep: string, v: string) => (isSecretKey(name) && v !== '' && !isFp(v) ? `"${name}"${sep}"${fingerprint(v)}"` : m));
}

/** Rules (b)-(e). */
function redactPatterns(s: string): string {
  return s
    .replace(URL_USERINFO, (_m, scheme: string, info: string) => `${scheme}${fingerprint(info)}@`)
    .replace(HEADER, (m, name: string, sep: string, scheme: string | undefined, v: string) =>
      isFp(v) ? m : `${name}${sep}${scheme === undefined ? '' : `${scheme} `}${fingerprint(v)}`)
    .replace(BEARER, (m, b: string, v: string) => (isFp(v) ? m : `${b}${fingerprint(v)}`))
    .replace(SK, (m) => fingerprint(m));
}

export function createRedactor(): Redactor {
  /** Longest first, so a secret containing another is replaced whole. */
  let secrets: string[] = [];

  const text = (s: string): string => {
    let out = redactNamed(s);
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(fingerprint(secret));
    return redactPatterns(out);
  };

  const walk = (v: unknown, secret: boolean, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof v === 'string') return secret ? fingerprint(v) : text(v);
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (typeof v === 'boolean' || v === null || v === undefined) return v;
    if (typeof v === 'bigint') return secret ? fingerprint(v.toString()) : v.toString();
    if (typeof v !== 'object') return `[${typeof v}]`;
    if (seen.has(v)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[too deep]';
    seen.add(v);
    try {
      const child = (x: unknown, s = secret): unknown => walk(x, s, depth + 1, seen);
      if (v instanceof Error) {
        const code = (v as { code?: unknown }).code;
        return {
          name: v.name, message: child(v.message), ...(v.stack === undefined ? {} : { stack: child(v.stack) }),
          ...(code === undefined ? {} : { code: child(code) }), ...(v.cause === undefined ? {} : { cause: child(v.cause) }),
        };
      }
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
      if (ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`;
      if (Array.isArray(v)) return v.map((x) => child(x));
      if (v instanceof Set) return [...v].map((x) => child(x));
      const entries: Array<[unknown, unknown]> = v instanceof Map ? [...v.entries()] : Object.entries(v);
      const out: Record<string, unknown> = {};
      for (const [k, x] of entries) {
        const key = String(k);
        const shown = secret ? key : text(key);
        out[shown] = child(x, secret || secretKey(key));
      }
      return out;
    } finally {
      seen.delete(v);
    }
  };

  return {
    addSecrets(values) {
      const all = new Set(secrets);
      for (const v of values) if (typeof v === 'string' && v.length >= MIN_SECRET) all.add(v);
      secrets = [...all].sort((a, b) => b.length - a.length);
    },
    text,
    value: (v) => walk(v, false, 0, new WeakSet()),
  };
}
