/**
 * A managed-settings.json (or drop-in) owned by another tool, against the real Claude Code (policy:
 * alias-routing). ccfleet never writes these files; its drop-in `managed-settings.d/50-ccfleet.json`
 * merges after the main file and before later drop-ins (plain lexicographic order), per env key.
 *   - non-conflicting main file: left byte-for-byte, compliant after repair;
 *   - a main file setting the base URL and a token: our drop-in wins the base URL, but the other tool's
 *     ANTHROPIC_AUTH_TOKEN still beats the policy's key helper;
 *   - a later drop-in setting the base URL: it beats ours — the policy's key goes to the other endpoint;
 *   - a main file pinning a model;
 *   - a main file with a `//` comment: Claude Code refuses to start at all, before and after repair
 *     (ccfleet cannot fix a file it does not own), and ccfleet says so.
 * Whatever the real client does is what is asserted; ccfleet must agree with it.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { e2e } from './support/real-claude.js';
import { AFTER, OLD_AUTH, OLD_ENV, SCENARIO_TIMEOUT, useScenarios } from './support/scenario.js';
import { claudeJson } from './support/world.js';

const MAIN = '/etc/claude-code/managed-settings.json';
/** What Claude Code 2.1.332 prints for a managed file that is not strict JSON (docs/claude-code-wire-facts.md M11). */
const REFUSED = /managed-settings\.json: Managed settings document could not be parsed as a JSON object/;
const home = { '/home/dev/.claude.json': claudeJson(), '/home/dev/.claude/settings.json': { model: 'sonnet', env: OLD_ENV } };
const other = { env: { BASH_DEFAULT_TIMEOUT_MS: '120000' }, permissions: { deny: ['WebFetch'] }, cleanupPeriodDays: 20 };

describe.skipIf(!e2e.ready).concurrent('managed settings owned by another tool, real Claude Code on the wire', () => {
  const scenario = useScenarios();

  it('non-conflicting managed-settings.json: kept byte-for-byte, compliant after repair', async () => {
    await scenario({
      policy: 'alias-routing',
      files: { ...home, [MAIN]: other },
      sessions: [{ user: 'dev', cwd: '/home/dev', before: { gateway: 'rogue', model: 'claude-sonnet-5-5', auth: OLD_AUTH }, after: AFTER }],
      verify: (r) => {
        expect(JSON.parse(fs.readFileSync(r.host(MAIN), 'utf8'))).toEqual(other);
        expect(r.after.repair.files.find((f) => f.path === MAIN)?.state ?? 'not reported').not.toBe('repaired');
      },
    });
  }, SCENARIO_TIMEOUT);

  // The other tool's managed env ANTHROPIC_AUTH_TOKEN (a key this policy removes) stays in effect after
  // repair: Claude Code sends "Authorization: Bearer tok-other-tool" (plus the helper's key as x-api-key).
  // ccfleet cannot write that file, so the machine (blocking managed-conflict) and the user's sessions
  // (key-present from the managed tier) stay non-compliant, and repair exits 1.
  it('managed-settings.json with another base URL and token: our drop-in wins the URL, the token still beats the key helper', async () => {
    await scenario({
      policy: 'alias-routing',
      files: { ...home, [MAIN]: { env: { ANTHROPIC_BASE_URL: '$ROGUE', ANTHROPIC_AUTH_TOKEN: 'tok-other-tool' } } },
      sessions: [
        {
          user: 'dev',
          cwd: '/home/dev',
          before: { gateway: 'rogue', model: 'claude-sonnet-5-5', auth: 'Bearer tok-other-tool' },
          after: { gateway: 'policy', model: { alias: 'opus' }, auth: 'Bearer tok-other-tool', compliant: false },
        },
      ],
      compliantAfter: false,
    });
  }, SCENARIO_TIMEOUT);

  it('a later drop-in (90-other.json) with another base URL beats ours: non-compliant, and the wire goes there', async () => {
    await scenario({
      policy: 'alias-routing',
      files: { ...home, [MAIN]: other, '/etc/claude-code/managed-settings.d/90-other.json': { env: { ANTHROPIC_BASE_URL: '$ROGUE' } } },
      sessions: [
        {
          user: 'dev',
          cwd: '/home/dev',
          before: { gateway: 'rogue', model: 'claude-sonnet-5-5', auth: OLD_AUTH },
          after: { gateway: 'rogue', model: { alias: 'opus' }, auth: 'policy', compliant: false },
        },
      ],
      compliantAfter: false,
      verify: (r) => {
        expect(r.after.check.managed.compliant).toBe(false);
      },
    });
  }, SCENARIO_TIMEOUT);

  it('managed-settings.json pinning a full model id', async () => {
    await scenario({
      policy: 'alias-routing',
      files: { ...home, [MAIN]: { model: 'claude-opus-4-5' } },
      sessions: [
        {
          user: 'dev',
          cwd: '/home/dev',
          before: { gateway: 'rogue', model: 'claude-opus-4-5', auth: OLD_AUTH },
          after: { gateway: 'policy', model: 'claude-opus-4-5', auth: 'policy', compliant: false },
        },
      ],
      compliantAfter: false,
    });
  }, SCENARIO_TIMEOUT);

  it('a broken managed-settings.json (a // comment) owned by another tool: Claude Code refuses to start, before and after repair', async () => {
    const broken = '{\n  // deployed by another tool\n  "permissions": { "deny": ["WebFetch"] }\n}\n';
    await scenario({
      policy: 'alias-routing',
      files: { ...home, [MAIN]: broken },
      sessions: [{ user: 'dev', cwd: '/home/dev', before: { refuses: REFUSED }, after: { refuses: REFUSED } }],
      // ccfleet never writes a managed file it does not own: nothing it can do makes Claude Code start.
      compliantAfter: false,
      verify: (r) => {
        expect(fs.readFileSync(r.host(MAIN), 'utf8')).toBe(broken);
        for (const [when, report] of [['before', r.before.check], ['repair', r.after.repair], ['after', r.after.check], ['recheck', r.after.recheck]] as const) {
          const f = report.files.find((x) => x.path === MAIN);
          expect(f?.state, when).not.toBe('repaired');
          expect(f?.findings.map((x) => x.code), when).toContain('managed-invalid');
        }
      },
    });
  }, SCENARIO_TIMEOUT);
});
