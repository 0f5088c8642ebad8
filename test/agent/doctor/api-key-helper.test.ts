// The apiKeyHelper guard (only root-controlled, single-path helpers run) and the runner (deadline, output
// kept in memory, the target user's uid when we are root), plus how the credential becomes headers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { helperRefusal, runApiKeyHelper, spawnHelper } from '../../../src/agent/doctor/api-key-helper.js';
import { customHeaders, gatewayCredential, scrub } from '../../../src/agent/doctor/credential.js';
import { fingerprint } from '../../../src/core/fingerprint.js';
import { policySchema } from '../../../src/core/policy-schema.js';

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A script in a fresh 0755 temp folder (under /tmp: world-writable, so the guard refuses it). */
function script(body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-helper-'));
  dirs.push(dir);
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'helper.sh');
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

const ctx = { underRoot: false, platform: 'linux' as NodeJS.Platform, uid: process.getuid?.(), asUser: null, timeoutMs: 5000 };

describe('helperRefusal', () => {
  it.each([
    ['helper.sh', /single absolute path/],
    ['/usr/bin/env FOO=1 /bin/true', /single absolute path/],
    ['/bin/true;rm', /single absolute path/],
    ['$HOME/bin/key', /single absolute path/],
    ['/nonexistent/helper', /ENOENT/],
    ['/etc/passwd', /not executable/],
    ['/usr/bin', /not a regular file/],
  ])('%s', (cmd, why) => expect(helperRefusal(cmd)).toMatch(why));

  it('a helper below a folder others can write (/tmp) is refused', () => {
    expect(helperRefusal(script('echo k'))).toMatch(/writable by group or others/);
  });

  it.runIf(fs.statSync('/usr/bin/true').uid === 0 && (fs.statSync('/usr/bin').mode & 0o022) === 0)('a root-owned helper in root-only folders may run', () => {
    expect(helperRefusal('/usr/bin/true')).toBeNull();
  });
});

