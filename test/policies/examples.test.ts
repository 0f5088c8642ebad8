/**
 * The example policies in policies/: each parses, validates, and lints without an error; the warnings each
 * one is expected to have are listed here explicitly (adding an example means adding it to EXPECTED). Plus
 * the properties every example promises in its comments.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintPolicy } from '../../src/core/lint.js';
import { mapAlias, mappedModels } from '../../src/core/model.js';
import { parsePolicyText } from '../../src/core/policy-load.js';

const DIR = path.resolve(__dirname, '../../policies');

/** Lint codes each example is expected to produce (all warnings; none may be an error). */
const EXPECTED: Record<string, string[]> = {
  'alias-routing.jsonc': [],
  'anthropic.jsonc': [],
  'bedrock.jsonc': [],
  'vertex.jsonc': [],
  'azure.jsonc': [],
};

const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.jsonc'));
const load = (f: string) => parsePolicyText(fs.readFileSync(path.join(DIR, f), 'utf8'), f);

it('every example is listed here, and every listed one exists', () => {
  expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
});

it('policies/README.md names every example', () => {
  const readme = fs.readFileSync(path.join(DIR, 'README.md'), 'utf8');
  for (const f of files) expect(readme).toContain(`(${f})`);
});

it('ids are unique', () => {
  const ids = files.map((f) => load(f).id);
  expect(new Set(ids).size).toBe(ids.length);
});

describe.each(files)('%s', (file) => {
  const text = fs.readFileSync(path.join(DIR, file), 'utf8');
  const policy = load(file);

  it('lints with exactly the expected warnings and no error', () => {
    const warnings = lintPolicy(policy);
    expect(warnings.filter((w) => w.severity === 'error')).toEqual([]);
    expect(warnings.map((w) => w.code)).toEqual(EXPECTED[file]);
  });

  it('points editors at the schema and explains itself in comments', () => {
    expect(policy.$schema).toBe('./policy.schema.json');
    expect(text.startsWith('//')).toBe(true);
    expect(text.split('\n').filter((l) => l.trim().startsWith('//')).length).toBeGreaterThan(15);
  });

  it('routes every tier through Bifrost over TLS, with no key in the file and no API-key prompt', () => {
    expect(policy.env.ANTHROPIC_BASE_URL).toMatch(/^https:\/\/[^/]+\/anthropic$/);
    expect(policy.env.ANTHROPIC_API_KEY).toBeUndefined();
    expect(policy.env.ANTHROPIC_AUTH_TOKEN).toBeUndefined();
    expect(typeof policy.managedSettings.apiKeyHelper).toBe('string');
    for (const k of ['ANTHROPIC_DEFAULT_SONNET_MODEL', 'ANTHROPIC_DEFAULT_HAIKU_MODEL', 'ANTHROPIC_DEFAULT_OPUS_MODEL']) expect(policy.env[k], k).toBeTruthy();
    // the account default (opus) resolves to a model the policy maps — the guide's own setup does not
    const env = new Map(Object.entries(policy.env).map(([k, v]) => [k, { value: v }]));
    expect(mappedModels(policy.env, policy.allowedModels).has(mapAlias('opus', env))).toBe(true);
  });

  it('removes model and the env keys that bypass the mapping or the gateway', () => {
    for (const k of ['model', 'env.ANTHROPIC_MODEL', 'env.ANTHROPIC_DEFAULT_MODEL', 'env.ANTHROPIC_SMALL_FAST_MODEL', 'env.CLAUDE_CODE_USE_BEDROCK', 'env.CLAUDE_CODE_USE_VERTEX']) {
      expect(policy.removeKeys).toContain(k);
    }
    expect(policy.enforceIn).toBe('managed');
    expect(policy.managedSettings).toMatchObject({ enforceAvailableModels: true });
  });
});
