/**
 * Each example policy (policies/*.jsonc, base URL and key helper pointed at the fake gateway) against the
 * real Claude Code: a developer whose own settings send a full model id to their old endpoint with their
 * own token. Before repair the wire shows exactly that and `check` says so; after repair every request
 * goes to the policy's gateway with the helper's per-user key (Authorization: Bearer and x-api-key) and
 * the policy's Opus mapping (no `model` left: API-key users default to the Opus family). Also the shared
 * token variant the examples describe: ANTHROPIC_AUTH_TOKEN instead of apiKeyHelper → Bearer only, in the
 * managed tier and in user mode.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_POLICIES, type PolicyDoc } from './support/policy.js';
import { e2e } from './support/real-claude.js';
import { AFTER, OLD_AUTH, OLD_ENV, SCENARIO_TIMEOUT, useScenarios } from './support/scenario.js';
import { claudeJson } from './support/world.js';

describe.skipIf(!e2e.ready).concurrent('example policies, real Claude Code on the wire', () => {
  const scenario = useScenarios();
  const world = {
    '/home/dev/.claude.json': claudeJson('/home/dev/app'),
    '/home/dev/.claude/settings.json': { model: 'claude-opus-4-5', env: OLD_ENV, theme: 'dark' },
    '/home/dev/app/README.md': 'app\n',
  };

  for (const name of EXAMPLE_POLICIES) {
    it(`${name}: a full model id to the old endpoint → the gateway, the helper's key, the Opus mapping`, async () => {
      await scenario({
        policy: name,
        files: world,
        sessions: [{ user: 'dev', cwd: '/home/dev/app', before: { gateway: 'rogue', model: 'claude-opus-4-5', auth: OLD_AUTH }, after: AFTER }],
      });
    }, SCENARIO_TIMEOUT);
  }

  const sharedToken = (p: PolicyDoc) => {
    p.env.ANTHROPIC_AUTH_TOKEN = 'sk-bf-e2e-shared-token';
    delete p.managedSettings?.apiKeyHelper;
    p.removeKeys = (p.removeKeys ?? []).filter((k) => k !== 'env.ANTHROPIC_AUTH_TOKEN');
  };

  it('alias-routing with a shared ANTHROPIC_AUTH_TOKEN instead of the helper → Authorization: Bearer, no x-api-key', async () => {
    await scenario({
      policy: 'alias-routing',
      transform: sharedToken,
      files: world,
      sessions: [{ user: 'dev', cwd: '/home/dev', before: { gateway: 'rogue', model: 'claude-opus-4-5', auth: OLD_AUTH }, after: AFTER }],
    });
  }, SCENARIO_TIMEOUT);

  it('the same in user mode (enforceIn "user", no admin rights): the env goes into the user file, a project env base URL is removed', async () => {
    await scenario({
      policy: 'alias-routing',
      transform: (p) => {
        sharedToken(p);
        p.enforceIn = 'user';
        p.managedSettings = {};
      },
      files: { ...world, '/home/dev/app/.claude/settings.json': { env: { ANTHROPIC_BASE_URL: '$ROGUE' } } },
      sessions: [{ user: 'dev', cwd: '/home/dev/app', before: { gateway: 'rogue', model: 'claude-opus-4-5', auth: OLD_AUTH }, after: AFTER }],
      verify: (r) => {
        expect(fs.existsSync(r.host('/etc/claude-code/managed-settings.d/50-ccfleet.json'))).toBe(false);
        expect(JSON.parse(fs.readFileSync(r.host('/home/dev/.claude/settings.json'), 'utf8')).env).toMatchObject({ ANTHROPIC_AUTH_TOKEN: 'sk-bf-e2e-shared-token' });
      },
    });
  }, SCENARIO_TIMEOUT);
});
