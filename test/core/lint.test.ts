/**
 * lintPolicy: every code fires when it should and stays quiet when it should not. Each case starts from a
 * policy that lints clean and changes one thing. The last test checks that every code in LINT_CODES was
 * seen firing here, so a new rule cannot land untested.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LINT_CODES, lintPolicy, type LintWarning } from '../../src/core/lint.js';
import { placeholderReason } from '../../src/core/lint/credentials.js';
import { policySchema, type Policy, type PolicyInput } from '../../src/core/policy-schema.js';

const KEY = 'sk-bf-0f5c2a9e-8d1b-4c77-9a31-6e2f4b8d0c15';
const CLEAN: PolicyInput = {
  id: 'lint-test',
  version: 1,
  env: {
    ANTHROPIC_BASE_URL: 'https://bifrost.example.com/anthropic',
    ANTHROPIC_AUTH_TOKEN: KEY,
    ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model',
    ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model',
    ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model',
    ANTHROPIC_DEFAULT_FABLE_MODEL: 'fable-model',
  },
  removeKeys: ['model', 'env.ANTHROPIC_MODEL', 'env.ANTHROPIC_DEFAULT_MODEL', 'env.CLAUDE_CODE_USE_BEDROCK', 'env.CLAUDE_CODE_USE_VERTEX', 'env.CLAUDE_CODE_USE_FOUNDRY'],
};

const seen = new Set<string>();
function run(p: Policy): LintWarning[] {
  const out = lintPolicy(p);
  for (const w of out) seen.add(w.code);
  return out;
}

/** The clean policy with `env` entries set (a value) or deleted (null), and other top-level fields replaced. */
function policy(env: Record<string, string | null> = {}, rest: Partial<PolicyInput> = {}): Policy {
  const e: Record<string, string> = { ...CLEAN.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === null) delete e[k];
    else e[k] = v;
  }
  // A policy that sets a variable does not also remove it (the schema refuses that).
  const removeKeys = rest.removeKeys ?? CLEAN.removeKeys!.filter((k) => !(k.startsWith('env.') && k.slice(4) in e));
  return policySchema.parse({ ...CLEAN, ...rest, removeKeys, env: e });
}
const lint = (env: Record<string, string | null> = {}, rest: Partial<PolicyInput> = {}) => run(policy(env, rest));
const codes = (env: Record<string, string | null> = {}, rest: Partial<PolicyInput> = {}) => lint(env, rest).map((w) => w.code);
const only = (code: string, env: Record<string, string | null> = {}, rest: Partial<PolicyInput> = {}) => lint(env, rest).filter((w) => w.code === code);

describe('the clean baseline', () => {
  it('has no warnings', () => {
    expect(lint()).toEqual([]);
  });
});

