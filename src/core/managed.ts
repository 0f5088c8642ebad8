/**
 * The managed tier as Claude Code assembles it: `managed-settings.json`, then every
 * `managed-settings.d/*.json` in alphabetical order, merged. ccfleet owns one drop-in and never touches
 * the others; this analysis says whether the tier as a whole does what the policy wants.
 */
import { deepEqual } from './deep-equal.js';
import { classify, isObject } from './json-text.js';
import type { Policy } from './policy-schema.js';
import { hasPath, mergeSettings } from './settings-merge.js';
import type { FileRole, Finding, JsonObject } from './types.js';

export interface ManagedFile {
  path: string;
  role: Extract<FileRole, 'managed-main' | 'managed-dropin' | 'ccfleet-dropin'>;
  text: string | null;
}

/** An OS-level policy source that, when present, makes Claude Code ignore the file tier. */
export interface OsPolicySource {
  kind: 'plist' | 'registry';
  location: string;
  /** 'unknown' when this host cannot tell (e.g. the registry is not readable from here). */
  present: boolean | 'unknown';
}

export interface ManagedAnalysis {
  effective: JsonObject;
  /** Findings per managed file path (files we do not own are reported, never written). */
  perFile: Map<string, Finding[]>;
  /** Machine-level findings (shadowing). */
  findings: Finding[];
  /** A managed file Claude Code cannot parse makes every session exit 1. */
  broken: boolean;
}

/** Claude Code reads drop-ins ending in .json, not hidden, in plain alphabetical order. */
export function orderDropins(names: readonly string[]): string[] {
  return names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function analyzeManaged(policy: Policy, files: readonly ManagedFile[], osSources: readonly OsPolicySource[]): ManagedAnalysis {
  const perFile = new Map<string, Finding[]>();
  const parsed: { file: ManagedFile; value: JsonObject }[] = [];
  let broken = false;
  for (const file of files) {
    const list: Finding[] = [];
    perFile.set(file.path, list);
    const c = classify(file.text);
    if (c.kind === 'absent' || c.kind === 'empty') continue;
    if (c.kind !== 'strict' || !isObject(c.value)) {
      if (file.role !== 'ccfleet-dropin') list.push({ code: 'managed-invalid', blocking: true });
      broken = true;
      continue;
    }
    parsed.push({ file, value: c.value });
  }

  let effective: JsonObject = {};
  for (const p of parsed) effective = mergeSettings(effective, p.value);

  const effEnv = isObject(effective.env) ? effective.env : {};
  const oursIdx = parsed.findIndex((p) => p.file.role === 'ccfleet-dropin');
  for (const [k, v] of Object.entries(policy.env)) {
    // Our own drop-in is judged by planDropin; in user mode a stale one is an overriding setter like any other.
    const setters = parsed.filter(
      (p) => (policy.enforceIn === 'user' || p.file.role !== 'ccfleet-dropin') && isObject(p.value.env) && p.value.env[k] !== undefined && p.value.env[k] !== v,
    );
    for (const s of setters) {
      const idx = parsed.indexOf(s);
      const wins = effEnv[k] !== v && (policy.enforceIn === 'user' || oursIdx < 0 || idx > oursIdx);
      perFile.get(s.file.path)!.push({
        code: 'managed-conflict',
        key: `env.${k}`,
        blocking: wins,
        message: wins ? 'overrides the policy value' : 'differs from the policy but the ccfleet drop-in wins (Claude Code 2.1.83+)',
      });
    }
  }
  // A managed `env` that is not an object replaces the merged env block (Claude Code merges objects
  // per key, anything else wholesale): it defeats every policy key when it comes after ours.
  parsed.forEach((p, idx) => {
    if (p.file.role === 'ccfleet-dropin' || p.value.env === undefined || isObject(p.value.env)) return;
    const lost = Object.entries(policy.env).some(([k, v]) => effEnv[k] !== v);
    const wins = lost && (policy.enforceIn === 'user' || oursIdx < 0 || idx > oursIdx);
    perFile.get(p.file.path)!.push({ code: 'managed-conflict', key: 'env', blocking: wins, message: 'env is not an object' });
  });
  // A key the policy removes everywhere it may write, set by a managed file we do not own: it stays in
  // effect for every session (e.g. another tool's ANTHROPIC_AUTH_TOKEN beating the policy's apiKeyHelper).
  // `model` is judged by its effect (the selected model must be one the policy maps).
  for (const key of policy.removeKeys) {
    if (key === 'model') continue;
    const path = key.split('.');
    for (const p of parsed) {
      if (p.file.role === 'ccfleet-dropin' || !hasPath(p.value, path)) continue;
      perFile.get(p.file.path)!.push({ code: 'managed-conflict', key, blocking: true, message: 'sets a key the policy removes (ccfleet never writes a managed file it does not own)' });
    }
  }
  if (policy.enforceIn === 'managed') {
    for (const [k, v] of Object.entries(policy.managedSettings)) {
      if (deepEqual(effective[k], v)) continue;
      for (const p of parsed) {
        if (p.file.role === 'ccfleet-dropin' || p.value[k] === undefined) continue;
        perFile.get(p.file.path)!.push({ code: 'managed-conflict', key: k, blocking: true, message: 'changes a setting the policy manages' });
      }
    }
  }

  const findings: Finding[] = [];
  for (const s of osSources) {
    // Shadowing breaks enforcement only when the policy relies on the managed file tier.
    if (s.present === true) findings.push({ code: 'managed-shadowed', key: s.location, blocking: policy.enforceIn === 'managed', message: `${s.kind} policy source present: Claude Code ignores the managed file tier` });
    else if (s.present === 'unknown') findings.push({ code: 'managed-shadow-unknown', key: s.location, blocking: false });
  }
  return { effective, perFile, findings, broken };
}
