// The pure verdicts of doctor's gateway checks: thresholds and wording that scripts may rely on.
import { describe, expect, it } from 'vitest';
import { judgeClock, judgeHealth, judgeModels, judgeQuota, parseQuota } from '../../../src/agent/doctor/judge.js';

const id = (s: string) => s;
const quota = (o: Record<string, unknown>) => ({ status: 200, body: JSON.stringify({ virtual_key_name: 'k', is_active: true, budgets: [], rate_limit: null, ...o }) });
const budget = (max: number, used: number) => ({ id: 'b', max_limit: max, current_usage: used, reset_duration: '1M' });

describe('judgeHealth', () => {
  it.each([
    [200, 'ok'],
    [404, 'skipped'],
    [503, 'problem'],
    [500, 'problem'],
    [301, 'problem'],
  ])('%i → %s', (status, want) => expect(judgeHealth({ status, body: '{"status":"ok"}' }).status).toBe(want));
});

describe('judgeModels', () => {
  it.each([
    [200, 'ok'],
    [401, 'problem'],
    [403, 'problem'],
    [429, 'problem'],
    [404, 'warning'],
    [502, 'problem'],
    [418, 'warning'],
  ])('%i → %s', (status, want) => expect(judgeModels({ status, body: '' }, 'cred', id).status).toBe(want));

  it('counts the models and quotes the gateway\'s error message through scrub', () => {
    expect(judgeModels({ status: 200, body: '{"data":[{},{}]}' }, 'X fp:1', id).message).toBe('GET /v1/models: 200, 2 models with X fp:1');
    const m = judgeModels({ status: 401, body: '{"error":{"message":"bad key SECRET"}}' }, 'X fp:1', (s) => s.replace('SECRET', 'fp:2')).message;
    expect(m).toBe('gateway rejects the credential (X fp:1): 401 — bad key fp:2');
  });
});

describe('judgeQuota', () => {
  it('exhausted at 100% (problem), warning from 90%, ok below; a zero limit is ignored', () => {
    expect(judgeQuota(quota({ budgets: [budget(10, 10)] }), 'c', id)).toMatchObject({ status: 'problem', message: expect.stringContaining('budget exhausted: 10 of 10 used, resets every 1M') });
    expect(judgeQuota(quota({ budgets: [budget(10, 12)] }), 'c', id).status).toBe('problem');
    expect(judgeQuota(quota({ budgets: [budget(10, 9)] }), 'c', id)).toMatchObject({ status: 'warning', message: expect.stringContaining('budget 90% used') });
    expect(judgeQuota(quota({ budgets: [budget(10, 8.99)] }), 'c', id)).toMatchObject({ status: 'ok', message: 'virtual key "k" active; budget 89% used' });
    expect(judgeQuota(quota({ budgets: [budget(0, 5)] }), 'c', id).status).toBe('ok');
    expect(judgeQuota(quota({ budgets: [budget(10, 1), budget(5, 5)] }), 'c', id).status).toBe('problem');
  });

  it('inactive → problem; a reached rate limit → warning; no budget → ok', () => {
    expect(judgeQuota(quota({ is_active: false, budgets: [budget(10, 1)] }), 'c', id)).toMatchObject({ status: 'problem', message: 'virtual key "k" is inactive — the gateway refuses it' });
    const rl = { request_max_limit: 100, request_current_usage: 100, request_reset_duration: '1m', token_max_limit: null, token_current_usage: 5 };
    expect(judgeQuota(quota({ rate_limit: rl }), 'c', id)).toMatchObject({ status: 'warning', message: expect.stringContaining('request rate limit reached (100 of 100 per 1m)') });
    expect(judgeQuota(quota({}), 'c', id)).toMatchObject({ status: 'ok', message: 'virtual key "k" active; no budget' });
  });

  it('404/405 or a body that is not Bifrost\'s JSON → skipped; 401 → problem; 500 → problem', () => {
    expect(judgeQuota({ status: 404, body: '' }, 'c', id).status).toBe('skipped');
    expect(judgeQuota({ status: 405, body: '' }, 'c', id).status).toBe('skipped');
    expect(judgeQuota({ status: 200, body: '<html>' }, 'c', id).status).toBe('skipped');
    expect(judgeQuota({ status: 200, body: '{"status":"ok"}' }, 'c', id).status).toBe('skipped');
    expect(judgeQuota({ status: 401, body: '' }, 'c', id).status).toBe('problem');
    expect(judgeQuota({ status: 500, body: '' }, 'c', id).status).toBe('problem');
  });

  it('parseQuota keeps only well-formed budgets', () => {
    const q = parseQuota(JSON.stringify({ is_active: true, budgets: [budget(1, 0), { max_limit: 'x' }, null], rate_limit: 'nope' }));
    expect(q).toEqual({ name: null, active: true, budgets: [{ max: 1, used: 0, reset: '1M' }], rateLimits: [] });
  });
});

describe('judgeClock', () => {
  const now = Date.parse('2026-01-01T12:00:00.000Z');
  const at = (offsetMs: number) => new Date(now + offsetMs).toUTCString();
  it.each([
    [0, 'ok'],
    [29_000, 'ok'],
    [-29_000, 'ok'],
    [45_000, 'warning'],
    [-45_000, 'warning'],
    [4 * 60_000, 'warning'],
    [6 * 60_000, 'problem'],
    [-6 * 60_000, 'problem'],
    [-3 * 86_400_000, 'problem'],
  ])('gateway %i ms off → %s', (offset, want) => expect(judgeClock(at(offset), now).status).toBe(want));

  it('says which way, and skips a missing or garbage header', () => {
    expect(judgeClock(at(10 * 60_000), now).message).toMatch(/^this machine's clock is 10 min behind the gateway's/);
    expect(judgeClock(at(-10 * 60_000), now).message).toMatch(/^this machine's clock is 10 min ahead of the gateway's/);
    expect(judgeClock(undefined, now).status).toBe('skipped');
    expect(judgeClock('yesterday', now).status).toBe('skipped');
  });
});
