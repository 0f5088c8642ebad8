// Small pieces of the server: the raw-secret scan, ETag matching, the per-key rate limiter, admin tokens and
// sessions, and the server command's options (flags, CCFLEET_* variables, defaults, refusals).
import { describe, expect, it } from 'vitest';
import { createAdminAuth, hashSecret, matchesAny } from '../../src/server/admin-auth.js';
import { hasRawSecret, rawSecretPrefilterActive, reportHasRawSecret } from '../../src/server/raw-secret.js';
import { RateLimiter, perMinute } from '../../src/server/rate-limit.js';
import { etagMatches } from '../../src/server/routes/policy.js';
import { serverConfig, parseListen } from '../../src/cli/commands/server-options.js';
import type { CommonOptions } from '../../src/cli/args.js';

describe('raw secrets', () => {
  it('finds keys and bearer tokens where a key can start, not inside words', () => {
    expect(hasRawSecret('"sk-ant-api03-abcdefghijklmnop"')).toBe(true);
    expect(hasRawSecret('ANTHROPIC_API_KEY=sk-bf-0123456789abcdef')).toBe(true);
    expect(hasRawSecret('x-bf-vk: sk-bf-0123456789abcdefXYZ')).toBe(true);
    expect(hasRawSecret('sk-0123456789abcdefgh at the start')).toBe(true);
    expect(hasRawSecret('Authorization: Bearer abcdefghijklmnop.qrs')).toBe(true);
    expect(hasRawSecret('/home/ana/desk-organizer-project-abc')).toBe(false);
    expect(hasRawSecret('/home/ana/desk-organizer-project-abc and sk-realkey0123456789abcd')).toBe(true);
    expect(hasRawSecret('sk-short')).toBe(false);
    expect(hasRawSecret('fp:0123456789ab')).toBe(false);
    expect(hasRawSecret('Bearer short')).toBe(false);
  });

  it('uses the fast substring prefilter (RAW_SECRET changed? update KNOWN_SOURCE in src/server/raw-secret.ts)', () => {
    expect(rawSecretPrefilterActive()).toBe(true);
  });

  it('looks through JSON escapes', () => {
    const text = '{"a":"\\u0073k-ant-0123456789abcdefgh"}';
    expect(hasRawSecret(text)).toBe(false);
    expect(reportHasRawSecret(text, JSON.parse(text))).toBe(true);
    const tab = '{"a":"Bearer\\tabcdefghijklmnopqrstu"}';
    expect(reportHasRawSecret(tab, JSON.parse(tab))).toBe(true);
    const key = '{"sk-ant-0123456789abcdefgh\\n":1}';
    expect(reportHasRawSecret(key, JSON.parse(key))).toBe(true);
    const path = '{"p":"C:\\\\Users\\\\ana\\\\new"}';
    expect(reportHasRawSecret(path, JSON.parse(path))).toBe(false);
  });
});

