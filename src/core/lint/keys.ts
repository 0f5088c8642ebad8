/**
 * Lint rules for what the policy removes from user, project and local files, and for keys that only work
 * in the managed tier. A `model` key, an `ANTHROPIC_MODEL` or `ANTHROPIC_DEFAULT_MODEL` in any settings env,
 * or a `CLAUDE_CODE_USE_*` switch lets one settings file bypass the gateway's model mapping or the gateway.
 */
import { MANAGED_ONLY_KEYS } from '../policy-schema.js';
import { removeKeyConflicts } from '../remove-conflicts.js';
import { compareVersions, envValue, has, removes, type LintRule, type LintWarning } from './util.js';

/** Env switches that make Claude Code call a cloud provider directly, ignoring ANTHROPIC_BASE_URL. */
export const CLOUD_PROVIDER_SWITCHES = ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY'] as const;

const FEATURE_VERSIONS: { version: string; applies: (p: Parameters<LintRule>[0]) => boolean; what: string }[] = [
  { version: '2.1.83', applies: (p) => p.enforceIn === 'managed', what: 'managed-settings.d drop-ins (where ccfleet writes the policy) are read' },
  { version: '2.1.175', applies: (p) => has(p.managedSettings, 'enforceAvailableModels'), what: 'enforceAvailableModels exists' },
  { version: '2.1.236', applies: (p) => p.env.ANTHROPIC_DEFAULT_MODEL !== undefined, what: 'ANTHROPIC_DEFAULT_MODEL is read' },
];

export const lintKeys: LintRule = (policy) => {
  const out: LintWarning[] = [];

  if (!removes(policy, 'model')) {
    out.push({
      code: 'model-not-removed',
      severity: 'warning',
      field: 'removeKeys',
      message:
        'removeKeys does not include "model": a "model" in a user, project or local settings file (which /model writes) stays, and a full model id there bypasses the gateway\'s alias mapping. ' +
        (policy.model.keep === 'allowed'
          ? 'model.keep = "allowed" only takes effect for "model" listed in removeKeys. Fix: add "model" to removeKeys.'
          : 'Fix: add "model" to removeKeys (with model.keep = "allowed" to let developers keep an alias the policy maps).'),
    });
  }
  if (!removes(policy, 'env.ANTHROPIC_MODEL') && envValue(policy, 'ANTHROPIC_MODEL') === undefined) {
    out.push({
      code: 'anthropic-model-not-removed',
      severity: 'warning',
      field: 'removeKeys',
      message:
        'removeKeys does not include "env.ANTHROPIC_MODEL": an ANTHROPIC_MODEL in any settings env beats the "model" key and is sent as is, bypassing the alias mapping. ' +
        'Fix: add "env.ANTHROPIC_MODEL" to removeKeys.',
    });
  }
  if (!removes(policy, 'env.ANTHROPIC_DEFAULT_MODEL') && envValue(policy, 'ANTHROPIC_DEFAULT_MODEL') === undefined && envValue(policy, 'ANTHROPIC_MODEL') === undefined) {
    out.push({
      code: 'default-model-not-removed',
      severity: 'warning',
      field: 'removeKeys',
      message:
        'removeKeys does not include "env.ANTHROPIC_DEFAULT_MODEL": Claude Code 2.1.236+ uses it as the default model when no "model" is set, so a full id in any settings env bypasses the alias mapping. ' +
        'Fix: add "env.ANTHROPIC_DEFAULT_MODEL" to removeKeys.',
    });
  }

  const switches = CLOUD_PROVIDER_SWITCHES.filter((k) => policy.env[k] === undefined && !removes(policy, `env.${k}`));
  if (switches.length > 0) {
    out.push({
      code: 'cloud-provider-not-removed',
      severity: 'warning',
      field: 'removeKeys',
      message:
        `removeKeys does not include ${switches.map((k) => `"env.${k}"`).join(', ')}: with one of these set in a settings env, Claude Code calls that cloud provider directly and ignores ANTHROPIC_BASE_URL, bypassing the gateway. ` +
        'Fix: add them to removeKeys.',
    });
  }
  for (const k of CLOUD_PROVIDER_SWITCHES) {
    const v = envValue(policy, k);
    if (v === undefined || /^(0|false|no|off)$/i.test(v)) continue;
    const proxied = ['ANTHROPIC_BEDROCK_BASE_URL', 'ANTHROPIC_VERTEX_BASE_URL', 'ANTHROPIC_FOUNDRY_BASE_URL'].some((u) => envValue(policy, u) !== undefined);
    out.push({
      code: 'cloud-provider-env',
      severity: proxied ? 'warning' : 'error',
      field: `env.${k}`,
      message:
        `${k} makes Claude Code call the cloud provider directly with each machine's own cloud credentials; ANTHROPIC_BASE_URL and the gateway are not used. ` +
        'Fix: remove it — to use Bedrock, Vertex or Azure models through Bifrost, pin provider-prefixed models instead (e.g. "bedrock/…", "vertex/…").',
    });
  }

  for (const c of removeKeyConflicts(policy)) {
    out.push({
      code: c.kind === 'env' ? 'remove-conflicts-env' : 'remove-conflicts-setting',
      severity: 'error',
      field: `removeKeys[${c.index}]`,
      message:
        c.kind === 'env'
          ? `removeKeys entry "${c.key}" removes ${c.target}, which the policy's own env sets: the agent would enforce a value and strip it again, and no user could ever be compliant. Fix: drop "${c.key}" from removeKeys.`
          : `removeKeys entry "${c.key}" removes managedSettings.${c.target}, which this user-mode policy writes into the same user file. Fix: drop "${c.key}" from removeKeys, or use enforceIn "managed".`,
    });
  }

  if (policy.enforceIn === 'user') {
    for (const k of MANAGED_ONLY_KEYS) {
      if (!has(policy.managedSettings, k)) continue;
      out.push({
        code: 'managed-only-key-in-user-mode',
        severity: 'warning',
        field: `managedSettings.${k}`,
        message:
          `enforceIn is "user", so ${k} lands in each developer's own settings file, where Claude Code either ignores it or the developer can change it: it only works as a lock in managed settings. ` +
          'Fix: use enforceIn "managed" (the agent then needs admin rights), or drop the key.',
      });
    }
  }

  const min = policy.minClaudeVersion;
  if (min !== undefined) {
    for (const f of FEATURE_VERSIONS) {
      if (!f.applies(policy) || compareVersions(min, f.version) >= 0) continue;
      out.push({
        code: 'min-version-too-low',
        severity: 'warning',
        field: 'minClaudeVersion',
        message: `minClaudeVersion ${min} admits Claude Code versions that ignore this policy: ${f.what} only since ${f.version}. Fix: raise minClaudeVersion to ${f.version} or later.`,
      });
    }
  }
  return out;
};