describe('base URL', () => {
  it('no-base-url: unset or blank is an error', () => {
    expect(only('no-base-url', { ANTHROPIC_BASE_URL: null })).toMatchObject([{ severity: 'error', field: 'env.ANTHROPIC_BASE_URL' }]);
    expect(codes({ ANTHROPIC_BASE_URL: '  ' })).toContain('no-base-url');
    expect(codes()).not.toContain('no-base-url');
  });

  it.each(['not a url', 'bifrost.example.com/anthropic', 'ftp://bifrost.example.com/anthropic', 'https://user:pw@bifrost.example.com/anthropic', 'https://bifrost.example.com/anthropic?x=1', 'https://bifrost.example.com/anthropic#top'])(
    'base-url-invalid: %s',
    (url) => {
      const w = lint({ ANTHROPIC_BASE_URL: url });
      expect(w.map((x) => x.code)).toEqual(['base-url-invalid']);
      expect(w[0]!.severity).toBe('error');
    },
  );

  it.each(['http://bifrost.corp.example/anthropic', 'http://10.0.0.5:8080/anthropic', 'http://127.example.com/anthropic', 'http://[::2]/anthropic'])('insecure-base-url: %s', (url) => {
    expect(only('insecure-base-url', { ANTHROPIC_BASE_URL: url })).toMatchObject([{ severity: 'error' }]);
  });

  it.each(['http://localhost:8080/anthropic', 'http://127.0.0.1:8080/anthropic', 'http://127.4.5.6/anthropic', 'http://[::1]:8080/anthropic', 'http://gw.localhost/anthropic', 'https://bifrost.example.com/anthropic'])(
    'no insecure-base-url for loopback or TLS: %s',
    (url) => {
      expect(codes({ ANTHROPIC_BASE_URL: url })).toEqual([]);
    },
  );

  it('base-url-no-anthropic: a path not ending in /anthropic', () => {
    expect(only('base-url-no-anthropic', { ANTHROPIC_BASE_URL: 'https://bifrost.example.com' })).toMatchObject([{ severity: 'warning' }]);
    const v1 = only('base-url-no-anthropic', { ANTHROPIC_BASE_URL: 'https://bifrost.example.com/anthropic/v1' });
    expect(v1).toHaveLength(1);
    expect(v1[0]!.message).toContain('appends "/v1/messages" itself');
    expect(v1[0]!.message).toContain('https://bifrost.example.com/anthropic');
    for (const ok of ['https://bifrost.example.com/anthropic/', 'https://gw.example.com/bifrost/anthropic', 'https://gw.example.com/ANTHROPIC']) {
      expect(codes({ ANTHROPIC_BASE_URL: ok })).toEqual([]);
    }
  });
});