describe('etagMatches', () => {
  it('follows RFC 9110 weak comparison over lists and *', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc"', '"abc"')).toBe(true);
    expect(etagMatches('"x", W/"abc" ', '"abc"')).toBe(true);
    expect(etagMatches('*', '"abc"')).toBe(true);
    expect(etagMatches('"abcd"', '"abc"')).toBe(false);
    expect(etagMatches('abc', '"abc"')).toBe(false);
    expect(etagMatches('', '"abc"')).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('allows the burst, then one per refill interval, per key; forgets full buckets', () => {
    const l = new RateLimiter(perMinute(60, 3));
    const t = 1_000_000;
    expect([l.take('a', t), l.take('a', t), l.take('a', t)]).toEqual([0, 0, 0]);
    expect(l.take('a', t)).toBe(1000);
    expect(l.take('b', t)).toBe(0);
    expect(l.take('a', t + 400)).toBe(600);
    expect(l.take('a', t + 1000)).toBe(0);
    l.sweep(t + 2000);
    expect(l.size).toBe(2);
    l.sweep(t + 4000);
    expect(l.size).toBe(0);
  });
});

describe('admin auth', () => {
  it('compares against every hash; sessions expire and depend on the token set', () => {
    const h = [hashSecret('one'), hashSecret('two')];
    expect(matchesAny(hashSecret('two'), h)).toBe(true);
    expect(matchesAny(hashSecret('three'), h)).toBe(false);
    let now = 1_700_000_000_000;
    const a = createAdminAuth({ tokenHashes: h, nowMs: () => now, ttlSeconds: 60 });
    const b = createAdminAuth({ tokenHashes: [hashSecret('one')], nowMs: () => now, ttlSeconds: 60 });
    const same = createAdminAuth({ tokenHashes: [h[1]!, h[0]!], nowMs: () => now });
    const v = a.newSession();
    expect(a.verifySession(v)).toBe(true);
    expect(same.verifySession(v)).toBe(true);
    expect(b.verifySession(v)).toBe(false);
    expect(a.verifySession(`${v}x`)).toBe(false);
    expect(a.verifySession('v1.99999999999.' + 'A'.repeat(43))).toBe(false);
    now += 61_000;
    expect(a.verifySession(v)).toBe(false);
    expect(createAdminAuth({ tokenHashes: [], nowMs: () => now }).checkToken('')).toBe(false);
    expect(() => createAdminAuth({ tokenHashes: [Buffer.from('short')], nowMs: () => now })).toThrow(TypeError);
  });
});

describe('server options', () => {
  const opts = (o: Partial<CommonOptions> = {}): CommonOptions => ({ users: [], json: false, dryRun: false, help: false, ...o });
  const base = { 'admin-token': ['admin-token-0123456789'], 'enroll-secret': ['enroll-secret-0123456789'] };

  it('has defaults, and takes CCFLEET_* variables when a flag is absent', () => {
    const d = serverConfig(opts(), base, {});
    expect(d).toMatchObject({ host: '127.0.0.1', port: 8787, store: 'ccfleet-data/ccfleet.sqlite', historyDays: 90, staleHours: 24, rate: { perMinute: 60, burst: 20 }, policy: null, tls: null, allowUnsigned: false, warnings: [] });
    const e = serverConfig(opts(), {}, {
      CCFLEET_LISTEN: '[::1]:0', CCFLEET_DATA_DIR: '/srv/x', CCFLEET_ADMIN_TOKEN: 'a-0123456789abcdef, b-0123456789abcdef', CCFLEET_ENROLL_SECRET: 'e-0123456789abcdef',
      CCFLEET_HISTORY_DAYS: '0', CCFLEET_STALE_HOURS: '1.5', CCFLEET_RATE_LIMIT: 'off', CCFLEET_ALLOW_UNSIGNED: 'true', CCFLEET_POLICY: '/etc/p.jsonc', CCFLEET_SIGNING_KEY: '/etc/k.pem',
    });
    expect(e).toMatchObject({ host: '::1', port: 0, store: '/srv/x/ccfleet.sqlite', adminTokens: ['a-0123456789abcdef', 'b-0123456789abcdef'], historyDays: 0, staleHours: 1.5, rate: null, allowUnsigned: true, policy: { kind: 'file', file: '/etc/p.jsonc', signingKey: '/etc/k.pem' } });
    expect(serverConfig(opts({ policy: '/p.json' }), { ...base, listen: '0.0.0.0:9000', 'rate-limit': '30' }, { CCFLEET_LISTEN: 'bad', CCFLEET_POLICY: '/other' })).toMatchObject({ host: '0.0.0.0', port: 9000, rate: { perMinute: 30, burst: 10 }, policy: { kind: 'file', file: '/p.json' } });
  });

  it('--cookie-secure (auto by default) and --trust-proxy (none by default; CIDR lists, comma-separated or repeated)', () => {
    expect(serverConfig(opts(), base, {})).toMatchObject({ cookieSecure: 'auto', trustProxy: [] });
    expect(serverConfig(opts(), { ...base, 'cookie-secure': 'always', 'trust-proxy': ['10.0.0.0/8, ::1', '127.0.0.1'] }, {})).toMatchObject({ cookieSecure: 'always', trustProxy: ['10.0.0.0/8', '::1', '127.0.0.1'] });
    expect(serverConfig(opts(), base, { CCFLEET_COOKIE_SECURE: 'never', CCFLEET_TRUST_PROXY: '192.168.0.0/16' })).toMatchObject({ cookieSecure: 'never', trustProxy: ['192.168.0.0/16'] });
    expect(() => serverConfig(opts(), { ...base, 'cookie-secure': 'yes' }, {})).toThrow(/--cookie-secure must be one of auto, always, never/);
    expect(() => serverConfig(opts(), base, { CCFLEET_TRUST_PROXY: '10.0.0.0/40' })).toThrow(/CCFLEET_TRUST_PROXY "10.0.0.0\/40" is not an IP address or CIDR range/);
    expect(() => serverConfig(opts(), { ...base, 'trust-proxy': ['proxy.internal'] }, {})).toThrow(/--trust-proxy "proxy.internal"/);
  });

  it('warns about short secrets and refuses what cannot work', () => {
    expect(serverConfig(opts(), { 'admin-token': ['short'], 'enroll-secret': ['s2,s3'] }, {}).warnings).toHaveLength(2);
    expect(() => serverConfig(opts(), { ...base, 'admin-token': ['a,,b'] }, {})).toThrow(/--admin-token has an empty value/);
    expect(() => serverConfig(opts({ policy: 'https://x/p.json' }), base, {})).toThrow(/--policy must be a file/);
    expect(() => serverConfig(opts(), { ...base, 'signing-key': 'k', 'policy-dir': 'd' }, {})).toThrow(/does not apply to --policy-dir/);
    expect(() => serverConfig(opts(), base, { CCFLEET_TLS_KEY: 'k.pem' })).toThrow(/--tls-cert is needed with CCFLEET_TLS_KEY/);
    expect(() => serverConfig(opts(), { ...base, listen: '' }, {})).toThrow(/--listen needs a non-empty value/);
    for (const bad of ['host', 'host:', ':80', 'a:b', '1.2.3.4:65536', '[zz]:1', 'a b:1']) expect(() => parseListen(bad, '--listen'), bad).toThrow(/--listen must be/);
  });
});
