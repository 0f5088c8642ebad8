/**
 * The managed drop-in ccfleet owns (managed-settings.d/50-ccfleet.json): exact content when created,
 * compared by parsed content (Claude Code reorders keys), rewritten whole when anything differs, deleted in
 * user mode, and always idempotent.
 */
import { describe, expect, it } from 'vitest';
import { DROPIN_NAME, dropinContent, dropinText, planDropin } from '../../src/core/plan-dropin.js';
import { policySchema, type Policy, type PolicyInput } from '../../src/core/policy-schema.js';

const policy = (extra: Partial<PolicyInput> = {}): Policy =>
  policySchema.parse({
    id: 'd',
    version: 1,
    env: { ANTHROPIC_BASE_URL: 'http://gateway.example:8080/anthropic', ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model' },
    ...extra,
  });
const P = policy({ managedSettings: { availableModels: ['sonnet', 'haiku'], enforceAvailableModels: true } });
const EXACT =
  '{\n' +
  '  "env": {\n' +
  '    "ANTHROPIC_BASE_URL": "http://gateway.example:8080/anthropic",\n' +
  '    "ANTHROPIC_DEFAULT_SONNET_MODEL": "sonnet-model"\n' +
  '  },\n' +
  '  "availableModels": [\n' +
  '    "sonnet",\n' +
  '    "haiku"\n' +
  '  ],\n' +
  '  "enforceAvailableModels": true\n' +
  '}\n';
const codes = (p: { findings: { code: string; key?: string }[] }) => p.findings.map((f) => (f.key ? `${f.code}:${f.key}` : f.code));

/** A plan that writes must produce something the next pass accepts as it is. */
function expectIdempotent(p: Policy, text: string | null) {
  const plan = planDropin(p, text);
  if (plan.edits.length > 0) {
    const again = planDropin(p, plan.nextText);
    expect(again.edits).toEqual([]);
    expect(again.state).toBe('compliant');
    expect(again.findings).toEqual([]);
  }
  return plan;
}

describe('planDropin in managed mode', () => {
  it('is named 50-ccfleet.json', () => {
    expect(DROPIN_NAME).toBe('50-ccfleet.json');
  });

  it('absent → created with exactly the env block and the managed settings, 2-space, final newline', () => {
    const plan = expectIdempotent(P, null);
    expect(plan).toEqual({ edits: [{ op: 'create' }], nextText: EXACT, findings: [{ code: 'dropin-missing', blocking: true }], state: 'missing' });
    expect(dropinText(P)).toBe(EXACT);
    expect(dropinContent(P)).toEqual(JSON.parse(EXACT));
  });

  it('a policy with env only holds nothing but env', () => {
    expect(dropinText(policy())).toBe('{\n  "env": {\n    "ANTHROPIC_BASE_URL": "http://gateway.example:8080/anthropic",\n    "ANTHROPIC_DEFAULT_SONNET_MODEL": "sonnet-model"\n  }\n}\n');
  });

  it('identical content in another key order and format → compliant, nothing written', () => {
    const reordered = '{"enforceAvailableModels":true,"availableModels":["sonnet","haiku"],"env":{"ANTHROPIC_DEFAULT_SONNET_MODEL":"sonnet-model","ANTHROPIC_BASE_URL":"http://gateway.example:8080/anthropic"}}';
    for (const text of [EXACT, reordered, `\ufeff${reordered}`, EXACT.replace(/\n/g, '\r\n'), `\t${reordered}\n\n`]) {
      const plan = planDropin(P, text);
      expect(plan).toEqual({ edits: [], nextText: text, findings: [], state: 'compliant' });
    }
  });

  it('array order is content: a reordered availableModels is rewritten', () => {
    const plan = expectIdempotent(P, EXACT.replace('"sonnet",\n    "haiku"', '"haiku",\n    "sonnet"'));
    expect(codes(plan)).toEqual(['setting-mismatch:availableModels']);
    expect(plan.nextText).toBe(EXACT);
  });

  it.each([
    ['an extra env key', { env: { ANTHROPIC_BASE_URL: 'http://gateway.example:8080/anthropic', ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model', ANTHROPIC_MODEL: 'opus' }, availableModels: ['sonnet', 'haiku'], enforceAvailableModels: true }, ['env-extra:env.ANTHROPIC_MODEL']],
    ['an extra top-level key', { ...JSON.parse(EXACT), model: 'opus' }, ['setting-extra:model']],
    ['a mismatched env value', { ...JSON.parse(EXACT), env: { ANTHROPIC_BASE_URL: 'https://api.anthropic.com', ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model' } }, ['env-mismatch:env.ANTHROPIC_BASE_URL']],
    ['a missing env value', { ...JSON.parse(EXACT), env: { ANTHROPIC_BASE_URL: 'http://gateway.example:8080/anthropic' } }, ['env-missing:env.ANTHROPIC_DEFAULT_SONNET_MODEL']],
    ['a missing managed setting', { env: JSON.parse(EXACT).env, availableModels: ['sonnet', 'haiku'] }, ['setting-missing:enforceAvailableModels']],
    ['a mismatched managed setting', { ...JSON.parse(EXACT), enforceAvailableModels: false }, ['setting-mismatch:enforceAvailableModels']],
    ['an env that is not an object', { ...JSON.parse(EXACT), env: 'x' }, ['env-not-object:env', 'env-missing:env.ANTHROPIC_BASE_URL', 'env-missing:env.ANTHROPIC_DEFAULT_SONNET_MODEL']],
    ['an env that is an array', { ...JSON.parse(EXACT), env: ['ANTHROPIC_BASE_URL'] }, ['env-not-object:env', 'env-missing:env.ANTHROPIC_BASE_URL', 'env-missing:env.ANTHROPIC_DEFAULT_SONNET_MODEL']],
    ['a non-string env value', { ...JSON.parse(EXACT), env: { ...JSON.parse(EXACT).env, ANTHROPIC_BASE_URL: 8080 } }, ['env-mismatch:env.ANTHROPIC_BASE_URL']],
  ])('%s → rewritten whole', (_name, value, want) => {
    const plan = expectIdempotent(P, `${JSON.stringify(value, null, 2)}\n`);
    expect(plan.state).toBe('drifted');
    expect(plan.edits).toEqual([{ op: 'rewrite' }]);
    expect(plan.nextText).toBe(EXACT);
    expect(codes(plan)).toEqual(want);
    expect(plan.findings.every((f) => f.blocking)).toBe(true);
  });

  it.each([
    ['garbage', 'not json'],
    ['a comment (Claude Code cannot parse it: an outage)', `// ours\n${EXACT}`],
    ['a trailing comma', EXACT.replace('true\n}', 'true,\n}')],
    ['an empty file', ''],
    ['whitespace', ' \n'],
  ])('invalid text: %s → managed-invalid, rewritten', (_name, text) => {
    const plan = expectIdempotent(P, text);
    expect(plan).toEqual({ edits: [{ op: 'rewrite' }], nextText: EXACT, findings: [{ code: 'managed-invalid', blocking: true }], state: 'drifted' });
  });

  it.each([['[]'], ['null'], ['"env"'], ['42']])('strict JSON that is not an object (%s) → rewritten', (text) => {
    const plan = expectIdempotent(P, text);
    expect(plan.edits).toEqual([{ op: 'rewrite' }]);
    expect(plan.nextText).toBe(EXACT);
    expect(plan.state).toBe('drifted');
  });

  it('values are written as given (unicode, quotes, backslashes)', () => {
    const p = policy({ env: { ANTHROPIC_CUSTOM_HEADERS: 'X-Team: café ☕\nX-Q: "a\\b"' } });
    const plan = expectIdempotent(p, null);
    expect((JSON.parse(plan.nextText!) as { env: Record<string, string> }).env.ANTHROPIC_CUSTOM_HEADERS).toBe('X-Team: café ☕\nX-Q: "a\\b"');
  });

  it('an empty policy env still gives an env block (the drop-in holds exactly the policy env)', () => {
    const p = policy({ env: {} });
    expect(dropinText(p)).toBe('{\n  "env": {}\n}\n');
    expect(planDropin(p, '{"env":{}}').state).toBe('compliant');
    expect(codes(planDropin(p, '{"env":{"X":"1"}}'))).toEqual(['env-extra:env.X']);
  });
});

describe('planDropin in user mode', () => {
  const U = policy({ enforceIn: 'user' });
  it('absent → compliant, nothing to do', () => {
    expect(planDropin(U, null)).toEqual({ edits: [], nextText: null, findings: [], state: 'compliant' });
  });
  it.each([
    ['a stale copy of our own content', dropinText(policy())],
    ['garbage', '{{'],
    ['an empty file', ''],
  ])('present (%s) → deleted', (_name, text) => {
    const plan = planDropin(U, text);
    expect(plan).toEqual({ edits: [{ op: 'delete' }], nextText: null, findings: [{ code: 'dropin-stale', blocking: true }], state: 'drifted' });
    // After the delete the file is absent: nothing more to do.
    expect(planDropin(U, plan.nextText).edits).toEqual([]);
  });
});
