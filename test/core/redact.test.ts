/**
 * Each redaction rule on its own, then structured values: the secret never survives, its fingerprint
 * takes its place, and ordinary text is left alone.
 */
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/core/fingerprint.js';
import { createRedactor } from '../../src/core/redact.js';

const fp = fingerprint;

describe('redactor.text', () => {
  const r = createRedactor();
  r.addSecrets(['corp-gateway-key-123', 'ab', '']);

  it.each<[string, string, string]>([
    ['a registered secret', 'using corp-gateway-key-123 twice: corp-gateway-key-123', `using ${fp('corp-gateway-key-123')} twice: ${fp('corp-gateway-key-123')}`],
    ['an sk- key', 'key sk-ant-api03-AbCdEf_123-xyz rejected', `key ${fp('sk-ant-api03-AbCdEf_123-xyz')} rejected`],
    ['a bearer token', 'Authorization: Bearer eyJhbGciOi.abc.def', `Authorization: Bearer ${fp('eyJhbGciOi.abc.def')}`],
    ['a bare bearer token', 'sent bearer tok_12345678', `sent bearer ${fp('tok_12345678')}`],
    ['x-api-key', 'x-api-key: abc123def', `x-api-key: ${fp('abc123def')}`],
    ['x-bf-vk', 'headers: x-bf-vk: vk-live-9\nx-other: 1', `headers: x-bf-vk: ${fp('vk-live-9')}\nx-other: 1`],
    ['a secret-named env var, quoted: its whole value, as reports show it', 'ANTHROPIC_CUSTOM_HEADERS="x-bf-vk: vk-live-9" X=1', `ANTHROPIC_CUSTOM_HEADERS="${fp('x-bf-vk: vk-live-9')}" X=1`],
    ['URL user info', 'proxy https://alice:s3cret@proxy.corp:3128/x', `proxy https://${fp('alice:s3cret')}@proxy.corp:3128/x`],
    ['a secret env assignment', 'ANTHROPIC_AUTH_TOKEN=tok-1234 ANTHROPIC_MODEL=sonnet', `ANTHROPIC_AUTH_TOKEN=${fp('tok-1234')} ANTHROPIC_MODEL=sonnet`],
    ['a secret query parameter', 'GET /v1/policy?device=d1&api_key=qwerty99', `GET /v1/policy?device=d1&api_key=${fp('qwerty99')}`],
    ['a secret JSON member', '{"ANTHROPIC_API_KEY": "plain-value", "model": "x"}', `{"ANTHROPIC_API_KEY": "${fp('plain-value')}", "model": "x"}`],
  ])('%s', (_name, input, want) => {
    expect(r.text(input)).toBe(want);
  });

  it('leaves ordinary text alone', () => {
    const plain = 'repaired /home/ab/.claude/settings.json: removed model (was claude-x), task-runner ok, mail bob@example.com';
    expect(r.text(plain)).toBe(plain); // 'ab' is too short to be a registered secret
  });

  it('a secret containing another is replaced whole', () => {
    const q = createRedactor();
    q.addSecrets(['abcd', 'abcdefgh']);
    expect(q.text('x abcdefgh y abcd')).toBe(`x ${fp('abcdefgh')} y ${fp('abcd')}`);
  });

  it('does not fingerprint a fingerprint again', () => {
    const once = r.text('x-api-key: abc123def Bearer tokentoken');
    expect(r.text(once)).toBe(once);
  });
});

describe('redactor.value', () => {
  const r = createRedactor();
  r.addSecrets(['corp-gateway-key-123']);

  it('walks objects, arrays, Maps, Sets and Errors', () => {
    const err = new Error('upstream said corp-gateway-key-123 is invalid', { cause: new Error('sk-abcdefghijkl') });
    (err as Error & { code: string }).code = 'E_AUTH';
    const out = r.value({
      path: '/home/a/.claude/settings.json',
      nested: { list: ['ok', 'Bearer abcdefgh'], map: new Map([['k', 'corp-gateway-key-123']]), set: new Set(['sk-zzzzzzzzzz']) },
      err,
      when: new Date(0),
      bytes: Buffer.from('corp-gateway-key-123'),
      n: 3, ok: true, nothing: null, big: 10n,
    }) as Record<string, unknown>;
    const json = JSON.stringify(out);
    expect(json).not.toContain('corp-gateway-key-123');
    expect(json).not.toContain('sk-abcdefghijkl');
    expect(json).not.toContain('sk-zzzzzzzzzz');
    expect(json).not.toContain('abcdefgh"');
    expect(out.path).toBe('/home/a/.claude/settings.json');
    expect(out.when).toBe('1970-01-01T00:00:00.000Z');
    expect(out.bytes).toBe('[20 bytes]');
    expect(out.big).toBe('10');
    const e = out.err as Record<string, unknown>;
    expect(e.message).toBe(`upstream said ${fp('corp-gateway-key-123')} is invalid`);
    expect(e.code).toBe('E_AUTH');
    expect(String(e.stack)).toContain(fp('corp-gateway-key-123'));
    expect((e.cause as Record<string, unknown>).message).toBe(fp('sk-abcdefghijkl'));
  });

  it('fingerprints every string under a secret-looking key, keeps numbers', () => {
    const out = r.value({ apiKey: 'whatever-it-is', auth: { user: 'bob', password: 'hunter2' }, headers: ['a: b'], tokens: 3 });
    expect(out).toEqual({ apiKey: fp('whatever-it-is'), auth: { user: fp('bob'), password: fp('hunter2') }, headers: [fp('a: b')], tokens: 3 });
  });

  it('cuts cycles and deep nesting, keeps shared references', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const shared = { v: 1 };
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 50; i++) deep = { deep };
    const out = r.value({ a, x: shared, y: shared, deep }) as Record<string, unknown>;
    expect((out.a as Record<string, unknown>).self).toBe('[circular]');
    expect(out.x).toEqual({ v: 1 });
    expect(out.y).toEqual({ v: 1 });
    expect(JSON.stringify(out.deep)).toContain('[too deep]');
  });
});