describe('credentials', () => {
  it.each([
    'your-virtual-key',
    '<your Bifrost virtual key>',
    'changeme',
    'CHANGE_ME',
    'xxx',
    'sk-bf-xxxxxxxx-xxxx',
    'sk-bf-...',
    'sk-bf-…',
    'sk-bf-',
    '${BIFROST_KEY}',
    '$BIFROST_KEY',
    'REPLACE_WITH_KEY',
    'placeholder',
    'sk-bf-example-key',
    'TODO',
    'abc123',
    '0000000000',
    '',
  ])('placeholder-key: ANTHROPIC_AUTH_TOKEN = %j', (value) => {
    expect(only('placeholder-key', { ANTHROPIC_AUTH_TOKEN: value })).toMatchObject([{ severity: 'error', field: 'env.ANTHROPIC_AUTH_TOKEN' }]);
  });

  it.each([KEY, 'sk-bf-9c1e7b3a4d2f4e8a', 'bfvk_Q2x9LmT4vR7pK1sN8wY3zC6h', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl'])('no placeholder-key for a real-looking key: %s', (value) => {
    expect(placeholderReason(value)).toBeUndefined();
    expect(codes({ ANTHROPIC_AUTH_TOKEN: value })).toEqual([]);
  });

  it('placeholder-key also checks ANTHROPIC_API_KEY and apiKeyHelper', () => {
    expect(only('placeholder-key', { ANTHROPIC_AUTH_TOKEN: null, ANTHROPIC_API_KEY: 'your-virtual-key' })).toMatchObject([{ field: 'env.ANTHROPIC_API_KEY' }]);
    for (const helper of ['/path/to/key-helper', '<helper command>', 'your-helper', 'replace-me.sh']) {
      expect(only('placeholder-key', { ANTHROPIC_AUTH_TOKEN: null }, { managedSettings: { apiKeyHelper: helper } })).toMatchObject([{ field: 'managedSettings.apiKeyHelper' }]);
    }
    expect(codes({ ANTHROPIC_AUTH_TOKEN: null }, { managedSettings: { apiKeyHelper: '/usr/local/bin/bifrost-virtual-key' } })).toEqual([]);
    expect(codes({ ANTHROPIC_AUTH_TOKEN: null }, { managedSettings: { apiKeyHelper: 'security find-generic-password -s bifrost -w' } })).toEqual([]);
  });

  it('credential-malformed: a scheme or white space in the key', () => {
    const bearer = only('credential-malformed', { ANTHROPIC_AUTH_TOKEN: `Bearer ${KEY}` });
    expect(bearer).toMatchObject([{ severity: 'error', field: 'env.ANTHROPIC_AUTH_TOKEN' }]);
    expect(bearer[0]!.message).toContain('Bearer Bearer');
    expect(codes({ ANTHROPIC_AUTH_TOKEN: `${KEY}\n` })).toEqual(['credential-malformed']);
    expect(codes({ ANTHROPIC_AUTH_TOKEN: KEY })).not.toContain('credential-malformed');
  });

  it('api-key-prompt: ANTHROPIC_API_KEY, with ANTHROPIC_AUTH_TOKEN as the fix', () => {
    const w = only('api-key-prompt', { ANTHROPIC_AUTH_TOKEN: null, ANTHROPIC_API_KEY: KEY });
    expect(w).toMatchObject([{ severity: 'warning', field: 'env.ANTHROPIC_API_KEY' }]);
    expect(w[0]!.message).toContain('ANTHROPIC_AUTH_TOKEN');
    expect(w[0]!.message).toContain('apiKeyHelper');
    expect(only('api-key-prompt', { ANTHROPIC_API_KEY: KEY })[0]!.message).toContain('remove ANTHROPIC_API_KEY');
    expect(codes()).not.toContain('api-key-prompt');
  });

  it('force-login-blocks-gateway: forceLogin* with any gateway credential is an error', () => {
    expect(only('force-login-blocks-gateway', {}, { managedSettings: { forceLoginMethod: 'claudeai' } })).toMatchObject([
      { severity: 'error', field: 'managedSettings.forceLoginMethod' },
    ]);
    const both = only('force-login-blocks-gateway', { ANTHROPIC_AUTH_TOKEN: null }, { managedSettings: { apiKeyHelper: '/opt/bin/key', forceLoginMethod: 'console', forceLoginOrgUUID: '0b6c...' } });
    expect(both.map((w) => w.field)).toEqual(['managedSettings.forceLoginMethod', 'managedSettings.forceLoginOrgUUID']);
    expect(codes({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_AUTH_TOKEN: null }, { managedSettings: { forceLoginOrgUUID: ['a', 'b'] } })).toContain('force-login-blocks-gateway');
    // without a gateway credential, forceLogin alone is not this problem
    expect(codes({ ANTHROPIC_AUTH_TOKEN: null }, { managedSettings: { forceLoginMethod: 'claudeai' } })).not.toContain('force-login-blocks-gateway');
  });

  it('api-key-helper-shadowed: an env credential wins over apiKeyHelper', () => {
    expect(only('api-key-helper-shadowed', {}, { managedSettings: { apiKeyHelper: '/opt/bin/key' } })).toMatchObject([{ severity: 'warning', field: 'managedSettings.apiKeyHelper' }]);
    expect(codes({ ANTHROPIC_AUTH_TOKEN: null }, { managedSettings: { apiKeyHelper: '/opt/bin/key' } })).toEqual([]);
  });

  it('no-credential: no token, no API key, no helper', () => {
    expect(only('no-credential', { ANTHROPIC_AUTH_TOKEN: null })).toMatchObject([{ severity: 'warning' }]);
    expect(codes({ ANTHROPIC_AUTH_TOKEN: null, ANTHROPIC_API_KEY: KEY })).not.toContain('no-credential');
    expect(codes({ ANTHROPIC_AUTH_TOKEN: null }, { managedSettings: { apiKeyHelper: '/opt/bin/key' } })).not.toContain('no-credential');
  });
});

