/**
 * The facts no settings file holds, as `check --json` and `status` report them per user: Claude Code
 * installs and version (from paths and package files; nothing is run), the credential the settings give
 * Claude Code (fingerprints only), and the model really used (transcript tails). They add non-blocking
 * findings and never change what a run writes.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/core/fingerprint.js';
import { ENV, fixture, SECRET, userOf, type Fixture } from './e2e-fixture.js';

const API_KEY = 'sk-bf-user-facts-key-0123456789abcdefghij';
const HOUR = 3600_000;

const assistant = (at: Date, model: string, requested?: string, cwd = '/home/alice/api') =>
  JSON.stringify({ type: 'assistant', timestamp: at.toISOString(), cwd, sessionId: 's', requestedModel: requested, message: { model, role: 'assistant', content: [{ type: 'text', text: 'SECRET CONTENT' }] } });

describe('per-user facts: installs, credential, model really used', () => {
  let f: Fixture;
  const now = Date.now();
  beforeAll(() => {
    f = fixture('linux', [{ name: 'alice' }, { name: 'bob' }], { minClaudeVersion: '2.1.200' });
    // alice: a native install of an old version, and the npm wrapper of a newer one; Claude Code says native.
    f.put('/home/alice/.local/share/claude/versions/2.1.100', '#!/bin/sh\necho ran > /tmp/ccfleet-must-not-run\n', 0o755);
    fs.mkdirSync(f.host('/home/alice/.local/bin'), { recursive: true });
    fs.symlinkSync('../share/claude/versions/2.1.100', f.host('/home/alice/.local/bin/claude'));
    f.put('/usr/lib/node_modules/@anthropic-ai/claude-code/package.json', JSON.stringify({ name: '@anthropic-ai/claude-code', version: '2.1.300' }));
    f.put('/home/alice/.claude.json', JSON.stringify({ installMethod: 'native', projects: { '/home/alice/api': {} }, customApiKeyResponses: { approved: [], rejected: [API_KEY.slice(-20)] }, oauthAccount: { emailAddress: 'alice@example.com' } }));
    f.put('/home/alice/api/.claude/settings.json', '{}\n');
    const t = (h: number) => new Date(now - h * HOUR);
    f.put('/home/alice/.claude/projects/-home-alice-api/one.jsonl', [assistant(t(30), 'opus-model', 'opus-model[1m]'), assistant(t(20), 'claude-opus-4-5', 'claude-opus-4-5')].join('\n') + '\n');
    f.put('/home/alice/.claude/projects/-home-alice-api/two.jsonl', [assistant(t(2), 'sonnet-model', 'sonnet-model'), JSON.stringify({ type: 'assistant', timestamp: t(1).toISOString(), message: { model: '<synthetic>' } })].join('\n') + '\n');
    // bob: nothing installed, never ran it, a user-file API key next to the policy's token.
    f.put('/home/bob/.claude/settings.json', JSON.stringify({ env: { ANTHROPIC_API_KEY: API_KEY } }));
    expect(f.json('repair').code).toBe(0); // the managed drop-in now gives the policy's credential
  });
  afterAll(() => f.cleanup());

  it('check --json: claude, auth and lastUsedModel per user, with their findings (non-blocking)', () => {
    const r = f.json('check');
    const alice = userOf(r, 'alice') as any;
    expect(alice.claude).toMatchObject({ version: '2.1.100', installMethod: 'native', minVersion: '2.1.200', outdated: true });
    expect(alice.claude.installs).toEqual(expect.arrayContaining([
      expect.objectContaining({ method: 'native', path: '/home/alice/.local/bin/claude', version: '2.1.100' }),
      expect.objectContaining({ method: 'npm-global', version: '2.1.300' }),
    ]));
    expect(alice.auth).toMatchObject({ credential: 'auth-token', source: 'managed', fingerprint: fingerprint(SECRET), oauthLogin: true, apiKeyResponse: null, claudeJson: 'ok' });
    expect(alice.lastUsedModel).toMatchObject({ served: 'sonnet-model', requested: 'sonnet-model', cwd: '/home/alice/api', mapped: true });
    expect(alice.usage).toMatchObject({ filesRead: 2, filesSeen: 2 });
    const codes = alice.findings.map((x: any) => x.code);
    expect(codes).toEqual(expect.arrayContaining(['claude-outdated', 'model-override-used']));
    const override = alice.findings.find((x: any) => x.code === 'model-override-used');
    expect(override).toMatchObject({ key: 'claude-opus-4-5', blocking: false });
    expect(alice.findings.filter((x: any) => x.code === 'model-override-used')).toHaveLength(1); // opus-model is mapped

    const bob = userOf(r, 'bob') as any;
    expect(bob.claude).toMatchObject({ version: '2.1.300', outdated: false });
    expect(bob.auth).toMatchObject({ credential: 'auth-token', apiKeyResponse: 'unanswered', claudeJson: 'absent', headers: { authorization: 'auth-token', xApiKey: 'api-key' } });
    expect(bob.lastUsedModel).toBeNull();
    expect(bob.usage.note).toBe('no-transcripts');
    expect(bob.findings.map((x: any) => x.code)).toContain('credential-ambiguous');
    // Nothing was run, no secret and no transcript content in the output.
    expect(fs.existsSync('/tmp/ccfleet-must-not-run')).toBe(false);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).not.toContain(API_KEY);
    expect(r.stdout).not.toContain(API_KEY.slice(-20));
    expect(r.stdout).not.toContain('SECRET CONTENT');
    expect(r.stdout).not.toContain('alice@example.com');
  });

  it('a rejected policy key: key-rejected, the session has no credential', () => {
    const env = { ...ENV, ANTHROPIC_API_KEY: API_KEY } as Record<string, string>;
    delete env.ANTHROPIC_AUTH_TOKEN;
    f.setPolicy({ env });
    try {
      f.json('repair');
      const r = f.json('check');
      const alice = userOf(r, 'alice') as any;
      expect(alice.auth).toMatchObject({ credential: 'oauth-login', apiKeyResponse: 'rejected', oauthLogin: true });
      expect(alice.findings.find((x: any) => x.code === 'key-rejected')).toMatchObject({ key: 'env.ANTHROPIC_API_KEY', blocking: false });
      expect(r.stdout).not.toContain(API_KEY);
    } finally {
      f.setPolicy({ minClaudeVersion: '2.1.200' });
      f.json('repair');
    }
  });

  it('status shows the facts in words', () => {
    const r = f.run('status');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Claude Code 2\.1\.100 \(native\).*older than the policy's minimum 2\.1\.200/);
    expect(r.stdout).toMatch(/credential: auth-token from managed/);
    expect(r.stdout).toMatch(/last model used: sonnet-model .* in \/home\/alice\/api/);
    expect(r.stdout).not.toContain(SECRET);
    const table = f.run('check').stdout;
    expect(table).toMatch(/\(installs, credential, usage\)\s+note\s+claude-outdated, model-override-used claude-opus-4-5\s+last used sonnet-model/);
  });

  it('facts never make a compliant machine non-compliant, and repair writes nothing because of them', () => {
    f.put('/home/bob/.claude/settings.json', '{}\n');
    const repair = f.json('repair');
    expect(repair.code, JSON.stringify(repair.json.users.map((u: any) => u.findings))).toBe(0);
    const before = f.snap();
    const again = f.json('repair');
    expect(again.code).toBe(0);
    expect(f.snap()).toEqual(before);
  });
});
