/**
 * The planner for user, project and local settings files:
 *   plan(policy, target, currentText) → { edits, nextText, findings, state }
 * No I/O, no clock, never throws on bad input. An empty edit list means "nothing to do" and nextText is
 * the input unchanged. Output is strict JSON whenever something is written.
 */
import { deepEqual } from './deep-equal.js';
import { classify, detectFormat, isObject, stringifyAs, DEFAULT_FORMAT, type TextFormat } from './json-text.js';
import { removePath, setPath } from './json-edit.js';
import { mapAlias, mappedModels } from './model.js';
import type { Policy } from './policy-schema.js';
import { getPath, hasPath, splitKey } from './settings-merge.js';
import type { FileRole, FileState, Finding, JsonObject } from './types.js';

export interface Edit {
  op: 'remove' | 'set' | 'rewrite' | 'create' | 'delete';
  key?: string;
  value?: unknown;
}

export interface Plan {
  edits: Edit[];
  /** The text to write; null when the file should not exist (or stays absent). */
  nextText: string | null;
  findings: Finding[];
  /** The state as `check` reports it: compliant, drifted, missing, unparseable. */
  state: FileState;
}

export interface SettingsTarget {
  role: Extract<FileRole, 'user' | 'project' | 'local'>;
}

/** Whether the policy lets this `model` value stay (model.keep = "allowed"). */
export function modelAllowed(policy: Policy, value: unknown): boolean {
  if (policy.model.keep !== 'allowed' || typeof value !== 'string') return false;
  const allowed = policy.model.allowed.some((a) => a.toLowerCase() === value.trim().replace(/\[1m\]$/i, '').toLowerCase());
  if (!allowed) return false;
  const env = new Map(Object.entries(policy.env).map(([k, v]) => [k, { value: v }]));
  return mappedModels(policy.env, policy.allowedModels).has(mapAlias(value, env));
}

/** What the policy wants written into this file when enforcing in the user tier. */
function wantedSettings(policy: Policy, target: SettingsTarget): JsonObject | null {
  if (policy.enforceIn !== 'user' || target.role !== 'user') return null;
  return { env: { ...policy.env }, ...policy.managedSettings };
}

export function planSettings(policy: Policy, target: SettingsTarget, currentText: string | null): Plan {
  try {
    return planUnsafe(policy, target, currentText);
  } catch (e) {
    // A pathological input (e.g. nesting deeper than the parser's stack) must not crash a reconcile:
    // report it and leave the file alone.
    const message = e instanceof Error ? e.message : String(e);
    return { edits: [], nextText: currentText, findings: [{ code: 'plan-failed', message, blocking: true }], state: 'error' };
  }
}

/** Whether the policy itself wants this path in this file (then removing it would undo our own write). */
const wantedHas = (wanted: JsonObject | null, path: readonly string[]): boolean => wanted !== null && hasPath(wanted, path);

