/**
 * The policy: what an IT admin wants every developer's Claude Code to do. The JSON Schema in
 * policies/policy.schema.json is generated from this file (scripts/gen-schema.mjs); a test fails when
 * it is stale.
 */
import { z } from 'zod';
import { parseCronSpec } from './cron-spec.js';
import { removeKeyConflicts } from './remove-conflicts.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const USER_NAME = /^[^\s/\\:]+$/;
const USER_NAME_MSG = 'must be a user name (no spaces, "/", "\\" or ":")';

/**
 * Keys Claude Code honours only in managed settings, or that only lock anything there (in a user file the
 * developer can change them, and user/project settings can widen availableModels).
 */
export const MANAGED_ONLY_KEYS = [
  'policyHelper',
  'allowManagedHooksOnly',
  'allowManagedPermissionRulesOnly',
  'availableModels',
  'enforceAvailableModels',
  'forceLoginMethod',
  'forceLoginOrgUUID',
  'wslInheritsWindowsSettings',
] as const;

export const removeKeySchema = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be a settings key or a dotted path such as "env.ANTHROPIC_MODEL" (no spaces, no empty parts)')
  .describe('A top-level settings key ("model") or a dotted path into an object ("env.ANTHROPIC_MODEL").');

/**
 * Extra Claude Code settings for the managed tier. Any key is accepted (Claude Code grows new ones every
 * week); the ones the gateway setup relies on are type-checked, because a managed file Claude Code cannot
 * use is an outage for every user of the machine.
 */
export const managedSettingsSchema = z
  .object({
    apiKeyHelper: z
      .string()
      .min(1)
      .optional()
      .describe('A command whose output is the gateway key; Claude Code sends it as "Authorization: Bearer" and "x-api-key".'),
    availableModels: z.array(z.string().min(1)).optional().describe('The models developers may pick (aliases, version prefixes or ids).'),
    enforceAvailableModels: z
      .boolean()
      .optional()
      .describe('Also hold the default model to availableModels, and stop user/project settings widening it (Claude Code 2.1.175+).'),
    model: z.string().min(1).optional().describe('The model every session starts with (beats user, project and local `model`).'),
    forceLoginMethod: z.enum(['claudeai', 'console']).optional().describe('Blocks gateway credentials: do not combine with a gateway.'),
    forceLoginOrgUUID: z.union([z.string().min(1), z.array(z.string().min(1))]).optional().describe('Blocks gateway credentials: do not combine with a gateway.'),
    policyHelper: z
      .looseObject({ path: z.string().min(1), timeoutMs: z.number().int().positive().optional(), refreshIntervalMs: z.number().int().positive().optional() })
      .optional()
      .describe('Managed-only: an executable whose {"managedSettings": {...}} output becomes the managed settings.'),
  })
  .extend({
    env: z
      .never({ error: 'environment variables go in the top-level "env", not in managedSettings' })
      .optional()
      .describe('Not here: environment variables go in the top-level "env".'),
  })
  .catchall(z.unknown())
  .default({})
  .describe('Extra settings written beside env in the managed tier (e.g. apiKeyHelper, availableModels, enforceAvailableModels).');

/** A cron expression node-schedule accepts (5 or 6 fields, or an @-macro), checked by src/core/cron-spec.ts. */
const cronField = z.string().superRefine((v, ctx) => {
  const r = parseCronSpec(v);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
});

