/**
 * Which model a Claude Code session sends, in Claude Code's own order (shared/reference/claude-code-facts.md):
 *   1. `--model` (per session; unknowable to the agent)
 *   2. `ANTHROPIC_MODEL` from the settings env, highest level first
 *   3. the `model` key: managed > local > project > user
 *   4. `ANTHROPIC_DEFAULT_MODEL`
 *   5. the account default: the opus family for API-key and gateway-token users (seen on the wire)
 * then aliases map through ANTHROPIC_DEFAULT_{SONNET,OPUS,HAIKU,FABLE}_MODEL, a trailing `[1m]` is stripped,
 * and a full model id is sent verbatim, bypassing the mapping.
 */
import { isObject } from './json-text.js';
import type { JsonObject, SelectedModel } from './types.js';

/** One settings level a session reads, highest precedence first in a list. */
export interface Layer {
  /** How the level is named in a `source`: "managed", "user", "project:/path", "local:/path". */
  label: string;
  level: 'managed' | 'local' | 'project' | 'user';
  settings: JsonObject;
}

/**
 * Claude Code's built-in model for each alias when no ANTHROPIC_DEFAULT_*_MODEL maps it: verified on the wire
 * with Claude Code 2.1.332 (docs/claude-code-wire-facts.md). They change with Claude Code releases.
 */
export const BUILTIN_MODELS: Readonly<Record<'opus' | 'sonnet' | 'haiku' | 'fable', string>> = {
  opus: 'claude-opus-5-5',
  sonnet: 'claude-sonnet-5-5',
  haiku: 'claude-haiku-5-5',
  fable: 'claude-fable-5-2',
};

/**
 * Alias → the env variable that maps it and the built-in fallback (2.1.332: `best` is opus, `opusplan` runs
 * sonnet outside plan mode, ANTHROPIC_SMALL_FAST_MODEL does NOT map `haiku`, `default` is not an alias).
 */
const ALIASES: Readonly<Record<string, { env: string; builtin: string }>> = {
  sonnet: { env: 'ANTHROPIC_DEFAULT_SONNET_MODEL', builtin: BUILTIN_MODELS.sonnet },
  opusplan: { env: 'ANTHROPIC_DEFAULT_SONNET_MODEL', builtin: BUILTIN_MODELS.sonnet },
  opus: { env: 'ANTHROPIC_DEFAULT_OPUS_MODEL', builtin: BUILTIN_MODELS.opus },
  best: { env: 'ANTHROPIC_DEFAULT_OPUS_MODEL', builtin: BUILTIN_MODELS.opus },
  haiku: { env: 'ANTHROPIC_DEFAULT_HAIKU_MODEL', builtin: BUILTIN_MODELS.haiku },
  fable: { env: 'ANTHROPIC_DEFAULT_FABLE_MODEL', builtin: BUILTIN_MODELS.fable },
};

/**
 * Retired Opus ids that 2.1.332 treats as the `opus` alias (mapped through ANTHROPIC_DEFAULT_OPUS_MODEL, else
 * the built-in Opus), from a `model` key, ANTHROPIC_MODEL or `--model`; case-insensitive, trimmed, `[1m]`
 * stripped. Every other full id — claude-3-opus-…, claude-opus-4-0-20250514, claude-opus-4-5 — goes out verbatim
 * (docs/claude-code-wire-facts.md, R01–R41).
 */
const RETIRED_AS_OPUS: ReadonlySet<string> = new Set(['claude-opus-4-0', 'claude-opus-4-1', 'claude-opus-4-1-20250805', 'claude-opus-4-20250514']);

/** The env variables through which a policy maps aliases. */
export const ALIAS_ENV_KEYS: readonly string[] = [...new Set(Object.values(ALIASES).map((a) => a.env))];

/** The family an account without an explicit choice gets (API key or gateway token). */
export const ACCOUNT_DEFAULT_ALIAS = 'opus';

const ONE_M = /\[1m\]$/i;
export const stripOneM = (model: string): string => model.replace(ONE_M, '');

/** The env a session sees from settings: per key, the highest level that sets it (an empty value hides lower ones). */
export function effectiveEnv(layers: readonly Layer[]): Map<string, { value: string; label: string }> {
  const env = new Map<string, { value: string; label: string }>();
  for (const layer of layers) {
    const e = layer.settings.env;
    if (!isObject(e)) continue;
    for (const [k, v] of Object.entries(e)) {
      if (!env.has(k) && typeof v === 'string') env.set(k, { value: v, label: layer.label });
    }
  }
  return env;
}

/**
 * Maps an alias through the env; anything else (a full or provider-prefixed id, and `default`, which
 * 2.1.332 sends literally from a `model` key) passes verbatim. An empty mapping counts as unset.
 */
export function mapAlias(name: string, env: ReadonlyMap<string, { value: string }>): string {
  const bare = stripOneM(name.trim());
  const alias = ALIASES[bare.toLowerCase()] ?? (RETIRED_AS_OPUS.has(bare.toLowerCase()) ? ALIASES.opus : undefined);
  if (!alias) return bare;
  const mapped = env.get(alias.env)?.value.trim();
  return stripOneM(mapped ? mapped : alias.builtin);
}

export function resolveModel(layers: readonly Layer[]): SelectedModel {
  const env = effectiveEnv(layers);
  const fromEnv = env.get('ANTHROPIC_MODEL');
  if (fromEnv && fromEnv.value.trim() !== '') {
    return { requested: fromEnv.value, resolved: mapAlias(fromEnv.value, env), source: `${fromEnv.label}.env.ANTHROPIC_MODEL` };
  }
  const order: Layer['level'][] = ['managed', 'local', 'project', 'user'];
  for (const level of order) {
    for (const layer of layers) {
      if (layer.level !== level) continue;
      const m = layer.settings.model;
      if (typeof m === 'string' && m.trim() !== '') {
        return { requested: m, resolved: mapAlias(m, env), source: `${layer.label}.model` };
      }
    }
  }
  const def = env.get('ANTHROPIC_DEFAULT_MODEL');
  if (def && def.value.trim() !== '') {
    const alias = def.value.trim().toLowerCase() === 'default' ? ACCOUNT_DEFAULT_ALIAS : def.value;
    return { requested: def.value, resolved: mapAlias(alias, env), source: `${def.label}.env.ANTHROPIC_DEFAULT_MODEL` };
  }
  return { requested: ACCOUNT_DEFAULT_ALIAS, resolved: mapAlias(ACCOUNT_DEFAULT_ALIAS, env), source: 'default' };
}

/** The models a policy routes: its ANTHROPIC_*_MODEL values (aliases mapped) and `allowedModels`. */
export function mappedModels(policyEnv: Readonly<Record<string, string>>, allowedModels: readonly string[]): Set<string> {
  const env = new Map(Object.entries(policyEnv).map(([k, v]) => [k, { value: v }]));
  const out = new Set<string>();
  for (const k of [...ALIAS_ENV_KEYS, 'ANTHROPIC_SMALL_FAST_MODEL']) {
    const v = policyEnv[k]?.trim();
    if (v) out.add(stripOneM(v));
  }
  for (const k of ['ANTHROPIC_MODEL', 'ANTHROPIC_DEFAULT_MODEL']) {
    const v = policyEnv[k]?.trim();
    if (v) out.add(mapAlias(k === 'ANTHROPIC_DEFAULT_MODEL' && v.toLowerCase() === 'default' ? ACCOUNT_DEFAULT_ALIAS : v, env));
  }
  for (const m of allowedModels) out.add(stripOneM(m));
  return out;
}
