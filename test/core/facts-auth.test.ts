import { describe, expect, it } from 'vitest';
import { readClaudeJson, type ClaudeJsonFacts } from '../../src/core/claude-json.js';
import { authFacts } from '../../src/core/facts-auth.js';
import { fingerprint } from '../../src/core/fingerprint.js';
import type { Layer } from '../../src/core/model.js';

const KEY = 'sk-bf-policy-key-0123456789abcdefghij';
const SUFFIX = '0123456789abcdefghij';
const cj = (o: object | null): ClaudeJsonFacts => readClaudeJson(o === null ? null : JSON.stringify(o));
const managed = (settings: object): Layer => ({ label: 'managed', level: 'managed', settings: settings as Layer['settings'] });
const user = (settings: object): Layer => ({ label: 'user', level: 'user', settings: settings as Layer['settings'] });

describe('readClaudeJson', () => {
  it('reads projects, prompt answers, OAuth login and install method; tolerates a BOM, comments and odd shapes', () => {
    const f = readClaudeJson('\ufeff{"projects": {"/p": {}}, // c\n "customApiKeyResponses": {"approved": ["a", 3], "rejected": "x"}, "oauthAccount": {"emailAddress": "e"}, "installMethod": "native",}');
    expect(f).toEqual({ state: 'ok', projectKeys: ['/p'], approvedKeySuffixes: ['a'], rejectedKeySuffixes: [], oauthLogin: true, installMethod: 'native' });
    expect(readClaudeJson(null).state).toBe('absent');
    expect(readClaudeJson('[1,2]').state).toBe('unreadable');
    expect(readClaudeJson('{"oauthAccount": null}').oauthLogin).toBe(false);
  });
});

describe('authFacts: the credential in Claude Code\'s order, fingerprints only', () => {
  it('auth token beats an API key; both go out, which is flagged as ambiguous', () => {
    const r = authFacts([managed({ env: { ANTHROPIC_AUTH_TOKEN: 'tok-1' } }), user({ env: { ANTHROPIC_API_KEY: KEY } })], cj({}));
    expect(r.auth).toMatchObject({ credential: 'auth-token', source: 'managed', fingerprint: fingerprint('tok-1'), headers: { authorization: 'auth-token', xApiKey: 'api-key' } });
    expect(r.findings.map((f) => f.code)).toEqual(['credential-ambiguous']);
  });

  it('an approved API key is the credential; nothing to say', () => {
    const r = authFacts([managed({ env: { ANTHROPIC_API_KEY: KEY } })], cj({ customApiKeyResponses: { approved: [SUFFIX], rejected: [] } }));
    expect(r.auth).toMatchObject({ credential: 'api-key', apiKeyResponse: 'approved', fingerprint: fingerprint(KEY), headers: { authorization: null, xApiKey: 'api-key' } });
    expect(r.findings).toEqual([]);
  });

  it('a rejected API key: key-rejected, and the session falls to the helper, or to nothing ("Not logged in")', () => {
    const rejected = cj({ customApiKeyResponses: { approved: [], rejected: [SUFFIX] } });
    const alone = authFacts([managed({ env: { ANTHROPIC_API_KEY: KEY } })], rejected);
    expect(alone.auth).toMatchObject({ credential: 'none', apiKeyResponse: 'rejected' });
    expect(alone.findings[0]).toMatchObject({ code: 'key-rejected', blocking: false });
    expect(alone.findings[0]!.message).toContain('Not logged in');
    const withHelper = authFacts([managed({ apiKeyHelper: '/usr/local/bin/vk', env: { ANTHROPIC_API_KEY: KEY } })], rejected);
    expect(withHelper.auth).toMatchObject({ credential: 'api-key-helper', apiKeyHelper: '/usr/local/bin/vk', fingerprint: null });
    expect(withHelper.findings[0]!.message).toContain('api-key-helper');
  });

  it('another key\'s rejection does not count: only the last 20 characters of this key match', () => {
    const r = authFacts([managed({ env: { ANTHROPIC_API_KEY: KEY } })], cj({ customApiKeyResponses: { rejected: ['zz' + SUFFIX.slice(2)] } }));
    expect(r.auth.apiKeyResponse).toBe('unanswered');
    expect(r.findings.map((f) => f.code)).toEqual(['key-unapproved']);
  });

  it('the helper: the highest level that sets it; both headers carry its output', () => {
    const r = authFacts([managed({ apiKeyHelper: '/m' }), user({ apiKeyHelper: '/u' })], cj(null));
    expect(r.auth).toMatchObject({ credential: 'api-key-helper', source: 'managed', apiKeyHelper: '/m', claudeJson: 'absent', headers: { authorization: 'api-key-helper', xApiKey: 'api-key-helper' } });
  });

  it('cloud providers, an OAuth token in settings, an OAuth login, nothing', () => {
    expect(authFacts([user({ env: { CLAUDE_CODE_USE_BEDROCK: '1', ANTHROPIC_AUTH_TOKEN: 't' } })], cj({})).auth.credential).toBe('cloud-provider');
    expect(authFacts([user({ env: { CLAUDE_CODE_USE_VERTEX: '0' } })], cj({})).auth.credential).toBe('none');
    expect(authFacts([user({ env: { CLAUDE_CODE_OAUTH_TOKEN: 'o' } })], cj({})).auth).toMatchObject({ credential: 'oauth-token', fingerprint: fingerprint('o') });
    expect(authFacts([], cj({ oauthAccount: { emailAddress: 'a@b' } })).auth).toMatchObject({ credential: 'oauth-login', source: 'claude.json', oauthLogin: true });
  });

  it('an empty value is no credential; a higher empty value hides a lower one', () => {
    expect(authFacts([managed({ env: { ANTHROPIC_AUTH_TOKEN: '' } }), user({ env: { ANTHROPIC_AUTH_TOKEN: 't' } })], cj({})).auth.credential).toBe('none');
  });

  it('never carries a raw credential anywhere in its output', () => {
    const out = JSON.stringify(authFacts([managed({ env: { ANTHROPIC_AUTH_TOKEN: 'tok-secret-1', ANTHROPIC_API_KEY: KEY } })], cj({ customApiKeyResponses: { rejected: [SUFFIX] } })));
    expect(out).not.toContain('tok-secret-1');
    expect(out).not.toContain(SUFFIX);
  });
});
