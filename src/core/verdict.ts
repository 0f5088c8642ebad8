/**
 * Compliance is about effect: for a session started in a folder, the settings Claude Code actually reads
 * (strict-JSON files only) must give every policy env value, no key the policy removes, and a selected
 * model among those the policy maps. Pure: layers in, findings and the selected model out.
 */
import { effectiveEnv, mappedModels, resolveModel, type Layer } from './model.js';
import { modelAllowed } from './plan-settings.js';
import type { Policy } from './policy-schema.js';
import { hasPath, splitKey } from './settings-merge.js';
import type { Finding, SelectedModel } from './types.js';

export interface SessionVerdict {
  compliant: boolean;
  selectedModel: SelectedModel;
  findings: Finding[];
  /** Which level wins for each env key the policy sets (for `status`). */
  env: Record<string, { value: string; source: string } | null>;
}

export function evaluateSession(policy: Policy, layers: readonly Layer[]): SessionVerdict {
  const findings: Finding[] = [];
  const env = effectiveEnv(layers);
  const envOut: SessionVerdict['env'] = {};
  for (const [k, v] of Object.entries(policy.env)) {
    const got = env.get(k);
    envOut[k] = got ? { value: got.value, source: got.label } : null;
    if (!got) findings.push({ code: 'env-not-enforced', key: `env.${k}`, blocking: true, message: 'no settings level sets it' });
    else if (got.value !== v) findings.push({ code: 'env-not-enforced', key: `env.${k}`, blocking: true, message: `${got.label} sets another value` });
  }
  for (const layer of layers) {
    for (const key of policy.removeKeys) {
      // A managed `model` is judged by its effect (the selected model below); any other removed key set in
      // the managed tier (by a file ccfleet does not own) is in effect for this session.
      if (layer.level === 'managed' && key === 'model') continue;
      if (!hasPath(layer.settings, splitKey(key))) continue;
      if (key === 'model' && modelAllowed(policy, layer.settings.model)) continue;
      findings.push({ code: key === 'model' ? 'model-present' : 'key-present', key, blocking: true, message: `in ${layer.label}` });
    }
  }
  const selectedModel = resolveModel(layers);
  const mapped = mappedModels(policy.env, policy.allowedModels);
  if (selectedModel.resolved === null || !mapped.has(selectedModel.resolved)) {
    findings.push({ code: 'model-unmapped', key: selectedModel.resolved ?? undefined, blocking: true, message: `${selectedModel.resolved} (from ${selectedModel.source}) is not a model the policy maps` });
  }
  return { compliant: !findings.some((f) => f.blocking), selectedModel, findings, env: envOut };
}
