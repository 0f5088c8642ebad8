/**
 * Which model a Claude Code session sends, in Claude Code's own order (shared/reference/claude-code-facts.md):
 *   1. `--model` (per session; unknowable to the agent)
 *   2. `ANTHROPIC_MODEL` from the settings env, highest level first
 *   3. the `model` key: managed > local > project > user
 *   4. `ANTHROPIC_DEFAULT_MODEL`
 *   5. the account default: the opus family for API-key and gateway-token users (seen on the wire)
 * then aliases map through ANTHROPIC_DEFAULT_{SONNET,OPUS,HAIKU}_MODEL, a trailing `[1m]` is stripped,
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
 * with Claude Code 2.1.332 (.notes/claude-code-wire-facts.md). They change with Claude Code releases.
 */
export const BUILTIN_MODELS: Readonly<Record<'opus' | 'sonnet' | 'haiku', string>> = {
  opus: 'claude-opus-5-5',
  sonnet: 'claude-sonnet-5-5',
  haiku: 'claude-haiku-5-5',
};

/** The family an account without an explicit choice gets (API key or gateway token). */
export const ACCOUNT_DEFAULT_ALIAS = 'opus';

const ONE_M = /\[1m\]$/i;
export const stripOneM = (model: string): string => model.replace(ONE_M, '');

/** The env a session sees from settings: per key, the highest level that sets it. */
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

/** Maps an alias through the env; a non-alias (a full or provider-prefixed id) passes verbatim. */
export function mapAlias(name: string, env: ReadonlyMap<string, { value: string }>): string {
  const bare = stripOneM(name.trim());
  const get = (k: string) => env.get(k)?.value;
  switch (bare.toLowerCase()) {
    case 'sonnet':
    case 'opusplan': // outside plan mode opusplan runs the sonnet model
      return stripOneM(get('ANTHROPIC_DEFAULT_SONNET_MODEL') ?? BUILTIN_MODELS.sonnet);
    case 'opus':
    case 'default':
      return stripOneM(get('ANTHROPIC_DEFAULT_OPUS_MODEL') ?? BUILTIN_MODELS.opus);
    case 'haiku':
      return stripOneM(get('ANTHROPIC_DEFAULT_HAIKU_MODEL') ?? get('ANTHROPIC_SMALL_FAST_MODEL') ?? BUILTIN_MODELS.haiku);
    default:
      return bare;
  }
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
    return { requested: def.value, resolved: mapAlias(def.value, env), source: `${def.label}.env.ANTHROPIC_DEFAULT_MODEL` };
  }
  return { requested: ACCOUNT_DEFAULT_ALIAS, resolved: mapAlias(ACCOUNT_DEFAULT_ALIAS, env), source: 'default' };
}

/** The models a policy routes: its ANTHROPIC_*_MODEL values (aliases mapped) and `allowedModels`. */
export function mappedModels(policyEnv: Readonly<Record<string, string>>, allowedModels: readonly string[]): Set<string> {
  const env = new Map(Object.entries(policyEnv).map(([k, v]) => [k, { value: v }]));
  const out = new Set<string>();
  for (const k of ['ANTHROPIC_DEFAULT_SONNET_MODEL', 'ANTHROPIC_DEFAULT_OPUS_MODEL', 'ANTHROPIC_DEFAULT_HAIKU_MODEL', 'ANTHROPIC_SMALL_FAST_MODEL']) {
    const v = policyEnv[k];
    if (v) out.add(stripOneM(v));
  }
  for (const k of ['ANTHROPIC_MODEL', 'ANTHROPIC_DEFAULT_MODEL']) {
    const v = policyEnv[k];
    if (v) out.add(mapAlias(v, env));
  }
  for (const m of allowedModels) out.add(stripOneM(m));
  return out;
}
