/** Claude Code versions: parsing, semver order, which version a user runs, and the outdated finding. */
import { describe, expect, it } from 'vitest';
import type { ClaudeInstall } from '../../src/core/facts-types.js';
import { claudeFacts, claudeFindings, compareVersions, normalizeVersion, parseVersion } from '../../src/core/facts-version.js';

describe('parseVersion', () => {
  it.each([
    ['2.1.332', [2, 1, 332]],
    ['v2.1.332', [2, 1, 332]],
    ['2.1.332 (Claude Code)', [2, 1, 332]],
    ['  2.1.332 (Claude Code)\n', [2, 1, 332]],
    ['2.1.332-beta.1', [2, 1, 332]],
    ['2.1.332+build.7', [2, 1, 332]],
    ['0.0.0', [0, 0, 0]],
    ['10.20.30-rc.1+sha.abc', [10, 20, 30]],
  ])('%j → %j', (s, want) => {
    expect(parseVersion(s)).toEqual(want);
  });

  it.each([
    '',
    'garbage',
    '2.1',
    '2.1.x',
    '2.1.332.4',
    '02.1.332',
    '2.01.3',
    'V2.1.3',
    'vv2.1.3',
    '2.1.3-',
    '2.1.3-beta..1',
    '2.1.3-01',
    '2.1.3 Claude Code',
    '2.1.3 (a) (b)',
    'claude 2.1.3',
    '2.1.3\n4.5.6',
    '-1.2.3',
    '1.2.3/../..',
    '99999999999999999999.0.0',
    `1.2.3-${'a'.repeat(300)}`,
  ])('rejects %j', (s) => {
    expect(parseVersion(s)).toBeNull();
    expect(normalizeVersion(s)).toBeNull();
  });

  it('rejects a non-string without throwing', () => {
    expect(parseVersion(undefined as unknown as string)).toBeNull();
    expect(parseVersion(2 as unknown as string)).toBeNull();
  });

  it('normalises to one spelling, keeping the prerelease and dropping the build', () => {
    expect(normalizeVersion('v2.1.332 (Claude Code)')).toBe('2.1.332');
    expect(normalizeVersion('2.1.332-beta.1+abc')).toBe('2.1.332-beta.1');
  });
});

describe('compareVersions', () => {
  it.each([
    ['2.1.332', '2.1.332', 0],
    ['v2.1.332', '2.1.332 (Claude Code)', 0],
    ['2.1.100', '2.1.200', -1],
    ['2.1.200', '2.1.100', 1],
    ['2.1.99', '2.1.100', -1],
    ['2.10.0', '2.9.9', 1],
    ['3.0.0', '2.99.99', 1],
    ['2.1.332-beta.1', '2.1.332', -1],
    ['2.1.332', '2.1.332-beta.1', 1],
    ['2.1.332-beta.1', '2.1.331', 1],
    ['2.1.3-alpha', '2.1.3-alpha.1', -1],
    ['2.1.3-alpha.1', '2.1.3-alpha.beta', -1],
    ['2.1.3-beta.2', '2.1.3-beta.11', -1],
    ['2.1.3-beta.11', '2.1.3-rc.1', -1],
    ['2.1.3-1', '2.1.3-alpha', -1],
    ['2.1.3-99999999999999999999', '2.1.3-100000000000000000000', -1],
    ['2.1.3+a', '2.1.3+b', 0],
  ])('%j vs %j → %d', (a, b, want) => {
    expect(compareVersions(a, b)).toBe(want);
    expect(compareVersions(b, a)).toBe(want === 0 ? 0 : -want);
  });

  it('is null when either side is not a version', () => {
    expect(compareVersions('2.1.3', 'garbage')).toBeNull();
    expect(compareVersions('2.1', '2.1.3')).toBeNull();
  });
});

const inst = (method: ClaudeInstall['method'], version: string | null, path = `/x/${method}/${version}`): ClaudeInstall => ({ method, path, version });

describe('claudeFacts', () => {
  const installs = [inst('native', '2.1.100'), inst('npm-global', '2.1.300'), inst('legacy-local', '2.0.5'), inst('homebrew', null)];

  it.each([
    ['native', '2.1.100'],
    ['global', '2.1.300'],
    ['local', '2.0.5'],
    ['unknown', '2.1.300'],
    [null, '2.1.300'],
    ['something-new', '2.1.300'],
  ])('installMethod %j → version %j', (method, want) => {
    expect(claudeFacts(installs, method, null).version).toBe(want);
  });

  it('takes the newest of several installs of the named kind', () => {
    const f = claudeFacts([inst('native', '2.1.5'), inst('native', '2.1.10-beta.1'), inst('native', '2.1.10'), inst('npm-global', '3.0.0')], 'native', null);
    expect(f.version).toBe('2.1.10');
  });

  it('falls back to the newest known version when the named kind has none with a version', () => {
    expect(claudeFacts([inst('native', null), inst('npm-global', '2.1.7'), inst('homebrew', '2.1.9')], 'native', null).version).toBe('2.1.9');
    expect(claudeFacts([inst('npm-global', '2.1.7')], 'native', null).version).toBe('2.1.7');
  });

  it('has no version when no install tells one, and none for no installs', () => {
    expect(claudeFacts([inst('winget', null), inst('native', 'junk')], 'native', '2.0.0')).toMatchObject({ version: null, outdated: null });
    expect(claudeFacts([], null, null)).toEqual({ installs: [], version: null, installMethod: null, minVersion: null, outdated: null });
  });

  it('judges the version against the minimum', () => {
    expect(claudeFacts(installs, 'native', '2.1.200').outdated).toBe(true);
    expect(claudeFacts(installs, 'global', '2.1.200').outdated).toBe(false);
    expect(claudeFacts(installs, 'global', '2.1.300').outdated).toBe(false);
    expect(claudeFacts([inst('native', '2.1.300-rc.1')], 'native', '2.1.300').outdated).toBe(true);
    expect(claudeFacts(installs, 'global', null).outdated).toBeNull();
    expect(claudeFacts(installs, 'global', 'not-a-version').outdated).toBeNull();
  });

  it('carries the inputs through', () => {
    const f = claudeFacts(installs, 'global', '2.1.0');
    expect(f).toEqual({ installs, version: '2.1.300', installMethod: 'global', minVersion: '2.1.0', outdated: false });
  });
});

describe('claudeFindings', () => {
  it('reports an outdated version, informational', () => {
    const f = claudeFacts([inst('native', '2.1.100')], 'native', '2.1.200');
    expect(claudeFindings(f)).toEqual([{ code: 'claude-outdated', blocking: false, message: '2.1.100 < minimum 2.1.200' }]);
  });

  it('reports no install found, informational', () => {
    const out = claudeFindings(claudeFacts([], 'native', '2.1.200'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ code: 'claude-not-found', blocking: false });
  });

  it('reports nothing when current, or when the version is unknown', () => {
    expect(claudeFindings(claudeFacts([inst('native', '2.1.200')], 'native', '2.1.200'))).toEqual([]);
    expect(claudeFindings(claudeFacts([inst('native', null)], 'native', '2.1.200'))).toEqual([]);
    expect(claudeFindings(claudeFacts([inst('native', '2.1.1')], 'native', null))).toEqual([]);
  });
});
