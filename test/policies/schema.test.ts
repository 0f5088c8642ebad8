/**
 * policies/policy.schema.json is what editors and admins validate against: it must be exactly what the zod
 * schema generates (run `npm run schema` after changing src/core/policy-schema.ts), it must accept every
 * example policy, and it must reject the mistakes the zod schema rejects (checked with a tiny validator,
 * see json-schema-check.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { policyJsonSchemaText } from '../../src/core/policy-json-schema.js';
import { policySchema } from '../../src/core/policy-schema.js';
import { check, keywordsUsed, SUPPORTED } from './json-schema-check.js';

const DIR = path.resolve(__dirname, '../../policies');
const schemaText = fs.readFileSync(path.join(DIR, 'policy.schema.json'), 'utf8');
const schema = JSON.parse(schemaText) as Record<string, unknown>;
const examples = fs.readdirSync(DIR).filter((f) => f.endsWith('.jsonc'));

it('policies/policy.schema.json is up to date with the zod schema', () => {
  const fresh = policyJsonSchemaText();
  if (schemaText !== fresh) {
    expect.fail('policies/policy.schema.json is stale: run `npm run schema` and commit the result');
  }
});

it('uses only keywords the test validator understands', () => {
  expect([...keywordsUsed(schema)].filter((k) => !SUPPORTED.has(k))).toEqual([]);
});

describe.each(examples)('%s', (file) => {
  it('validates against the JSON Schema', () => {
    const value = parse(fs.readFileSync(path.join(DIR, file), 'utf8'), [], { allowTrailingComma: true });
    expect(check(schema, value)).toEqual([]);
  });
});

const MINIMAL = { id: 'p', version: 1, env: { ANTHROPIC_BASE_URL: 'https://bifrost.example.com/anthropic' } };

describe('the JSON Schema and the zod schema agree', () => {
  const cases: [string, unknown, boolean][] = [
    ['minimal', MINIMAL, true],
    ['everything', { ...MINIMAL, $schema: './policy.schema.json', description: 'd', removeKeys: ['model', 'env.ANTHROPIC_MODEL'], enforceIn: 'user', managedSettings: { apiKeyHelper: '/k', availableModels: ['sonnet'], enforceAvailableModels: true, forceLoginOrgUUID: ['a'], policyHelper: { path: '/p', timeoutMs: 5000, extra: 1 }, anything: { x: 1 } }, model: { keep: 'allowed', allowed: ['sonnet'] }, allowedModels: ['m'], users: { include: ['alice'], exclude: ['bob'], includeRoot: true, configDirs: { alice: '~/.cc' } }, normalizeIgnoredFiles: true, minClaudeVersion: '2.1.175', expiresAt: '2027-01-31T00:00:00Z' }, true],
    ['unknown top-level key', { ...MINIMAL, removekeys: [] }, false],
    ['missing env', { id: 'p', version: 1 }, false],
    ['env value not a string', { ...MINIMAL, env: { A: 1 } }, false],
    ['env name not a variable name', { ...MINIMAL, env: { '1A': 'x' } }, false],
    ['env not an object', { ...MINIMAL, env: [] }, false],
    ['bad id', { ...MINIMAL, id: 'Has Space' }, false],
    ['negative version', { ...MINIMAL, version: -1 }, false],
    ['fractional version', { ...MINIMAL, version: 1.5 }, false],
    ['bad removeKeys entry', { ...MINIMAL, removeKeys: ['a..b'] }, false],
    ['bad enforceIn', { ...MINIMAL, enforceIn: 'root' }, false],
    ['managedSettings.env', { ...MINIMAL, managedSettings: { env: {} } }, false],
    ['managedSettings.availableModels not a list', { ...MINIMAL, managedSettings: { availableModels: 'sonnet' } }, false],
    ['managedSettings.forceLoginMethod unknown', { ...MINIMAL, managedSettings: { forceLoginMethod: 'sso' } }, false],
    ['model.keep unknown', { ...MINIMAL, model: { keep: 'always' } }, false],
    ['users unknown key', { ...MINIMAL, users: { root: true } }, false],
    ['minClaudeVersion not x.y.z', { ...MINIMAL, minClaudeVersion: '2.1' }, false],
  ];
  it.each(cases)('%s', (_name, value, valid) => {
    expect(policySchema.safeParse(value).success).toBe(valid);
    expect(check(schema, value).length === 0).toBe(valid);
  });
});