export const policySchema = z
  .object({
    $schema: z.string().optional().describe('Editors use this to find the JSON Schema; ignored by the agent.'),
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must be lower-case letters, digits, ".", "_" and "-" (starting with a letter or digit), at most 128 characters')
      .describe('Stable identifier of this policy, reported by every agent.'),
    version: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .describe('Integer; an agent never accepts a lower version than one it has applied.'),
    description: z.string().max(2000).optional(),
    env: z
      .record(z.string().regex(ENV_NAME, 'must be an environment variable name: letters, digits and "_", not starting with a digit'), z.string().max(8192))
      .describe('Enforced environment for Claude Code, written as given.'),
    removeKeys: z
      .array(removeKeySchema)
      .default(['model'])
      .describe('Keys removed from user, project and local settings files.'),
    enforceIn: z
      .enum(['managed', 'user'])
      .default('managed')
      .describe('"managed": a root-owned drop-in in the managed settings folder (needs admin rights). "user": the user settings file.'),
    managedSettings: managedSettingsSchema,
    model: z
      .object({
        keep: z
          .enum(['never', 'allowed'])
          .default('never')
          .describe('"never": remove every `model` key (the gateway guide). "allowed": keep a `model` whose value is in `allowed` and maps to a model of this policy.'),
        allowed: z.array(z.string().min(1)).default(['sonnet', 'haiku', 'opus']),
      })
      .strict()
      .default({ keep: 'never', allowed: ['sonnet', 'haiku', 'opus'] })
      .describe('What to do with a developer\'s own choice of model.'),
    allowedModels: z
      .array(z.string().min(1))
      .default([])
      .describe('Models counted as mapped besides the values of the policy\'s ANTHROPIC_*_MODEL env.'),
    users: z
      .object({
        include: z.array(z.string().regex(USER_NAME, USER_NAME_MSG)).optional().describe('Only these users (default: every human user).'),
        exclude: z.array(z.string().regex(USER_NAME, USER_NAME_MSG)).default([]),
        includeRoot: z.boolean().default(false).describe('Whether uid 0 counts as a user on Linux and WSL.'),
        configDirs: z
          .record(z.string().regex(USER_NAME, USER_NAME_MSG), z.string().min(1))
          .default({})
          .describe('CLAUDE_CONFIG_DIR per user, when a user runs Claude Code with one. "~" means the home.'),
      })
      .strict()
      .default({ exclude: [], includeRoot: false, configDirs: {} }),
    normalizeIgnoredFiles: z
      .boolean()
      .default(false)
      .describe('Rewrite settings files with comments or trailing commas (which Claude Code ignores whole) as strict JSON; a backup is kept.'),
    minClaudeVersion: z.string().regex(/^\d+\.\d+\.\d+$/).optional().describe('Oldest Claude Code version the fleet may run.'),
    expiresAt: z.iso.datetime({ offset: true }).optional().describe('After this time agents keep enforcing but report policy-expired.'),
    report: z
      .object({
        homePaths: z
          .enum(['full', 'tilde'])
          .default('full')
          .describe('"tilde": paths under a user\'s home are reported as "~/…" (another user\'s home as "~name/…"); "full": as they are.'),
      })
      .strict()
      .optional()
      .describe('What agents put in the compliance reports they send to the ccfleet server.'),
    schedule: z
      .object({
        policyRefresh: cronField.optional().describe('When agents pull the policy (default "*/5 * * * *"); an agent config\'s policyRefresh.cron wins.'),
        resync: cronField.optional().describe('When agents re-check every user in full, besides the file watchers (default "*/15 * * * *"); an agent config\'s resyncCron wins.'),
        jitterSeconds: z.number().int().min(0).max(3600).optional().describe('Random delay added to each scheduled run so a fleet does not fire in the same second (default 60).'),
      })
      .strict()
      .optional()
      .describe('The agents\' cadence, fleet-wide.'),
  })
  .strict()
  .superRefine((p, ctx) => {
    // A policy that removes what it sets can never be satisfied (see remove-conflicts.ts).
    for (const c of removeKeyConflicts(p)) {
      ctx.addIssue({
        code: 'custom',
        path: ['removeKeys', c.index],
        input: c.key,
        message:
          c.kind === 'env'
            ? `removes ${c.target}, which this policy's env sets — the agent would write it and strip it again`
            : `removes managedSettings.${c.target}, which this user-mode policy writes into the same user file`,
      });
    }
  });

export type Policy = z.output<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
