/**
 * Where a developer's model choice lives, against the real Claude Code (policy: alias-routing): `model` as
 * an alias and as a full id in the user, project (start folder) and local files, `ANTHROPIC_MODEL` in a
 * project env, and a user file with a comment (Claude Code ignores the whole file). Every world also
 * points at the developer's old endpoint with their own token, so before repair the request shows what
 * they chose and `check` must resolve the same model; after repair `model` and `env.ANTHROPIC_MODEL` are
 * gone and the policy's managed env decides. (A full id in the user file: example-policies.test.ts.)
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { e2e } from './support/real-claude.js';
import { AFTER, OLD_AUTH, OLD_ENV, SCENARIO_TIMEOUT, useScenarios } from './support/scenario.js';
import { claudeJson } from './support/world.js';

const APP = '/home/dev/app';
const known = { '/home/dev/.claude.json': claudeJson(APP), '/home/dev/app/README.md': 'app\n' };
const oldUser = (extra: Record<string, unknown> = {}, env: Record<string, string> = {}) => ({ '/home/dev/.claude/settings.json': { ...extra, env: { ...OLD_ENV, ...env } } });
const before = (model: string) => ({ gateway: 'rogue' as const, model, auth: OLD_AUTH });

describe.skipIf(!e2e.ready).concurrent('model keys in user, project and local files, real Claude Code on the wire', () => {
  const scenario = useScenarios();

  it('user file, alias "sonnet" (no mapping yet): the built-in Sonnet id before, the policy mapping after', async () => {
    await scenario({
      policy: 'alias-routing',
      files: { ...known, ...oldUser({ model: 'sonnet' }) },
      sessions: [{ user: 'dev', cwd: '/home/dev', before: before('claude-sonnet-5-5'), after: AFTER }],
    });
  }, SCENARIO_TIMEOUT);

  it('user file, full id with [1m] ("claude-opus-4-5[1m]"): sent without the suffix', async () => {
    await scenario({
      policy: 'alias-routing',
      files: { ...known, ...oldUser({ model: 'claude-opus-4-5[1m]' }) },
      sessions: [{ user: 'dev', cwd: '/home/dev', before: before('claude-opus-4-5'), after: AFTER }],
    });
  }, SCENARIO_TIMEOUT);

  it('project file, alias "haiku" mapped by the user env: the user mapping before, the policy after', async () => {
    await scenario({
      policy: 'alias-routing',
      files: { ...known, ...oldUser({}, { ANTHROPIC_DEFAULT_HAIKU_MODEL: 'old-haiku-route' }), [`${APP}/.claude/settings.json`]: { model: 'haiku' } },
      sessions: [{ user: 'dev', cwd: APP, before: before('old-haiku-route'), after: AFTER }],
    });
  }, SCENARIO_TIMEOUT);

  it('project file, full id "claude-sonnet-4-5" over a user alias', async () => {
    await scenario({
      policy: 'alias-routing',
      files: { ...known, ...oldUser({ model: 'haiku' }), [`${APP}/.claude/settings.json`]: { model: 'claude-sonnet-4-5', permissions: { allow: ['Bash(npm test)'] } } },
      sessions: [{ user: 'dev', cwd: APP, before: before('claude-sonnet-4-5'), after: AFTER }],
    });
  }, SCENARIO_TIMEOUT);

  it('local file, alias "opus[1m]" over a project "sonnet": the built-in Opus id before', async () => {
    await scenario({
      policy: 'alias-routing',
      files: { ...known, ...oldUser(), [`${APP}/.claude/settings.json`]: { model: 'sonnet' }, [`${APP}/.claude/settings.local.json`]: { model: 'opus[1m]' } },
      sessions: [{ user: 'dev', cwd: APP, before: before('claude-opus-5-5'), after: AFTER }],
    });
  }, SCENARIO_TIMEOUT);

  it('local file, full id "claude-haiku-4-5" over a project alias', async () => {
    await scenario({
      policy: 'alias-routing',
      files: { ...known, ...oldUser(), [`${APP}/.claude/settings.json`]: { model: 'opus' }, [`${APP}/.claude/settings.local.json`]: { model: 'claude-haiku-4-5' } },
      sessions: [{ user: 'dev', cwd: APP, before: before('claude-haiku-4-5'), after: AFTER }],
    });
  }, SCENARIO_TIMEOUT);

  it('project env ANTHROPIC_MODEL "sonnet" with a team mapping beats the user model key; after repair the managed mapping wins per key', async () => {
    await scenario({
      policy: 'alias-routing',
      files: {
        ...known,
        ...oldUser({ model: 'haiku' }),
        [`${APP}/.claude/settings.json`]: { env: { ANTHROPIC_MODEL: 'sonnet', ANTHROPIC_DEFAULT_SONNET_MODEL: 'team-sonnet' } },
      },
      sessions: [{ user: 'dev', cwd: APP, before: before('team-sonnet'), after: AFTER }],
      verify: (r) => {
        // ANTHROPIC_MODEL is removed; the team's mapping stays in the file but the managed env beats it.
        const text = fs.readFileSync(r.host(`${APP}/.claude/settings.json`), 'utf8');
        expect(JSON.parse(text)).toEqual({ env: { ANTHROPIC_DEFAULT_SONNET_MODEL: 'team-sonnet' } });
      },
    });
  }, SCENARIO_TIMEOUT);

  it('model.keep "allowed": the user\'s alias "sonnet" stays and maps through the policy; a full id in the project goes', async () => {
    await scenario({
      policy: 'alias-routing',
      transform: (p) => {
        p.model = { keep: 'allowed', allowed: ['sonnet', 'haiku', 'opus'] };
      },
      files: { ...known, ...oldUser({ model: 'sonnet' }), [`${APP}/.claude/settings.json`]: { model: 'claude-opus-4-5' } },
      sessions: [
        { user: 'dev', cwd: '/home/dev', before: before('claude-sonnet-5-5'), after: { ...AFTER, model: { alias: 'sonnet' } } },
        { user: 'dev', cwd: APP, before: before('claude-opus-4-5'), after: { ...AFTER, model: { alias: 'sonnet' } } },
      ],
    });
  }, SCENARIO_TIMEOUT);

  it('a user file with a comment is ignored whole by Claude Code, and by ccfleet: its model does not count, and it is left as it is', async () => {
    const commented = '{\n  // picked by hand\n  "model": "claude-opus-4-5",\n  "env": { "ANTHROPIC_DEFAULT_OPUS_MODEL": "commented-opus" }\n}\n';
    await scenario({
      policy: 'alias-routing',
      // The old endpoint comes from the project file: the user file has no effect at all.
      files: { ...known, '/home/dev/.claude/settings.json': commented, [`${APP}/.claude/settings.json`]: { env: OLD_ENV } },
      sessions: [{ user: 'dev', cwd: APP, before: before('claude-opus-5-5'), after: AFTER }],
      verify: (r) => {
        expect(fs.readFileSync(r.host('/home/dev/.claude/settings.json'), 'utf8')).toBe(commented);
        const f = r.after.check.files.find((x) => x.path === '/home/dev/.claude/settings.json');
        expect(f?.state).toBe('unparseable');
        expect(f?.findings.map((x) => x.code)).toContain('not-strict-json');
      },
    });
  }, SCENARIO_TIMEOUT);
});