describe('model routing', () => {
  it('opus-unmapped: the account default sends the built-in Opus id', () => {
    const w = only('opus-unmapped', { ANTHROPIC_DEFAULT_OPUS_MODEL: null });
    expect(w).toMatchObject([{ severity: 'warning', field: 'env.ANTHROPIC_DEFAULT_OPUS_MODEL' }]);
    expect(w[0]!.message).toContain('claude-opus-5-5');
    expect(w[0]!.message).toContain('Fix:');
    expect(codes({ ANTHROPIC_DEFAULT_OPUS_MODEL: '' })).toContain('opus-unmapped');
  });

  it('opus-unmapped: not when ANTHROPIC_MODEL forces a non-Opus model', () => {
    for (const m of ['sonnet', 'haiku', 'claude-sonnet-4-6', 'sonnet[1m]']) {
      expect(codes({ ANTHROPIC_DEFAULT_OPUS_MODEL: null, ANTHROPIC_MODEL: m }), m).not.toContain('opus-unmapped');
    }
    for (const m of ['opus', 'best', 'opusplan', 'OPUS[1m]']) {
      expect(codes({ ANTHROPIC_DEFAULT_OPUS_MODEL: null, ANTHROPIC_MODEL: m }), m).toContain('opus-unmapped');
    }
  });

  it('opus-unmapped: still fires when only the default is covered (ANTHROPIC_DEFAULT_MODEL, managed model)', () => {
    const w = only('opus-unmapped', { ANTHROPIC_DEFAULT_OPUS_MODEL: null, ANTHROPIC_DEFAULT_MODEL: 'sonnet' });
    expect(w[0]!.message).toContain('env.ANTHROPIC_DEFAULT_MODEL');
    // ANTHROPIC_DEFAULT_MODEL=default is the account default again (wire fact X15)
    expect(only('opus-unmapped', { ANTHROPIC_DEFAULT_OPUS_MODEL: null, ANTHROPIC_DEFAULT_MODEL: 'default' })[0]!.message).toContain('default to the Opus family');
    expect(only('opus-unmapped', { ANTHROPIC_DEFAULT_OPUS_MODEL: null }, { managedSettings: { model: 'sonnet' } })[0]!.message).toContain('managedSettings.model');
  });

  it('opus-unmapped: not when an enforced managed availableModels leaves Opus out', () => {
    const lock = { availableModels: ['sonnet', 'haiku'], enforceAvailableModels: true };
    expect(codes({ ANTHROPIC_DEFAULT_OPUS_MODEL: null }, { managedSettings: lock })).toEqual([]);
    expect(codes({ ANTHROPIC_DEFAULT_OPUS_MODEL: null }, { managedSettings: { ...lock, enforceAvailableModels: false } })).toContain('opus-unmapped');
    expect(codes({ ANTHROPIC_DEFAULT_OPUS_MODEL: null }, { managedSettings: { ...lock, availableModels: ['sonnet', 'claude-opus-4-6'] } })).toContain('opus-unmapped');
    expect(codes({ ANTHROPIC_DEFAULT_OPUS_MODEL: null }, { managedSettings: { ...lock, availableModels: [] } })).toContain('opus-unmapped');
    expect(codes({ ANTHROPIC_DEFAULT_OPUS_MODEL: null }, { enforceIn: 'user', managedSettings: lock })).toContain('opus-unmapped');
  });

  it('sonnet-unmapped, haiku-unmapped and fable-unmapped', () => {
    expect(only('sonnet-unmapped', { ANTHROPIC_DEFAULT_SONNET_MODEL: null })).toMatchObject([{ severity: 'warning', field: 'env.ANTHROPIC_DEFAULT_SONNET_MODEL' }]);
    expect(codes({ ANTHROPIC_DEFAULT_SONNET_MODEL: null, ANTHROPIC_MODEL: 'opus' })).not.toContain('sonnet-unmapped');
    expect(only('haiku-unmapped', { ANTHROPIC_DEFAULT_HAIKU_MODEL: null })).toMatchObject([{ severity: 'warning', field: 'env.ANTHROPIC_DEFAULT_HAIKU_MODEL' }]);
    expect(codes({ ANTHROPIC_DEFAULT_HAIKU_MODEL: null, ANTHROPIC_MODEL: 'sonnet' })).not.toContain('haiku-unmapped');
    // 2.1.332 no longer maps the haiku alias with the deprecated variable (wire fact E01)
    expect(codes({ ANTHROPIC_DEFAULT_HAIKU_MODEL: null, ANTHROPIC_SMALL_FAST_MODEL: 'haiku-model' })).toContain('haiku-unmapped');
    const fable = only('fable-unmapped', { ANTHROPIC_DEFAULT_FABLE_MODEL: null });
    expect(fable).toMatchObject([{ severity: 'warning', field: 'env.ANTHROPIC_DEFAULT_FABLE_MODEL' }]);
    expect(fable[0]!.message).toContain('claude-fable-5-2');
    expect(codes({ ANTHROPIC_DEFAULT_FABLE_MODEL: null }, { managedSettings: { availableModels: ['sonnet', 'haiku', 'opus'], enforceAvailableModels: true } })).toEqual([]);
  });

  it('openrouter-model: in any model env, allowedModels, model.allowed or the managed model settings', () => {
    const or = 'openrouter/anthropic/claude-sonnet-4';
    expect(only('openrouter-model', { ANTHROPIC_DEFAULT_SONNET_MODEL: or })).toMatchObject([{ severity: 'warning', field: 'env.ANTHROPIC_DEFAULT_SONNET_MODEL' }]);
    expect(only('openrouter-model', { ANTHROPIC_MODEL: 'OpenRouter/x' }).map((w) => w.field)).toEqual(['env.ANTHROPIC_MODEL']);
    expect(only('openrouter-model', {}, { allowedModels: ['claude-x', or] }).map((w) => w.field)).toEqual(['allowedModels[1]']);
    expect(only('openrouter-model', {}, { model: { keep: 'never', allowed: [or] } }).map((w) => w.field)).toEqual(['model.allowed[0]']);
    expect(only('openrouter-model', {}, { managedSettings: { model: or, availableModels: ['sonnet', or], enforceAvailableModels: true } }).map((w) => w.field)).toEqual([
      'managedSettings.model',
      'managedSettings.availableModels[1]',
    ]);
    expect(codes({ ANTHROPIC_DEFAULT_SONNET_MODEL: 'vertex/claude-sonnet-4-6' })).toEqual([]);
    expect(codes({ ANTHROPIC_DEFAULT_SONNET_MODEL: 'openrouter-sonnet' })).not.toContain('openrouter-model');
  });

  it('small-fast-model-deprecated', () => {
    const w = only('small-fast-model-deprecated', { ANTHROPIC_DEFAULT_HAIKU_MODEL: null, ANTHROPIC_SMALL_FAST_MODEL: 'haiku-model' });
    expect(w).toMatchObject([{ severity: 'warning', field: 'env.ANTHROPIC_SMALL_FAST_MODEL' }]);
    expect(w[0]!.message).toContain('ANTHROPIC_DEFAULT_HAIKU_MODEL');
    expect(only('small-fast-model-deprecated', { ANTHROPIC_SMALL_FAST_MODEL: 'other-model' })[0]!.message).toContain('differs');
    expect(codes()).not.toContain('small-fast-model-deprecated');
  });

  it('allowed-alias-unmapped / allowed-model-unmapped: only with model.keep = "allowed"', () => {
    const keep = (allowed: string[]) => ({ model: { keep: 'allowed' as const, allowed } });
    expect(only('allowed-alias-unmapped', { ANTHROPIC_DEFAULT_OPUS_MODEL: null }, keep(['sonnet', 'opus']))).toMatchObject([{ severity: 'warning', field: 'model.allowed[1]' }]);
    expect(codes({}, keep(['sonnet', 'opus', 'haiku', 'opusplan', 'best', 'fable']))).toEqual([]);
    expect(codes({ ANTHROPIC_DEFAULT_OPUS_MODEL: null }, { model: { keep: 'never', allowed: ['opus'] } })).not.toContain('allowed-alias-unmapped');
    // an alias whose built-in id the policy explicitly allows is kept, so no warning
    expect(codes({ ANTHROPIC_DEFAULT_OPUS_MODEL: null }, { ...keep(['opus']), allowedModels: ['claude-opus-5-5'] })).not.toContain('allowed-alias-unmapped');

    expect(only('allowed-model-unmapped', {}, keep(['claude-opus-4-6']))).toMatchObject([{ severity: 'warning', field: 'model.allowed[0]' }]);
    expect(codes({}, { ...keep(['claude-opus-4-6']), allowedModels: ['claude-opus-4-6'] })).toEqual([]);
    expect(codes({}, keep(['opus-model']))).toEqual([]);
  });

  it('allowed-models-alias: allowedModels holds wire ids, not aliases', () => {
    expect(only('allowed-models-alias', {}, { allowedModels: ['claude-opus-4-6', 'opus'] })).toMatchObject([{ severity: 'warning', field: 'allowedModels[1]' }]);
    expect(codes({}, { allowedModels: ['claude-opus-4-6'] })).toEqual([]);
  });

  it('managed-model-unmapped: a managed model the policy does not map', () => {
    expect(only('managed-model-unmapped', {}, { managedSettings: { model: 'claude-opus-4-5' } })).toMatchObject([{ severity: 'warning', field: 'managedSettings.model' }]);
    expect(codes({}, { managedSettings: { model: 'sonnet' } })).toEqual([]);
    expect(codes({}, { managedSettings: { model: 'claude-opus-4-5' }, allowedModels: ['claude-opus-4-5'] })).toEqual([]);
    // ANTHROPIC_MODEL beats the managed model key
    expect(codes({ ANTHROPIC_MODEL: 'sonnet' }, { managedSettings: { model: 'claude-opus-4-5' } })).not.toContain('managed-model-unmapped');
  });

  it('available-models-not-enforced', () => {
    expect(only('available-models-not-enforced', {}, { managedSettings: { availableModels: ['sonnet', 'haiku', 'opus'] } })).toMatchObject([
      { severity: 'warning', field: 'managedSettings.availableModels' },
    ]);
    expect(codes({}, { managedSettings: { availableModels: ['sonnet', 'haiku', 'opus'], enforceAvailableModels: true } })).toEqual([]);
  });
});

