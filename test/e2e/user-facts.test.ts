/**
 * The per-user facts no settings file holds, against the real Claude Code (policy: alias-routing). Every
 * scenario of the suite already judges `lastUsedModel` and the credential facts against the wire
 * (support/facts.ts); these two make the client the judge of the rest:
 *   - the installed version: the developer's native install (`~/.local/bin/claude` →
 *     `../share/claude/versions/<v>` → the pinned binary) prints its version when run as that user, and
 *     ccfleet — which never runs it — reads the same version from the layout; a policy minimum above it
 *     gives `claude-outdated`, which does not make the machine non-compliant;
 *   - someone ran `--model`: the flag beats every setting, so after repair the request carries a model the
 *     policy does not map; ccfleet's selected model (a session with no flags) cannot know it, but the next
 *     `check` reads it from the transcript: `lastUsedModel` unmapped and a `model-override-used` finding —
 *     non-blocking, the machine stays compliant. (A retired id such as claude-opus-4-1 is no override:
 *     Claude Code sends it as the opus alias, which the policy maps.);
 *   - a developer's own ANTHROPIC_API_KEY, unanswered and rejected: `claude -p` sends it as x-api-key either
 *     way (docs/claude-code-wire-facts.md K01), which the auth facts' `headers` say; the credential ccfleet
 *     names is the key only while it is not rejected (an interactive session would not use it) —
 *     the fingerprint claims of support/facts.ts then run on x-api-key.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLAUDE_IN_NS, CLAUDE_VERSION, e2e } from './support/real-claude.js';
import { AFTER, OLD_AUTH, OLD_ENV, SCENARIO_TIMEOUT, useScenarios } from './support/scenario.js';
import { claudeJson } from './support/world.js';

const home = { '/home/dev/.claude.json': claudeJson('/home/dev/app'), '/home/dev/.claude/settings.json': { model: 'sonnet', env: OLD_ENV }, '/home/dev/app/README.md': 'app\n' };
const SONNET_BEFORE = { gateway: 'rogue' as const, model: 'claude-sonnet-5-5', auth: OLD_AUTH };

/** The next patch version: a minimum just above the pinned one. */
const above = (v: string) => v.replace(/(\d+)$/, (d) => String(Number(d) + 1));

