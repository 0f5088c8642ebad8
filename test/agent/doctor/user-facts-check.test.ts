import { describe, expect, it } from 'vitest';
import type { MachineReport } from '../../../src/agent/report-types.js';
import { userClaudeChecks } from '../../../src/agent/doctor/user-facts-check.js';

type User = MachineReport['users'][number];
const user = (over: Partial<User> = {}): User => ({
  name: 'alice', home: '/home/alice', configDir: '/home/alice/.claude', compliant: true, env: {}, projects: [], findings: [],
  selectedModel: { requested: 'opus', resolved: 'opus-model', source: 'default' },
  claude: { installs: [{ method: 'native', path: '/home/alice/.local/bin/claude', version: '2.1.332' }], version: '2.1.332', installMethod: 'native', minVersion: null, outdated: null },
  auth: { credential: 'auth-token', source: 'managed', fingerprint: 'fp:0123456789ab', apiKeyResponse: null, oauthLogin: false, claudeJson: 'ok', headers: { authorization: 'auth-token', xApiKey: null } },
  lastUsedModel: { served: 'opus-model', requested: 'opus-model', at: '2026-11-25T10:00:00.000Z', cwd: '/home/alice', mapped: true },
  usage: { filesRead: 1, filesSeen: 1 },
  ...over,
});
const run = (u: User) => userClaudeChecks({ users: [u] } as unknown as MachineReport)[0]!;

describe('doctor user-claude', () => {
  it('ok with the facts in the message', () => {
    expect(run(user())).toMatchObject({ status: 'ok', target: 'alice', message: 'Claude Code 2.1.332, credential auth-token fp:0123456789ab, last used opus-model' });
  });

  it('no credential, or a rejected key, is a problem', () => {
    expect(run(user({ auth: { ...user().auth, credential: 'none', source: null, fingerprint: null } })).status).toBe('problem');
    const rejected = run(user({ auth: { ...user().auth, credential: 'oauth-login' }, findings: [{ code: 'key-rejected', blocking: false }] }));
    expect(rejected.status).toBe('problem');
    expect(rejected.message).toMatch(/rejected.*claude\.ai login/);
  });

  it('outdated, ambiguous credentials and a model override are warnings', () => {
    const w = run(user({
      claude: { ...user().claude, minVersion: '2.2.0', outdated: true },
      findings: [{ code: 'credential-ambiguous', blocking: false }, { code: 'model-override-used', key: 'claude-opus-4-1', blocking: false }],
    }));
    expect(w.status).toBe('warning');
    expect(w.message).toMatch(/older than the policy's minimum 2\.2\.0; two different credentials.*; recent sessions asked for claude-opus-4-1/);
  });
});
