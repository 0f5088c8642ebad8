/**
 * `ccfleet server` options: each flag, else its environment variable `CCFLEET_<NAME>` (dashes become
 * underscores: --admin-token → CCFLEET_ADMIN_TOKEN), else the default. Admin tokens and enrolment secrets
 * may be several: repeat the flag, or separate them with commas. A bad value is a USAGE error (exit 2)
 * naming the flag or the variable it came from. Nothing is read or opened here.
 */
import path from 'node:path';
import { CcfleetError } from '../../core/errors.js';
import type { LogLevel } from '../../agent/log.js';
import type { CommonOptions } from '../args.js';
import { trustedProxies } from '../../server/client-address.js';

export interface ServerConfig {
  host: string;
  port: number;
  /** SQLite file, `:memory:`, or postgres://… */
  store: string;
  adminTokens: string[];
  enrollSecrets: string[];
  policy: { kind: 'file'; file: string; signingKey?: string } | { kind: 'dir'; dir: string } | null;
  allowUnsigned: boolean;
  tls: { cert: string; key: string } | null;
  historyDays: number;
  staleHours: number;
  rate: { perMinute: number; burst: number } | null;
  /** Secure on the dashboard cookie: auto (HTTPS here or at a trusted proxy), always, never. */
  cookieSecure: 'auto' | 'always' | 'never';
  /** Reverse proxies (addresses / CIDR ranges) whose X-Forwarded-* headers are believed. */
  trustProxy: string[];
  logLevel: LogLevel;
  /** Warnings to log at start (weak secrets…). */
  warnings: string[];
}

export const SERVER_DEFAULTS = { listen: '127.0.0.1:8787', dataDir: 'ccfleet-data', historyDays: 90, staleHours: 24, rate: '60/20' } as const;

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
const COOKIE_MODES: ReadonlyArray<ServerConfig['cookieSecure']> = ['auto', 'always', 'never'];

type Env = Readonly<Record<string, string | undefined>>;