function planUnsafe(policy: Policy, target: SettingsTarget, currentText: string | null): Plan {
  const c = classify(currentText);
  const wanted = wantedSettings(policy, target);
  const findings: Finding[] = [];

  if (c.kind === 'absent') {
    if (!wanted) return { edits: [], nextText: null, findings, state: 'missing' };
    for (const k of Object.keys(policy.env)) findings.push({ code: 'env-missing', key: `env.${k}`, blocking: true });
    for (const k of Object.keys(policy.managedSettings)) findings.push({ code: 'setting-missing', key: k, blocking: true });
    return { edits: [{ op: 'create' }], nextText: stringifyAs(wanted, DEFAULT_FORMAT), findings, state: 'missing' };
  }
  if (c.kind === 'invalid') {
    return { edits: [], nextText: currentText, findings: [{ code: 'invalid-json', blocking: false }], state: 'unparseable' };
  }

  let body: string;
  let value: unknown;
  let fmt: TextFormat;
  const edits: Edit[] = [];
  if (c.kind === 'empty') {
    body = '{}';
    value = {};
    fmt = DEFAULT_FORMAT;
  } else if (c.kind === 'jsonc') {
    if (!policy.normalizeIgnoredFiles || !isObject(c.value)) {
      return { edits: [], nextText: currentText, findings: [{ code: 'not-strict-json', blocking: false }], state: 'unparseable' };
    }
    fmt = detectFormat(c.body);
    body = stringifyAs(c.value, fmt);
    value = c.value;
    findings.push({ code: 'not-strict-json', blocking: false });
    edits.push({ op: 'rewrite' });
  } else {
    body = c.body;
    value = c.value;
    fmt = detectFormat(c.body);
  }
  if (!isObject(value)) {
    return { edits: [], nextText: currentText, findings: [{ code: 'not-an-object', blocking: false }], state: 'unparseable' };
  }

  let text = body;
  const settings = value;
  const removed = new Set<string>();

  // 1. keys the policy removes (except what the policy itself writes into this file)
  for (const key of policy.removeKeys) {
    const path = splitKey(key);
    if (!hasPath(settings, path) || wantedHas(wanted, path)) continue;
    if (key === 'model' && modelAllowed(policy, settings.model)) {
      findings.push({ code: 'model-allowed', key, blocking: false });
      continue;
    }
    findings.push({ code: key === 'model' ? 'model-present' : 'key-present', key, blocking: true });
    edits.push({ op: 'remove', key });
    removed.add(key);
    text = removePath(text, path, fmt);
  }

  // 2. user mode: the env block and extra settings go into the user file
  if (wanted) {
    const env = settings.env;
    if (env !== undefined && !isObject(env)) {
      findings.push({ code: 'env-not-object', key: 'env', blocking: true });
      edits.push({ op: 'set', key: 'env', value: {} });
      text = setPath(text, ['env'], {}, fmt);
    }
    for (const [k, v] of Object.entries(policy.env)) {
      const cur = getPath(settings, ['env', k]);
      if (cur === v) continue;
      findings.push({ code: cur === undefined ? 'env-missing' : 'env-mismatch', key: `env.${k}`, blocking: true });
      edits.push({ op: 'set', key: `env.${k}`, value: v });
      text = setPath(text, ['env', k], v, fmt);
    }
    for (const [k, v] of Object.entries(policy.managedSettings)) {
      const cur = settings[k];
      if (deepEqual(cur, v)) continue;
      findings.push({ code: cur === undefined ? 'setting-missing' : 'setting-mismatch', key: k, blocking: true });
      edits.push({ op: 'set', key: k, value: v });
      text = setPath(text, [k], v, fmt);
    }
  }

  // 3. user mode: a more granular file must not override the enforced env
  if (policy.enforceIn === 'user' && target.role !== 'user' && isObject(settings.env)) {
    for (const [k, v] of Object.entries(policy.env)) {
      const cur = settings.env[k];
      if (cur === undefined || cur === v || removed.has(`env.${k}`)) continue;
      findings.push({ code: 'env-conflict', key: `env.${k}`, blocking: true });
      edits.push({ op: 'remove', key: `env.${k}` });
      text = removePath(text, ['env', k], fmt);
    }
  }

  if (edits.length === 0) return { edits, nextText: currentText, findings, state: 'compliant' };

  if (c.kind === 'empty') text = stringifyAs(JSON.parse(text), DEFAULT_FORMAT);
  text = verifiedOrCanonical(text, settings, policy, target, fmt);
  // A file Claude Code ignores (JSONC) is reported as such even when normalising will fix it (the contract).
  const state: FileState = c.kind === 'jsonc' ? 'unparseable' : 'drifted';
  return { edits, nextText: (c.bom ? '\ufeff' : '') + text, findings, state };
}

/**
 * The edited text must be strict JSON with exactly the wanted effect. When a pathological input (duplicate
 * parents, odd nesting) defeats the text edits, fall back to a canonical rewrite of the value Claude Code
 * reads (JSON.parse semantics: the last duplicate wins) with the same changes applied.
 */
function verifiedOrCanonical(text: string, original: JsonObject, policy: Policy, target: SettingsTarget, fmt: TextFormat): string {
  const desired = desiredValue(original, policy, target);
  try {
    if (deepEqual(JSON.parse(text), desired)) return text;
  } catch {
    // fall through to the canonical rewrite
  }
  return stringifyAs(desired, fmt);
}

/** The value a settings object should have after repair (the planner's ground truth). */
export function desiredValue(original: JsonObject, policy: Policy, target: SettingsTarget): JsonObject {
  const out = structuredCloneJson(original);
  const wanted = wantedSettings(policy, target);
  for (const key of policy.removeKeys) {
    const path = splitKey(key);
    if (wantedHas(wanted, path)) continue;
    if (key === 'model' && modelAllowed(policy, out.model)) continue;
    const parent = getPath(out, path.slice(0, -1));
    if (isObject(parent)) delete parent[path[path.length - 1]!];
  }
  if (wanted) {
    const hasEnv = Object.prototype.hasOwnProperty.call(out, 'env');
    if (hasEnv ? !isObject(out.env) : Object.keys(policy.env).length > 0) out.env = {};
    if (isObject(out.env)) Object.assign(out.env, policy.env);
    for (const [k, v] of Object.entries(policy.managedSettings)) out[k] = v;
  }
  if (policy.enforceIn === 'user' && target.role !== 'user' && isObject(out.env)) {
    const env = out.env;
    for (const [k, v] of Object.entries(policy.env)) if (env[k] !== undefined && env[k] !== v) delete env[k];
  }
  return out;
}

const structuredCloneJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