describe('removed keys and modes', () => {
  it('model-not-removed, whatever model.keep says', () => {
    const rk = CLEAN.removeKeys!.filter((k) => k !== 'model');
    expect(only('model-not-removed', {}, { removeKeys: rk })).toMatchObject([{ severity: 'warning', field: 'removeKeys' }]);
    const keep = only('model-not-removed', {}, { removeKeys: rk, model: { keep: 'allowed', allowed: ['sonnet'] } });
    expect(keep[0]!.message).toContain('only takes effect');
    expect(codes()).not.toContain('model-not-removed');
  });

  it('anthropic-model-not-removed, unless the policy sets ANTHROPIC_MODEL itself', () => {
    const rk = CLEAN.removeKeys!.filter((k) => k !== 'env.ANTHROPIC_MODEL');
    expect(only('anthropic-model-not-removed', {}, { removeKeys: rk })).toMatchObject([{ severity: 'warning', field: 'removeKeys' }]);
    expect(codes({ ANTHROPIC_MODEL: 'sonnet' }, { removeKeys: rk })).not.toContain('anthropic-model-not-removed');
  });

  it('default-model-not-removed, unless the policy sets ANTHROPIC_DEFAULT_MODEL or ANTHROPIC_MODEL', () => {
    const rk = CLEAN.removeKeys!.filter((k) => k !== 'env.ANTHROPIC_DEFAULT_MODEL');
    expect(only('default-model-not-removed', {}, { removeKeys: rk })).toMatchObject([{ severity: 'warning' }]);
    expect(codes({ ANTHROPIC_DEFAULT_MODEL: 'sonnet' }, { removeKeys: rk })).not.toContain('default-model-not-removed');
    expect(codes({ ANTHROPIC_MODEL: 'sonnet' }, { removeKeys: rk.filter((k) => k !== 'env.ANTHROPIC_MODEL') })).not.toContain('default-model-not-removed');
  });

  it('cloud-provider-not-removed lists the missing switches', () => {
    const w = only('cloud-provider-not-removed', {}, { removeKeys: ['model', 'env.ANTHROPIC_MODEL', 'env.ANTHROPIC_DEFAULT_MODEL', 'env.CLAUDE_CODE_USE_VERTEX'] });
    expect(w).toMatchObject([{ severity: 'warning', field: 'removeKeys' }]);
    expect(w[0]!.message).toContain('env.CLAUDE_CODE_USE_BEDROCK');
    expect(w[0]!.message).toContain('env.CLAUDE_CODE_USE_FOUNDRY');
    expect(w[0]!.message).not.toContain('env.CLAUDE_CODE_USE_VERTEX');
  });

  it('cloud-provider-env: the policy itself switches Claude Code to a cloud provider', () => {
    const rk = CLEAN.removeKeys!.filter((k) => k !== 'env.CLAUDE_CODE_USE_BEDROCK');
    expect(only('cloud-provider-env', { CLAUDE_CODE_USE_BEDROCK: '1' }, { removeKeys: rk })).toMatchObject([{ severity: 'error', field: 'env.CLAUDE_CODE_USE_BEDROCK' }]);
    expect(only('cloud-provider-env', { CLAUDE_CODE_USE_BEDROCK: '1', ANTHROPIC_BEDROCK_BASE_URL: 'https://bifrost.example.com/bedrock' }, { removeKeys: rk })).toMatchObject([
      { severity: 'warning' },
    ]);
    // a policy may pin the switch off; then it must not also remove it, and it need not
    expect(codes({ CLAUDE_CODE_USE_BEDROCK: '0' }, { removeKeys: rk })).toEqual([]);
  });

  it('remove-conflicts-env: removing what the env sets is an error (the schema also refuses it)', () => {
    const base = policy();
    const p = { ...base, removeKeys: [...base.removeKeys, 'env.ANTHROPIC_BASE_URL'] };
    const w = run(p).filter((x) => x.code === 'remove-conflicts-env');
    expect(w).toMatchObject([{ severity: 'error', field: `removeKeys[${base.removeKeys.length}]` }]);
    expect(run({ ...base, removeKeys: ['env'] }).map((x) => x.code)).toContain('remove-conflicts-env');
    expect(policySchema.safeParse({ ...CLEAN, removeKeys: ['model', 'env.ANTHROPIC_BASE_URL'] }).success).toBe(false);
  });

  it('remove-conflicts-setting: a user-mode policy removing a key it writes', () => {
    const base = policy({}, { enforceIn: 'user', managedSettings: { model: 'sonnet' }, removeKeys: ['env.ANTHROPIC_MODEL'] });
    const w = run({ ...base, removeKeys: ['model', 'env.ANTHROPIC_MODEL'] }).filter((x) => x.code === 'remove-conflicts-setting');
    expect(w).toMatchObject([{ severity: 'error', field: 'removeKeys[0]' }]);
    // in managed mode the managed tier carries the value: removing it from user files is fine
    expect(codes({}, { managedSettings: { model: 'sonnet' } })).toEqual([]);
  });

  it('managed-only-key-in-user-mode, one warning per key', () => {
    const ms = { policyHelper: { path: '/opt/helper' }, availableModels: ['sonnet'], enforceAvailableModels: true, forceLoginMethod: 'console' as const, theme: 'dark' };
    const w = only('managed-only-key-in-user-mode', { ANTHROPIC_AUTH_TOKEN: null }, { enforceIn: 'user', managedSettings: ms });
    expect(w.map((x) => x.field).sort()).toEqual(['managedSettings.availableModels', 'managedSettings.enforceAvailableModels', 'managedSettings.forceLoginMethod', 'managedSettings.policyHelper']);
    expect(w.every((x) => x.severity === 'warning')).toBe(true);
    expect(codes({ ANTHROPIC_AUTH_TOKEN: null }, { managedSettings: ms })).not.toContain('managed-only-key-in-user-mode');
  });

  it('min-version-too-low: a minimum below what the policy relies on', () => {
    expect(only('min-version-too-low', {}, { minClaudeVersion: '2.1.50' })).toMatchObject([{ severity: 'warning', field: 'minClaudeVersion' }]);
    expect(codes({}, { minClaudeVersion: '2.1.83' })).toEqual([]);
    expect(codes({}, { minClaudeVersion: '2.1.50', enforceIn: 'user' })).toEqual([]);
    const lock = { managedSettings: { availableModels: ['sonnet', 'haiku', 'opus'], enforceAvailableModels: true } };
    expect(only('min-version-too-low', {}, { ...lock, minClaudeVersion: '2.1.100' })[0]!.message).toContain('2.1.175');
    expect(codes({}, { ...lock, minClaudeVersion: '2.1.175' })).toEqual([]);
    expect(only('min-version-too-low', { ANTHROPIC_DEFAULT_MODEL: 'sonnet' }, { minClaudeVersion: '2.1.200' })[0]!.message).toContain('2.1.236');
    expect(codes({}, { minClaudeVersion: '10.0.0' })).toEqual([]);
  });
});