describe.skipIf(!e2e.ready).concurrent('facts per user, real Claude Code as the judge', () => {
  const scenario = useScenarios();

  it('native install: the version the launcher prints is the version ccfleet reads from the layout; a minimum above it → claude-outdated, still compliant', async () => {
    const LAUNCHER = '/home/dev/.local/bin/claude';
    const VERSIONS = '/home/dev/.local/share/claude/versions';
    await scenario({
      policy: 'alias-routing',
      transform: (p) => void (p.minClaudeVersion = above(CLAUDE_VERSION)),
      files: home,
      // As the native installer lays it out: the launcher a relative link into versions/, the version entry
      // the binary itself (here a link to the pinned binary as the namespace shows it).
      links: { [`${VERSIONS}/${CLAUDE_VERSION}`]: CLAUDE_IN_NS, [LAUNCHER]: path.posix.join('..', 'share', 'claude', 'versions', CLAUDE_VERSION) },
      sessions: [{ user: 'dev', cwd: '/home/dev', before: SONNET_BEFORE, after: AFTER }],
      verify: async (r) => {
        const run = await r.exec('dev', [LAUNCHER, '--version']);
        expect(run.code, run.stderr).toBe(0);
        // "2.1.332 (Claude Code)"
        const printed = /^(\d+\.\d+\.\d+) \(Claude Code\)$/.exec(run.stdout.trim())?.[1];
        expect(printed, run.stdout).toBe(CLAUDE_VERSION);
        for (const [when, report] of [['before', r.before.check], ['after', r.after.check], ['recheck', r.after.recheck]] as const) {
          const dev = report.users.find((u) => u.name === 'dev')!;
          expect(dev.claude.version, when).toBe(printed);
          expect(dev.claude.installs[0], when).toMatchObject({ method: 'native', version: printed });
          expect(dev.claude.outdated, when).toBe(true);
          expect(dev.findings.filter((f) => f.code === 'claude-outdated'), when).toEqual([expect.objectContaining({ blocking: false })]);
        }
        expect(r.after.recheck.compliant).toBe(true);
      },
    });
  }, SCENARIO_TIMEOUT);

  // The override is a full id the policy does not map and enforceAvailableModels lets through (an "opus"
  // family id): claude-opus-4-5 goes out verbatim. A retired id does not: 2.1.332 sends `--model
  // claude-opus-4-1` (and claude-opus-4-0, claude-opus-4-1-20250805) as the opus alias — the policy's
  // ANTHROPIC_DEFAULT_OPUS_MODEL after repair, claude-opus-5-5 before — so that run is compliant on the wire
  // and leaves no override behind.
  it('someone ran --model after repair: the wire shows the model, the next check reports it used (unmapped, model-override-used) and still compliant', async () => {
    const OVERRIDE = 'claude-opus-4-5';
    await scenario({
      policy: 'alias-routing',
      files: home,
      sessions: [
        { user: 'dev', cwd: '/home/dev', before: SONNET_BEFORE, after: AFTER },
        {
          user: 'dev',
          cwd: '/home/dev/app',
          args: ['--model', 'claude-opus-4-1'],
          before: { gateway: 'rogue', model: 'claude-opus-5-5', auth: OLD_AUTH },
          after: AFTER,
        },
        // The flag beats every setting, ccfleet's enforced ones too: the wire is not compliant, while ccfleet's
        // verdict for the session (one started with no flags, by contract) is.
        {
          user: 'dev',
          cwd: '/home/dev/app',
          args: ['--model', OVERRIDE],
          before: { gateway: 'rogue', model: OVERRIDE, auth: OLD_AUTH },
          after: { gateway: 'policy', model: OVERRIDE, auth: 'policy', compliant: false, verdict: true },
        },
      ],
      verify: (r) => {
        const dev = r.after.recheck.users.find((u) => u.name === 'dev')!;
        expect(dev.lastUsedModel).toMatchObject({ served: OVERRIDE, cwd: '/home/dev/app', mapped: false });
        const overrides = dev.findings.filter((f) => f.code === 'model-override-used');
        expect(overrides.filter((f) => f.key === OVERRIDE)).toEqual([expect.objectContaining({ blocking: false })]);
        expect(overrides.map((f) => f.key)).not.toContain('claude-opus-4-1');
        expect(dev.compliant).toBe(true);
        expect(r.after.recheck.compliant).toBe(true);
      },
    });
  }, SCENARIO_TIMEOUT);

  it("a developer's own ANTHROPIC_API_KEY, unanswered and rejected: x-api-key on the wire both times, the credential ccfleet names differs", async () => {
    const key = (who: string) => `sk-ant-${who}-own-key-0123456789abcdefghij`;
    const own = (who: string) => ({ env: { ANTHROPIC_BASE_URL: '$ROGUE', ANTHROPIC_API_KEY: key(who) } });
    // No model anywhere: an API-key session defaults to the Opus family (claude-opus-5-5 before the mapping).
    const before = (who: string) => ({ gateway: 'rogue' as const, model: 'claude-opus-5-5', auth: { apiKey: key(who) } });
    await scenario({
      policy: 'alias-routing',
      users: [{ name: 'alice', uid: 4321 }, { name: 'bob', uid: 4322 }],
      files: {
        '/home/alice/.claude.json': claudeJson(),
        '/home/alice/.claude/settings.json': own('alice'),
        // bob answered Claude Code's "use this API key?" prompt with its default, No.
        '/home/bob/.claude.json': { ...claudeJson(), customApiKeyResponses: { approved: [], rejected: [key('bob').slice(-20)] } },
        '/home/bob/.claude/settings.json': own('bob'),
      },
      sessions: [
        { user: 'alice', cwd: '/home/alice', before: before('alice'), after: AFTER },
        { user: 'bob', cwd: '/home/bob', before: before('bob'), after: AFTER },
      ],
      verify: (r) => {
        const user = (name: string) => r.before.check.users.find((u) => u.name === name)!;
        expect(user('alice').auth).toMatchObject({ credential: 'api-key', apiKeyResponse: 'unanswered', headers: { authorization: null, xApiKey: 'api-key' } });
        expect(user('bob').auth).toMatchObject({ credential: 'none', apiKeyResponse: 'rejected', headers: { authorization: null, xApiKey: 'api-key' } });
        expect(user('bob').findings.filter((f) => f.code === 'key-rejected')).toEqual([expect.objectContaining({ blocking: false })]);
        for (const u of r.after.check.users) expect(u.auth.credential, u.name).toBe('api-key-helper');
      },
    });
  }, SCENARIO_TIMEOUT);
});