describe('runApiKeyHelper', () => {
  it('never under --root, never on Windows, and as root never without a user to run as', async () => {
    expect(await runApiKeyHelper('/usr/bin/whoami', { ...ctx, underRoot: true })).toEqual({ ok: false, status: 'skipped', reason: 'apiKeyHelper is never run under --root' });
    expect(await runApiKeyHelper('/usr/bin/whoami', { ...ctx, platform: 'win32' })).toMatchObject({ ok: false, status: 'skipped' });
    expect(await runApiKeyHelper('/usr/bin/whoami', { ...ctx, uid: 0, asUser: null })).toMatchObject({ ok: false, status: 'skipped', reason: expect.stringMatching(/no user/) });
    expect(await runApiKeyHelper(script('echo k'), ctx)).toMatchObject({ ok: false, status: 'skipped', reason: expect.stringMatching(/writable by group or others/) });
  });

  it.runIf(isRoot)('as root: runs a safe helper with the target user\'s uid', async () => {
    const out = await runApiKeyHelper('/usr/bin/id', { ...ctx, uid: 0, asUser: { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' } });
    expect(out).toMatchObject({ ok: true, value: expect.stringMatching(/^uid=65534\b.*gid=65534\b/) });
    // Supplementary groups are dropped with the uid.
    expect(out.ok && out.value).not.toMatch(/groups=.*\b0\(root\)/);
  });
});

describe('spawnHelper', () => {
  it('returns the trimmed output; a failing, silent or slow helper is a problem, its output never in the reason', async () => {
    expect(await spawnHelper(script('echo "  sk-bf-from-helper  "'), { timeoutMs: 5000, user: null })).toEqual({ ok: true, value: 'sk-bf-from-helper' });
    expect(await spawnHelper(script('echo sk-bf-x; exit 3'), { timeoutMs: 5000, user: null })).toEqual({ ok: false, status: 'problem', reason: 'apiKeyHelper exited with status 3' });
    expect(await spawnHelper(script('true'), { timeoutMs: 5000, user: null })).toMatchObject({ ok: false, reason: 'apiKeyHelper printed nothing' });
    expect(await spawnHelper(script('exec sleep 30'), { timeoutMs: 200, user: null })).toMatchObject({ ok: false, reason: 'apiKeyHelper timed out after 200 ms' });
    expect(await spawnHelper('/nonexistent/x', { timeoutMs: 200, user: null })).toMatchObject({ ok: false, reason: expect.stringMatching(/could not start \(ENOENT\)/) });
  });

  it('runs with a minimal environment', async () => {
    process.env.CCFLEET_TEST_LEAK = 'leak';
    try {
      const out = await spawnHelper(script('echo "[${CCFLEET_TEST_LEAK:-none}]"'), { timeoutMs: 5000, user: null });
      expect(out).toEqual({ ok: true, value: '[none]' });
    } finally {
      delete process.env.CCFLEET_TEST_LEAK;
    }
  });

  it.runIf(isRoot)('as root with a user: the helper runs with that uid and gid', async () => {
    expect(await spawnHelper(script('echo "$(id -u):$(id -g):$HOME:$USER"'), { timeoutMs: 5000, user: { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' } }))
      .toEqual({ ok: true, value: '65534:65534:/nonexistent:nobody' });
  });
});

describe('gatewayCredential', () => {
  const policy = (env: Record<string, string>, managedSettings: Record<string, unknown> = {}) => policySchema.parse({ id: 'p', version: 1, env, managedSettings });

  it('Claude Code\'s order: AUTH_TOKEN (Bearer) > API_KEY (x-api-key) > apiKeyHelper; custom headers go along', async () => {
    const both = await gatewayCredential(policy({ ANTHROPIC_AUTH_TOKEN: 'sk-bf-t', ANTHROPIC_API_KEY: 'sk-bf-k', ANTHROPIC_CUSTOM_HEADERS: 'x-bf-vk: sk-bf-h\nbad line\nX-Team: a' }), ctx);
    expect(both).toEqual({
      state: 'ready',
      headers: { authorization: 'Bearer sk-bf-t', 'x-bf-vk': 'sk-bf-h', 'x-team': 'a' },
      secrets: ['sk-bf-t', 'sk-bf-h', 'a'],
      fingerprint: fingerprint('sk-bf-t'),
      label: `ANTHROPIC_AUTH_TOKEN ${fingerprint('sk-bf-t')}`,
    });
    expect(await gatewayCredential(policy({ ANTHROPIC_API_KEY: 'sk-bf-k' }), ctx)).toMatchObject({ headers: { 'x-api-key': 'sk-bf-k' }, label: `ANTHROPIC_API_KEY ${fingerprint('sk-bf-k')}` });
    expect(await gatewayCredential(policy({}, { apiKeyHelper: '/usr/bin/whoami' }), { ...ctx, underRoot: true })).toEqual({ state: 'skipped', reason: 'apiKeyHelper is never run under --root' });
    expect(await gatewayCredential(policy({}), ctx)).toMatchObject({ state: 'ready', headers: {}, fingerprint: null, label: 'no credential' });
  });

  it.runIf(isRoot)('a helper\'s output is sent as both headers', async () => {
    const c = await gatewayCredential(policy({}, { apiKeyHelper: '/usr/bin/whoami' }), { ...ctx, uid: 0, asUser: { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' } });
    expect(c).toMatchObject({ state: 'ready', headers: { authorization: 'Bearer nobody', 'x-api-key': 'nobody' }, label: `apiKeyHelper ${fingerprint('nobody')}` });
  });
});

describe('scrub and customHeaders', () => {
  it('replaces each secret and anything shaped like sk-… with a fingerprint', () => {
    expect(scrub('bad key abcdef-123 and sk-ant-api03-zzzzzzzz', ['abcdef-123'])).toBe(`bad key ${fingerprint('abcdef-123')} and ${fingerprint('sk-ant-api03-zzzzzzzz')}`);
  });
  it('parses "Name: Value" lines, skipping invalid names and empty values', () => {
    expect(customHeaders('A: 1\r\nbad name: 2\nB:\nC : three ')).toEqual({ headers: { a: '1', c: 'three' }, secrets: ['1', 'three'] });
  });
});
