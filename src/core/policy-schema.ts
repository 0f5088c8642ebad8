/**
 * The policy: what an IT admin wants every developer's Claude Code to do. The JSON Schema in
 * policies/policy.schema.json is generated from this file (scripts/gen-schema.mjs); a test fails when
 * it is stale.
 */
import { z } from 'zod';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const USER_NAME = /^[^\s/\\:]+$/;

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
  .min(1)
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'a key or a dotted path such as "env.ANTHROPIC_MODEL"')
  .describe('A top-level settings key ("model") or a dotted path into an object ("env.ANTHROPIC_MODEL").');

export const policySchema = z
  .object({
    $schema: z.string().optional().describe('Editors use this to find the JSON Schema; ignored by the agent.'),
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'lower-case letters, digits, ".", "_" and "-", at most 128 characters')
      .describe('Stable identifier of this policy, reported by every agent.'),
    version: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .describe('Integer; an agent never accepts a lower version than one it has applied.'),
    description: z.string().max(2000).optional(),
    env: z
      .record(z.string().regex(ENV_NAME, 'an environment variable name'), z.string().max(8192))
      .describe('Enforced environment for Claude Code, written as given.'),
    removeKeys: z
      .array(removeKeySchema)
      .default(['model'])
      .describe('Keys removed from user, project and local settings files.'),
    enforceIn: z
      .enum(['managed', 'user'])
      .default('managed')
      .describe('"managed": a root-owned drop-in in the managed settings folder (needs admin rights). "user": the user settings file.'),
    managedSettings: z
      .record(z.string().min(1), z.unknown())
      .default({})
      .refine((o) => !('env' in o), 'put environment variables in "env", not in managedSettings')
      .describe('Extra settings written beside env in the managed tier (e.g. availableModels, enforceAvailableModels, apiKeyHelper).'),
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
        include: z.array(z.string().regex(USER_NAME)).optional().describe('Only these users (default: every human user).'),
        exclude: z.array(z.string().regex(USER_NAME)).default([]),
        includeRoot: z.boolean().default(false).describe('Whether uid 0 counts as a user on Linux and WSL.'),
        configDirs: z
          .record(z.string().regex(USER_NAME), z.string().min(1))
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
  })
  .strict();

export type Policy = z.output<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
