/**
 * Lint rules for model routing: every alias Claude Code may use (the account default is the Opus family
 * for gateway-token and API-key users) must be mapped to a model the gateway routes, or kept out of reach
 * with an enforced managed availableModels, else Claude Code sends its built-in id (`claude-opus-5-5` in
 * 2.1.332) past the alias routes. Aliases as seen on the wire with 2.1.332 (docs/claude-code-wire-facts.md):
 * sonnet, opus, best (= opus), haiku, fable, opusplan (sonnet, opus in plan mode); `default` is not an alias,
 * and ANTHROPIC_SMALL_FAST_MODEL no longer maps `haiku`.
 * Also: OpenRouter models (no streamed tool-call arguments), the deprecated ANTHROPIC_SMALL_FAST_MODEL,
 * `model.allowed` entries the planner would remove anyway, and the availableModels lock.
 */
import { BUILTIN_MODELS, mapAlias, mappedModels, stripOneM } from '../model.js';
import { modelAllowed } from '../plan-settings.js';
import type { Policy } from '../policy-schema.js';
import { envValue, has, setting, type LintRule, type LintWarning } from './util.js';

type Family = 'opus' | 'sonnet' | 'haiku' | 'fable';
const FAMILIES: readonly Family[] = ['opus', 'sonnet', 'haiku', 'fable'];

/** The alias families a model name uses (opusplan: Opus in plan mode, Sonnet otherwise); [] for anything else. */
export function aliasFamilies(name: string): Family[] {
  switch (stripOneM(name.trim()).toLowerCase()) {
    case 'opus':
    case 'best':
      return ['opus'];
    case 'opusplan':
      return ['opus', 'sonnet'];
    case 'sonnet':
      return ['sonnet'];
    case 'haiku':
      return ['haiku'];
    case 'fable':
      return ['fable'];
    default:
      return [];
  }
}

const ALIAS_VAR: Record<Family, string> = {
  opus: 'ANTHROPIC_DEFAULT_OPUS_MODEL',
  sonnet: 'ANTHROPIC_DEFAULT_SONNET_MODEL',
  haiku: 'ANTHROPIC_DEFAULT_HAIKU_MODEL',
  fable: 'ANTHROPIC_DEFAULT_FABLE_MODEL',
};

/** What reaches each family (besides the account default, for opus), with its verb. */
const REACHED_BY: Record<Exclude<Family, 'opus'>, string> = {
  sonnet: '"/model sonnet", opusplan outside plan mode, and subagents that ask for sonnet send',
  haiku: '"/model haiku" and subagents or tasks that ask for the Haiku tier send',
  fable: '"/model fable" sends',
};

const envMap = (policy: Policy) => new Map(Object.entries(policy.env).map(([k, v]) => [k, { value: v }]));

const familyMapped = (policy: Policy, f: Family): boolean => envValue(policy, ALIAS_VAR[f]) !== undefined;

/** With enforceAvailableModels in the managed tier, a list without the family keeps Claude Code off it. */
function lockedOut(policy: Policy, f: Family): boolean {
  if (policy.enforceIn !== 'managed' || setting(policy, 'enforceAvailableModels') !== true) return false;
  const list = setting(policy, 'availableModels');
  if (!Array.isArray(list) || list.length === 0) return false;
  return !list.some((m) => typeof m === 'string' && m.toLowerCase().includes(f));
}

function unmappedAlias(policy: Policy, f: Family): LintWarning | undefined {
  if (familyMapped(policy, f)) return undefined;
  const forced = envValue(policy, 'ANTHROPIC_MODEL');
  const builtin = BUILTIN_MODELS[f];
  const fix = `Fix: set env.${ALIAS_VAR[f]} to a model the gateway routes`;
  if (forced !== undefined && !aliasFamilies(forced).includes(f)) return undefined;
  if (lockedOut(policy, f)) return undefined;
  // ANTHROPIC_DEFAULT_MODEL=default means the account default again (wire fact X15).
  const defaultModel = envValue(policy, 'ANTHROPIC_DEFAULT_MODEL');
  const defaultSetBy = [
    defaultModel !== undefined && defaultModel.toLowerCase() !== 'default' && !aliasFamilies(defaultModel).includes('opus') ? 'env.ANTHROPIC_DEFAULT_MODEL' : undefined,
    typeof setting(policy, 'model') === 'string' ? 'managedSettings.model' : undefined,
  ].find((x) => x !== undefined);
  const lock = `, or keep Claude Code off it with managedSettings "availableModels" (without "${f}") and "enforceAvailableModels": true`;
  if (f === 'opus') {
    const why = forced
      ? `env.ANTHROPIC_MODEL "${forced}" selects the Opus family, so every session sends Claude Code's built-in Opus id "${builtin}"`
      : defaultSetBy
        ? `the default is set by ${defaultSetBy}, but "/model opus", "--model best", opusplan's plan mode and subagents asking for opus still send Claude Code's built-in "${builtin}"`
        : `developers who sign in with a gateway token or API key default to the Opus family, so Claude Code (2.1.332) sends its built-in Opus id "${builtin}"`;
    return {
      code: 'opus-unmapped',
      severity: 'warning',
      field: `env.${ALIAS_VAR.opus}`,
      message: `ANTHROPIC_DEFAULT_OPUS_MODEL is not set: ${why} straight past the gateway's alias routes. ${fix} (an "opus-model" route, or reuse "sonnet-model")${lock}.`,
    };
  }
  return {
    code: `${f}-unmapped`,
    severity: 'warning',
    field: `env.${ALIAS_VAR[f]}`,
    message: `${ALIAS_VAR[f]} is not set: ${REACHED_BY[f]} Claude Code's built-in "${builtin}", which the gateway's alias routes do not match. ${fix} (e.g. "${f}-model")${lock}.`,
  };
}

