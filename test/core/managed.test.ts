/**
 * The managed tier as a whole: managed-settings.json, then managed-settings.d/*.json alphabetically,
 * merged. Who wins each policy env key decides whether a differing file blocks compliance; a broken
 * managed file is an outage; an OS policy source shadows the whole file tier.
 */
import { describe, expect, it } from 'vitest';
import { analyzeManaged, orderDropins, type ManagedFile, type OsPolicySource } from '../../src/core/managed.js';
import { dropinText } from '../../src/core/plan-dropin.js';
import { policySchema, type Policy, type PolicyInput } from '../../src/core/policy-schema.js';

const ENV = { ANTHROPIC_BASE_URL: 'http://gateway.example:8080/anthropic', ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model' };
const policy = (extra: Partial<PolicyInput> = {}): Policy => policySchema.parse({ id: 'm', version: 1, env: ENV, ...extra });
const P = policy();
const DIR = '/etc/claude-code';
const main = (value: unknown): ManagedFile => ({ path: `${DIR}/managed-settings.json`, role: 'managed-main', text: typeof value === 'string' ? value : JSON.stringify(value) });
const dropin = (name: string, value: unknown): ManagedFile => ({ path: `${DIR}/managed-settings.d/${name}`, role: 'managed-dropin', text: typeof value === 'string' ? value : JSON.stringify(value) });
const ours = (p: Policy = P): ManagedFile => ({ path: `${DIR}/managed-settings.d/50-ccfleet.json`, role: 'ccfleet-dropin', text: dropinText(p) });
const at = (a: ReturnType<typeof analyzeManaged>, file: ManagedFile) => a.perFile.get(file.path)!.map((f) => ({ code: f.code, key: f.key, blocking: f.blocking }));

describe('orderDropins', () => {
  it('keeps only visible .json files, in plain code-unit order', () => {
    expect(orderDropins(['b.json', 'a.json', '.hidden.json', 'c.txt', 'A.json', '10-x.json', '9-y.json', 'z.json.bak', '.json', 'ä.json', '50-ccfleet.json'])).toEqual([
      '10-x.json',
      '50-ccfleet.json',
      '9-y.json',
      'A.json',
      'a.json',
      'b.json',
      'ä.json',
    ]);
  });
  it('does not change its input and copes with nothing', () => {
    const names = ['b.json', 'a.json'];
    orderDropins(names);
    expect(names).toEqual(['b.json', 'a.json']);
    expect(orderDropins([])).toEqual([]);
  });
});

describe('analyzeManaged: env keys of the policy', () => {
  it('our drop-in alone: effective env is the policy env, no findings', () => {
    const a = analyzeManaged(P, [ours()], []);
    expect(a.effective).toEqual({ env: ENV });
    expect(a.broken).toBe(false);
    expect(a.findings).toEqual([]);
    expect([...a.perFile.values()].flat()).toEqual([]);
  });

  it('a later drop-in overriding an env key → blocking managed-conflict on that file', () => {
    const later = dropin('90-team.json', { env: { ANTHROPIC_BASE_URL: 'https://api.anthropic.com', OTHER: '1' } });
    const a = analyzeManaged(P, [main({}), ours(), later], []);
    expect(at(a, later)).toEqual([{ code: 'managed-conflict', key: 'env.ANTHROPIC_BASE_URL', blocking: true }]);
    expect((a.effective.env as Record<string, string>).ANTHROPIC_BASE_URL).toBe('https://api.anthropic.com');
    expect((a.effective.env as Record<string, string>).OTHER).toBe('1');
  });

  it('the main file differing → reported, not blocking (drop-ins merge after it)', () => {
    const m = main({ env: { ANTHROPIC_BASE_URL: 'https://api.anthropic.com' }, theme: 'dark' });
    const a = analyzeManaged(P, [m, ours()], []);
    expect(at(a, m)).toEqual([{ code: 'managed-conflict', key: 'env.ANTHROPIC_BASE_URL', blocking: false }]);
    expect(a.effective).toEqual({ env: ENV, theme: 'dark' });
  });

  it('an earlier drop-in differing → reported, not blocking', () => {
    const early = dropin('10-old.json', { env: { ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-5' } });
    const a = analyzeManaged(P, [ours(), early].sort((x, y) => (x.path < y.path ? -1 : 1)), []);
    expect(at(a, early)).toEqual([{ code: 'managed-conflict', key: 'env.ANTHROPIC_DEFAULT_SONNET_MODEL', blocking: false }]);
  });

  it('a later drop-in setting the same value as the policy is no conflict', () => {
    const later = dropin('99-same.json', { env: { ANTHROPIC_BASE_URL: ENV.ANTHROPIC_BASE_URL } });
    const a = analyzeManaged(P, [ours(), later], []);
    expect(at(a, later)).toEqual([]);
  });

  it('a later override that an even later file sets back: only the middle one is reported, not blocking', () => {
    const mid = dropin('60-mid.json', { env: { ANTHROPIC_BASE_URL: 'http://x' } });
    const last = dropin('70-last.json', { env: { ANTHROPIC_BASE_URL: ENV.ANTHROPIC_BASE_URL } });
    const a = analyzeManaged(P, [ours(), mid, last], []);
    expect(at(a, mid)).toEqual([{ code: 'managed-conflict', key: 'env.ANTHROPIC_BASE_URL', blocking: false }]);
    expect(at(a, last)).toEqual([]);
  });

  it('without our drop-in (not yet written, or broken) a differing main file decides the value → blocking', () => {
    const m = main({ env: { ANTHROPIC_BASE_URL: 'https://api.anthropic.com' } });
    expect(at(analyzeManaged(P, [m], []), m)).toEqual([{ code: 'managed-conflict', key: 'env.ANTHROPIC_BASE_URL', blocking: true }]);
    const broken: ManagedFile = { ...ours(), text: '{' };
    const a = analyzeManaged(P, [m, broken], []);
    expect(at(a, m)).toEqual([{ code: 'managed-conflict', key: 'env.ANTHROPIC_BASE_URL', blocking: true }]);
    // Our own broken drop-in is planDropin's to report; the analysis only says the tier is broken.
    expect(at(a, broken)).toEqual([]);
    expect(a.broken).toBe(true);
  });

  it('a stale value in our own drop-in is planDropin\'s finding, not a managed conflict', () => {
    const stale = ours(policy({ env: { ...ENV, ANTHROPIC_BASE_URL: 'http://old' } }));
    expect(at(analyzeManaged(P, [stale], []), stale)).toEqual([]);
  });

  it('a later env that is not an object replaces the env block → blocking', () => {
    const later = dropin('90-bad.json', { env: 'ANTHROPIC_BASE_URL=x' });
    const a = analyzeManaged(P, [ours(), later], []);
    expect(at(a, later)).toEqual([{ code: 'managed-conflict', key: 'env', blocking: true }]);
    const early = dropin('10-bad.json', { env: ['x'] });
    expect(at(analyzeManaged(P, [early, ours()], []), early)).toEqual([{ code: 'managed-conflict', key: 'env', blocking: false }]);
  });

  it('user mode: any managed file setting a policy env key differently beats the user file → blocking', () => {
    const U = policy({ enforceIn: 'user' });
    const m = main({ env: { ANTHROPIC_BASE_URL: 'https://api.anthropic.com' } });
    expect(at(analyzeManaged(U, [m], []), m)).toEqual([{ code: 'managed-conflict', key: 'env.ANTHROPIC_BASE_URL', blocking: true }]);
    const same = main({ env: { ANTHROPIC_BASE_URL: ENV.ANTHROPIC_BASE_URL } });
    expect(at(analyzeManaged(U, [same], []), same)).toEqual([]);
    // A stale ccfleet drop-in with an old value overrides the user file too.
    const stale = ours(policy({ env: { ...ENV, ANTHROPIC_BASE_URL: 'http://old' } }));
    expect(at(analyzeManaged(U, [stale], []), stale)).toEqual([{ code: 'managed-conflict', key: 'env.ANTHROPIC_BASE_URL', blocking: true }]);
  });
});

describe('analyzeManaged: broken files', () => {
  it.each([
    ['garbage', 'not json'],
    ['a comment', '{ // x\n}'],
    ['a trailing comma', '{"env":{},}'],
    ['an array', '[]'],
    ['null', 'null'],
  ])('invalid main file (%s) → managed-invalid and broken', (_name, text) => {
    const m = main(text);
    const a = analyzeManaged(P, [m, ours()], []);
    expect(at(a, m)).toEqual([{ code: 'managed-invalid', key: undefined, blocking: true }]);
    expect(a.broken).toBe(true);
    // The rest of the tier is still analysed.
    expect(a.effective).toEqual({ env: ENV });
  });

  it('an invalid drop-in of another tool → managed-invalid and broken', () => {
    const d = dropin('20-other.json', '{"env": {"A": "1"');
    const a = analyzeManaged(P, [ours(), d], []);
    expect(at(a, d)).toEqual([{ code: 'managed-invalid', key: undefined, blocking: true }]);
    expect(a.broken).toBe(true);
  });

  it('a BOM is fine; absent files are skipped', () => {
    const m = main('\ufeff{"theme":"dark"}');
    const absent: ManagedFile = { path: `${DIR}/managed-settings.d/30-gone.json`, role: 'managed-dropin', text: null };
    const a = analyzeManaged(P, [m, absent, ours()], []);
    expect(a.broken).toBe(false);
    expect(a.effective).toEqual({ theme: 'dark', env: ENV });
    expect(at(a, absent)).toEqual([]);
  });

  it('no files at all: an empty tier, nothing broken', () => {
    const a = analyzeManaged(P, [], []);
    expect(a).toEqual({ effective: {}, perFile: new Map(), findings: [], broken: false });
  });
});

describe('analyzeManaged: settings the policy manages besides env', () => {
  const S = policy({ managedSettings: { availableModels: ['sonnet', 'haiku'], enforceAvailableModels: true } });

  it('a later drop-in changing one → blocking managed-conflict', () => {
    const later = dropin('90-x.json', { enforceAvailableModels: false });
    const a = analyzeManaged(S, [ours(S), later], []);
    expect(at(a, later)).toEqual([{ code: 'managed-conflict', key: 'enforceAvailableModels', blocking: true }]);
  });

  it('an earlier scalar that ours overrides is no conflict', () => {
    const m = main({ enforceAvailableModels: false });
    expect(at(analyzeManaged(S, [m, ours(S)], []), m)).toEqual([]);
  });

  it('arrays concatenate across managed files, so an earlier array still widens the list → blocking', () => {
    const m = main({ availableModels: ['opus'] });
    const a = analyzeManaged(S, [m, ours(S)], []);
    expect(a.effective.availableModels).toEqual(['opus', 'sonnet', 'haiku']);
    expect(at(a, m)).toEqual([{ code: 'managed-conflict', key: 'availableModels', blocking: true }]);
  });

  it('the same value elsewhere is fine; user mode does not judge managed settings', () => {
    const m = main({ enforceAvailableModels: true });
    expect(at(analyzeManaged(S, [m, ours(S)], []), m)).toEqual([]);
    const U = policy({ enforceIn: 'user', managedSettings: { enforceAvailableModels: true } });
    const other = main({ enforceAvailableModels: false });
    expect(at(analyzeManaged(U, [other], []), other)).toEqual([]);
  });
});

describe('analyzeManaged: OS policy sources', () => {
  const plist: OsPolicySource = { kind: 'plist', location: '/Library/Managed Preferences/com.anthropic.claudecode.plist', present: true };
  const reg: OsPolicySource = { kind: 'registry', location: 'HKLM\\SOFTWARE\\Policies\\ClaudeCode', present: 'unknown' };
  const none: OsPolicySource = { kind: 'registry', location: 'HKLM\\SOFTWARE\\Policies\\ClaudeCode', present: false };

  it('present → blocking managed-shadowed; unknown → informational; absent → nothing', () => {
    const a = analyzeManaged(P, [ours()], [plist, reg, none]);
    expect(a.findings.map((f) => ({ code: f.code, key: f.key, blocking: f.blocking }))).toEqual([
      { code: 'managed-shadowed', key: plist.location, blocking: true },
      { code: 'managed-shadow-unknown', key: reg.location, blocking: false },
    ]);
  });

  it('in user mode the file tier is not relied on: shadowing is reported, not blocking', () => {
    const a = analyzeManaged(policy({ enforceIn: 'user' }), [], [plist]);
    expect(a.findings.map((f) => ({ code: f.code, blocking: f.blocking }))).toEqual([{ code: 'managed-shadowed', blocking: false }]);
  });
});
