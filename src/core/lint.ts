/**
 * `lintPolicy(policy)`: what a gateway admin should fix before rolling a policy out. Pure: no I/O, no clock
 * (so an expired policy is the agent's business, not a lint). Each warning has a stable kebab-case code,
 * a severity ('error': the policy cannot work as written; 'warning': it works, with a known trap), the
 * field it is about, and a message that says what goes wrong and how to fix it. Errors come first; the
 * order is otherwise stable. The rules live in ./lint/ (base URL, credentials, models, removed keys).
 */
import { lintBaseUrl } from './lint/base-url.js';
import { lintCredentials } from './lint/credentials.js';
import { lintKeys } from './lint/keys.js';
import { lintModels } from './lint/models.js';
import type { LintRule, LintWarning } from './lint/util.js';
import type { Policy } from './policy-schema.js';

export type { LintWarning } from './lint/util.js';

const RULES: readonly LintRule[] = [lintBaseUrl, lintCredentials, lintModels, lintKeys];

export function lintPolicy(policy: Policy): LintWarning[] {
  const all = RULES.flatMap((rule) => rule(policy));
  return [...all.filter((w) => w.severity === 'error'), ...all.filter((w) => w.severity !== 'error')];
}

/** Every code lintPolicy can report, for documentation and tests. */
export const LINT_CODES = [
  'no-base-url',
  'base-url-invalid',
  'insecure-base-url',
  'base-url-no-anthropic',
  'placeholder-key',
  'credential-malformed',
  'api-key-prompt',
  'force-login-blocks-gateway',
  'api-key-helper-shadowed',
  'no-credential',
  'opus-unmapped',
  'sonnet-unmapped',
  'haiku-unmapped',
  'fable-unmapped',
  'openrouter-model',
  'small-fast-model-deprecated',
  'allowed-alias-unmapped',
  'allowed-model-unmapped',
  'allowed-models-alias',
  'managed-model-unmapped',
  'available-models-not-enforced',
  'model-not-removed',
  'anthropic-model-not-removed',
  'default-model-not-removed',
  'cloud-provider-not-removed',
  'cloud-provider-env',
  'remove-conflicts-env',
  'remove-conflicts-setting',
  'managed-only-key-in-user-mode',
  'min-version-too-low',
] as const;