describe('the gateway guide, as written', () => {
  it('its alias setup gets exactly the warnings the issue asks for', () => {
    const guide = policySchema.parse({
      id: 'guide',
      version: 1,
      env: {
        ANTHROPIC_BASE_URL: 'http://localhost:8080/anthropic',
        ANTHROPIC_API_KEY: 'your-virtual-key',
        ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model',
        ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model',
      },
      removeKeys: ['model'],
    });
    expect(run(guide).map((w) => `${w.severity}:${w.code}`)).toEqual([
      'error:placeholder-key',
      'warning:api-key-prompt',
      'warning:opus-unmapped',
      'warning:fable-unmapped',
      'warning:anthropic-model-not-removed',
      'warning:default-model-not-removed',
      'warning:cloud-provider-not-removed',
    ]);
  });
});

describe('every warning', () => {
  it('is well-formed: kebab-case code, errors first, a message with the fix', () => {
    const messy = policySchema.parse({
      id: 'messy',
      version: 1,
      env: { ANTHROPIC_BASE_URL: 'http://gw.example.com', ANTHROPIC_API_KEY: 'xxx', ANTHROPIC_SMALL_FAST_MODEL: 'openrouter/x', CLAUDE_CODE_USE_VERTEX: 'true' },
      removeKeys: [],
      enforceIn: 'user',
      managedSettings: { forceLoginMethod: 'claudeai', apiKeyHelper: '<helper>', model: 'claude-x', availableModels: ['opus'] },
      model: { keep: 'allowed', allowed: ['opus', 'claude-y'] },
      allowedModels: ['sonnet'],
      minClaudeVersion: '1.0.0',
    });
    const w = run(messy);
    expect(w.length).toBeGreaterThan(15);
    const firstWarning = w.findIndex((x) => x.severity === 'warning');
    expect(w.slice(firstWarning).every((x) => x.severity === 'warning')).toBe(true);
    for (const x of w) {
      expect(x.code).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
      expect(LINT_CODES).toContain(x.code);
      expect(x.message).toContain('Fix:');
      expect(x.message.length).toBeGreaterThan(40);
    }
  });
});

afterAll(() => {
  // Every documented code fired at least once in this file.
  expect([...LINT_CODES].filter((c) => !seen.has(c))).toEqual([]);
});