export function serverConfig(opts: CommonOptions, extra: Record<string, unknown>, env: Env): ServerConfig {
  const warnings: string[] = [];
  /** The flag's value, else the variable's (empty counts as unset), with where it came from. */
  const get = (flag: string, value: unknown): { value: string; from: string } | null => {
    if (typeof value === 'string') {
      if (value === '') throw usage(`--${flag}`, 'needs a non-empty value');
      return { value, from: `--${flag}` };
    }
    const name = envName(flag);
    const v = env[name];
    return v === undefined || v === '' ? null : { value: v, from: name };
  };
  const list = (flag: string): { values: string[]; from: string } => {
    const given = extra[flag] as string[] | undefined;
    const from = given?.length ? `--${flag}` : envName(flag);
    const raw = given?.length ? given : env[envName(flag)] !== undefined ? [env[envName(flag)]!] : [];
    const values = raw.flatMap((r) => r.split(',')).map((v) => v.trim());
    if (values.some((v) => v === '')) throw usage(from, 'has an empty value (a stray comma?)');
    return { values: [...new Set(values)], from };
  };

  const listen = get('listen', extra.listen) ?? { value: SERVER_DEFAULTS.listen, from: '--listen' };
  const { host, port } = parseListen(listen.value, listen.from);

  const dataDir = get('data-dir', extra['data-dir'])?.value ?? SERVER_DEFAULTS.dataDir;
  const store = get('store', extra.store)?.value ?? path.join(dataDir, 'ccfleet.sqlite');

  const admin = list('admin-token');
  if (admin.values.length === 0) throw usage('--admin-token', `is required (or ${envName('admin-token')}): the token admins and dashboards use`);
  const enroll = list('enroll-secret');
  if (enroll.values.length === 0) throw usage('--enroll-secret', `is required (or ${envName('enroll-secret')}): the secret agents exchange for a device token`);
  for (const [what, l] of [['an admin token', admin], ['an enrolment secret', enroll]] as const) {
    if (l.values.some((v) => v.length < 16)) warnings.push(`${l.from}: ${what} is shorter than 16 characters; use a long random value (openssl rand -base64 32)`);
  }
  if (admin.values.some((a) => enroll.values.includes(a))) throw usage('--admin-token', 'must differ from every enrolment secret (agents hold the enrolment secret)');

  const policyFile = get('policy', opts.policy);
  const signingKey = get('signing-key', extra['signing-key']);
  const policyDir = get('policy-dir', extra['policy-dir']);
  if (policyFile && policyDir) throw usage('--policy', `and --policy-dir exclude each other (${policyFile.from}, ${policyDir.from})`);
  if (signingKey && !policyFile) throw usage(signingKey.from, policyDir ? 'does not apply to --policy-dir (its policies are signed already: <name>.json.sig)' : 'needs --policy <file> (the policy to sign)');
  if (policyFile && /^https?:\/\//i.test(policyFile.value)) throw usage(policyFile.from, 'must be a file for the server (it serves the policy itself)');
  const policy: ServerConfig['policy'] = policyFile
    ? { kind: 'file', file: path.resolve(policyFile.value), ...(signingKey ? { signingKey: path.resolve(signingKey.value) } : {}) }
    : policyDir
      ? { kind: 'dir', dir: path.resolve(policyDir.value) }
      : null;

  const cert = get('tls-cert', extra['tls-cert']);
  const key = get('tls-key', extra['tls-key']);
  if ((cert === null) !== (key === null)) throw usage(cert ? '--tls-key' : '--tls-cert', `is needed with ${cert ? cert.from : key!.from} (both or neither)`);

  const historyDays = wholeNumber(get('history-days', extra['history-days']), SERVER_DEFAULTS.historyDays, 0, 36_500, 'days (0 keeps history forever)');
  const staleRaw = get('stale-hours', extra['stale-hours']);
  const staleHours = staleRaw === null ? SERVER_DEFAULTS.staleHours : Number(staleRaw.value);
  if (staleRaw !== null && (!/^\d+(\.\d+)?$/.test(staleRaw.value) || !(staleHours > 0) || staleHours > 87_600)) throw usage(staleRaw.from, `must be a number of hours above 0 (at most 87600), got "${staleRaw.value}"`);

  const rate = parseRate(get('rate-limit', extra['rate-limit']) ?? { value: SERVER_DEFAULTS.rate, from: '--rate-limit' });
  const level = get('log-level', extra['log-level']);
  if (level && !LEVELS.includes(level.value as LogLevel)) throw usage(level.from, `must be one of ${LEVELS.join(', ')}`);
  const cookie = get('cookie-secure', extra['cookie-secure']);
  if (cookie && !COOKIE_MODES.includes(cookie.value as ServerConfig['cookieSecure'])) throw usage(cookie.from, `must be one of ${COOKIE_MODES.join(', ')}, got "${cookie.value}"`);
  const trust = list('trust-proxy');
  try {
    trustedProxies(trust.values);
  } catch (e) {
    throw usage(trust.from, (e as Error).message);
  }
  const unsigned = extra['allow-unsigned'] === true || /^(1|true|yes)$/i.test(env[envName('allow-unsigned')] ?? '');

  return {
    host,
    port,
    store,
    adminTokens: admin.values,
    enrollSecrets: enroll.values,
    policy,
    allowUnsigned: unsigned,
    tls: cert && key ? { cert: path.resolve(cert.value), key: path.resolve(key.value) } : null,
    historyDays,
    staleHours,
    rate,
    cookieSecure: (cookie?.value as ServerConfig['cookieSecure'] | undefined) ?? 'auto',
    trustProxy: trust.values,
    logLevel: (level?.value as LogLevel | undefined) ?? 'info',
    warnings,
  };
}

export const envName = (flag: string): string => `CCFLEET_${flag.toUpperCase().replace(/-/g, '_')}`;

/** `host:port` or `[ipv6]:port`; port 0–65535 (0: any free port). */
export function parseListen(v: string, from: string): { host: string; port: number } {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(v) ?? /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65_535) throw usage(from, `must be <host>:<port> (e.g. 127.0.0.1:8787, 0.0.0.0:8787, [::1]:0), got "${v}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** `<per minute>/<burst>`, `<per minute>` (burst = a third, at least 1), or 0 / off (no limit). */
export function parseRate(r: { value: string; from: string }): { perMinute: number; burst: number } | null {
  if (r.value === '0' || r.value.toLowerCase() === 'off') return null;
  const m = /^(\d{1,7})(?:\/(\d{1,7}))?$/.exec(r.value);
  const perMinute = Number(m?.[1]);
  const burst = m?.[2] !== undefined ? Number(m[2]) : Math.max(1, Math.round(perMinute / 3));
  if (!m || perMinute < 1 || burst < 1) throw usage(r.from, `must be <requests per minute>[/<burst>] per device (e.g. 60/20), or off; got "${r.value}"`);
  return { perMinute, burst };
}

function wholeNumber(v: { value: string; from: string } | null, dflt: number, min: number, max: number, what: string): number {
  if (v === null) return dflt;
  if (!/^\d{1,9}$/.test(v.value) || Number(v.value) < min || Number(v.value) > max) throw usage(v.from, `must be a whole number of ${what} from ${min} to ${max}, got "${v.value}"`);
  return Number(v.value);
}

const usage = (from: string, what: string): CcfleetError => new CcfleetError('USAGE', `${from} ${what} (see ccfleet server --help)`);
