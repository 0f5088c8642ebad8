/**
 * `status` (always exit 0): every user, for each session which settings level wins each env key, the
 * selected model and where it comes from. And no secret value in any output: the policy's
 * ANTHROPIC_AUTH_TOKEN, a key in ANTHROPIC_CUSTOM_HEADERS and the tokens users keep in their own files
 * appear in no stdout or stderr of
 * check / repair / repair --dry-run / status, text or JSON, in either enforcement mode — only a fingerprint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/core/fingerprint.js';
import { ENV, SECRET, fixture, type Fixture } from './e2e-fixture.js';

const USER_TOKEN = 'sk-user-own-token-4b1d0c2e9f';
const PROJECT_TOKEN = 'sk-project-token-a8e5c3b7d1';
/** A gateway key in a custom header (Bifrost's virtual-key header). */
const HEADER_KEY = 'sk-bf-header-key-5c0ffee9d2';

function machine(): Fixture {
  const f = fixture('linux', [{ name: 'alice' }, { name: 'bob' }]);
  f.put('/home/alice/.claude/settings.json', JSON.stringify({ model: 'claude-opus-4-5', env: { ANTHROPIC_AUTH_TOKEN: USER_TOKEN, DEBUG: '1' } }, null, 2));
  f.put('/home/alice/.claude.json', JSON.stringify({ projects: { '/home/alice/app': {} } }));
  f.put('/home/alice/app/.claude/settings.json', JSON.stringify({ model: 'sonnet', env: { ANTHROPIC_AUTH_TOKEN: PROJECT_TOKEN } }));
  return f;
}

describe('status', () => {
  let f: Fixture;
  beforeAll(() => {
    f = machine();
  });
  afterAll(() => f.cleanup());

  it('on a drifted machine: exit 0, each user, each session, the winning level per env key, the model and its source', () => {
    const r = f.run('status');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/NOT compliant/);
    expect(r.stdout).toMatch(/^user alice — NOT compliant/m);
    expect(r.stdout).toMatch(/^user bob — NOT compliant/m);
    expect(r.stdout).toMatch(/session in \/home\/alice \(no project settings\): model claude-opus-4-5 ← user\.model {2}NOT OK: .*model-unmapped claude-opus-4-5/);
    expect(r.stdout).toMatch(/session in \/home\/bob \(no project settings\): model claude-opus-5-5 \(opus\) ← default/);
    expect(r.stdout).toMatch(/session in \/home\/alice\/app: model \S+ \(sonnet\) ← project:\/home\/alice\/app\.model/);
    expect(r.stdout).toMatch(new RegExp(`ANTHROPIC_AUTH_TOKEN = ${fingerprint(PROJECT_TOKEN)}  ← project:/home/alice/app`));
    expect(r.stdout).toMatch(new RegExp(`ANTHROPIC_AUTH_TOKEN = ${fingerprint(USER_TOKEN)}  ← user`));
    expect(r.stdout).toMatch(/ANTHROPIC_BASE_URL = \(unset\)/);
  });

  it('after repair: managed wins every policy key, the model is the mapped default', () => {
    expect(f.run('repair').code).toBe(0);
    const r = f.run('status');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^policy e2e v1 on linux — compliant/);
    expect(r.stdout).toMatch(/ANTHROPIC_BASE_URL = https:\/\/gw\.example\.com\/anthropic {2}← managed/);
    expect(r.stdout).toMatch(new RegExp(`ANTHROPIC_AUTH_TOKEN = ${fingerprint(SECRET)}  ← managed`));
    expect(r.stdout).toMatch(/session in \/home\/alice\/app: model opus-model \(opus\) ← default/);
    const j = f.json('status');
    expect(j.code).toBe(0);
    const alice = j.json.users.find((u: { name: string }) => u.name === 'alice');
    expect(alice.env.ANTHROPIC_BASE_URL).toEqual({ value: 'https://gw.example.com/anthropic', source: 'managed' });
    expect(alice.env.ANTHROPIC_AUTH_TOKEN).toEqual({ value: fingerprint(SECRET), source: 'managed' });
    expect(alice.selectedModel).toEqual({ requested: 'opus', resolved: 'opus-model', source: 'default' });
  });
});

describe('no secret in any output', () => {
  it.each(['managed', 'user'])('enforceIn %s: check, repair --dry-run, repair, status (text and JSON) show only fingerprints', (mode) => {
    const f = machine();
    try {
      f.setPolicy({ enforceIn: mode, env: { ...ENV, ANTHROPIC_CUSTOM_HEADERS: `x-bf-vk: ${HEADER_KEY}` } });
      const runs = [
        ['check'], ['check', '--json'], ['status'], ['status', '--json'],
        ['repair', '--dry-run'], ['repair', '--dry-run', '--json'], ['repair', '--json'],
        ['check', '--json'], ['status'], ['repair'],
      ].map((args) => f.run(...args));
      expect(runs.every((r) => r.code === 0 || r.code === 1)).toBe(true);
      const all = runs.map((r) => r.stdout + r.stderr).join('\n');
      for (const secret of [SECRET, USER_TOKEN, PROJECT_TOKEN, HEADER_KEY]) {
        expect(all).not.toContain(secret);
        expect(all).not.toContain(secret.slice(-20)); // not even the part Claude Code keys approvals on
      }
      expect(all).toContain(fingerprint(SECRET));
      expect(all).toContain(`ANTHROPIC_CUSTOM_HEADERS = ${fingerprint(`x-bf-vk: ${HEADER_KEY}`)}`);
    } finally {
      f.cleanup();
    }
  });
});