/** Every model name the policy mentions, with the field it is in. */
function modelMentions(policy: Policy): { field: string; value: string }[] {
  const out: { field: string; value: string }[] = [];
  for (const [k, v] of Object.entries(policy.env)) if (/_MODEL$/.test(k)) out.push({ field: `env.${k}`, value: v });
  policy.allowedModels.forEach((v, i) => out.push({ field: `allowedModels[${i}]`, value: v }));
  policy.model.allowed.forEach((v, i) => out.push({ field: `model.allowed[${i}]`, value: v }));
  const m = setting(policy, 'model');
  if (typeof m === 'string') out.push({ field: 'managedSettings.model', value: m });
  const list = setting(policy, 'availableModels');
  if (Array.isArray(list)) list.forEach((v, i) => typeof v === 'string' && out.push({ field: `managedSettings.availableModels[${i}]`, value: v }));
  return out;
}

export const lintModels: LintRule = (policy) => {
  const out: LintWarning[] = [];
  for (const f of FAMILIES) {
    const w = unmappedAlias(policy, f);
    if (w) out.push(w);
  }

  for (const { field, value } of modelMentions(policy)) {
    if (!/^openrouter\//i.test(value.trim())) continue;
    out.push({
      code: 'openrouter-model',
      severity: 'warning',
      field,
      message: `"${value}" is an OpenRouter model. OpenRouter does not stream tool-call arguments, so Claude Code's tool calls arrive empty and file edits and commands fail (Bifrost's Claude Code guide). Fix: route this tier to another provider (anthropic, bedrock/, vertex/, azure/).`,
    });
  }

  const sfm = envValue(policy, 'ANTHROPIC_SMALL_FAST_MODEL');
  if (sfm !== undefined) {
    const haiku = envValue(policy, 'ANTHROPIC_DEFAULT_HAIKU_MODEL');
    out.push({
      code: 'small-fast-model-deprecated',
      severity: 'warning',
      field: 'env.ANTHROPIC_SMALL_FAST_MODEL',
      message:
        'ANTHROPIC_SMALL_FAST_MODEL is deprecated: Claude Code 2.1.332 no longer maps the "haiku" alias with it (older releases did). ' +
        (haiku === undefined
          ? `Fix: rename it to ANTHROPIC_DEFAULT_HAIKU_MODEL ("${sfm}").`
          : haiku === sfm
            ? 'ANTHROPIC_DEFAULT_HAIKU_MODEL already says the same. Fix: remove ANTHROPIC_SMALL_FAST_MODEL.'
            : `It differs from ANTHROPIC_DEFAULT_HAIKU_MODEL ("${haiku}"), so older and newer Claude Code would send different Haiku models. Fix: remove ANTHROPIC_SMALL_FAST_MODEL.`),
    });
  }

  if (policy.model.keep === 'allowed') {
    policy.model.allowed.forEach((name, i) => {
      if (modelAllowed(policy, name)) return;
      const sent = mapAlias(name, envMap(policy));
      const alias = aliasFamilies(name).length > 0;
      out.push({
        code: alias ? 'allowed-alias-unmapped' : 'allowed-model-unmapped',
        severity: 'warning',
        field: `model.allowed[${i}]`,
        message: alias
          ? `model.keep is "allowed", but the alias "${name}" is not mapped by the policy's env (it would send "${sent}"), so a developer's "model": "${name}" is removed anyway. Fix: map it (${aliasFamilies(name).map((f) => ALIAS_VAR[f]).join(', ')}) or drop it from model.allowed.`
          : `model.keep is "allowed", but "${name}" is not one of the models this policy maps (its ANTHROPIC_*_MODEL values and allowedModels), so a developer's "model": "${name}" is removed anyway. Fix: add it to allowedModels or drop it from model.allowed.`,
      });
    });
  }

  policy.allowedModels.forEach((name, i) => {
    if (aliasFamilies(name).length === 0) return;
    out.push({
      code: 'allowed-models-alias',
      severity: 'warning',
      field: `allowedModels[${i}]`,
      message: `allowedModels lists the model ids that go on the wire, but "${name}" is an alias and never appears there. Fix: map the alias with env.${ALIAS_VAR[aliasFamilies(name)[0]!]}, or list it in model.allowed.`,
    });
  });

  const managedModel = setting(policy, 'model');
  if (typeof managedModel === 'string' && managedModel.trim() !== '') {
    const sent = mapAlias(managedModel, envMap(policy));
    if (!mappedModels(policy.env, policy.allowedModels).has(sent) && envValue(policy, 'ANTHROPIC_MODEL') === undefined) {
      out.push({
        code: 'managed-model-unmapped',
        severity: 'warning',
        field: 'managedSettings.model',
        message: `managedSettings.model "${managedModel}" makes every session send "${sent}", which is not one of the models this policy maps, so every user would be reported non-compliant. Fix: use an alias the env maps (e.g. "sonnet") or add "${sent}" to allowedModels.`,
      });
    }
  }

  if (policy.enforceIn === 'managed' && has(policy.managedSettings, 'availableModels') && setting(policy, 'enforceAvailableModels') !== true) {
    out.push({
      code: 'available-models-not-enforced',
      severity: 'warning',
      field: 'managedSettings.availableModels',
      message:
        'availableModels without "enforceAvailableModels": true only trims the model picker: user or project settings can widen the list, and the default model is not held to it. ' +
        'Fix: add "enforceAvailableModels": true to managedSettings (Claude Code 2.1.175+).',
    });
  }
  return out;
};
