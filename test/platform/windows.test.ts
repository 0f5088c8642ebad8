/** Windows conventions: C:\Users profiles, Windows path syntax, the HKLM policy value, drive mapping. */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discover } from '../../src/platform/discover.js';
import { HKLM_SETTINGS_LOCATION, windows } from '../../src/platform/windows.js';
import type { HostFacts, UserFilter } from '../../src/platform/types.js';
import { MachineFixture, policy } from './fixture.js';

const ALL: UserFilter = { exclude: [], includeRoot: false };

describe('windows', () => {
  let m: MachineFixture;
  beforeEach(() => {
    m = new MachineFixture('windows');
  });
  afterEach(() => m.cleanup());
  const names = (filter: UserFilter = ALL) => windows.listUsers(m.fs, filter).map((u) => u.name);

  it('lists profile folders except the system ones and non-folders, with no uid/gid', () => {
    for (const u of ['bob', 'alice', 'Public', 'Default', 'Default User', 'All Users', 'PUBLIC', 'default user']) m.mkdir(`C:\\Users\\${u}`);
    m.put('C:\\Users\\desktop.ini', '[.ShellClassInfo]');
    expect(names()).toEqual(['alice', 'bob']);
    expect(windows.listUsers(m.fs, ALL)[0]).toEqual({ name: 'alice', home: 'C:\\Users\\alice', uid: null, gid: null });
  });

  it('has no users without C:\\Users', () => {
    expect(names()).toEqual([]);
  });

  it('matches include/exclude without regard to case, as Windows account names do', () => {
    for (const u of ['Alice', 'bob', 'carol']) m.mkdir(`C:\\Users\\${u}`);
    expect(names({ ...ALL, include: ['alice', 'CAROL'] })).toEqual(['Alice', 'carol']);
    expect(names({ ...ALL, exclude: ['BOB'] })).toEqual(['Alice', 'carol']);
  });

  it.each([
    ['C:\\Users\\a\\p', 'C:\\Users\\a\\p'],
    ['c:/Users/a/p', 'C:\\Users\\a\\p'],
    ['c:\\Users\\a\\p\\', 'C:\\Users\\a\\p'],
    ['C:/Users/a/p/', 'C:\\Users\\a\\p'],
    ['C:\\Users\\a/p', 'C:\\Users\\a\\p'],
    ['C:\\Users\\\\a\\.\\x\\..\\p', 'C:\\Users\\a\\p'],
    ['d:/work', 'D:\\work'],
    ['c:/', 'C:\\'],
    ['C:\\', 'C:\\'],
    ['\\\\?\\C:\\Users\\a\\p', 'C:\\Users\\a\\p'],
    ['//?/c:/Users/a/p', 'C:\\Users\\a\\p'],
    ['\\\\server\\share\\p', null],
    ['//server/share/p', null],
    ['\\\\?\\UNC\\server\\share\\p', null],
    ['\\Users\\a\\p', null],
    ['/Users/a/p', null],
    ['C:Users\\a', null],
    ['Users\\a\\p', null],
    ['', null],
  ])('canonical project path %j → %j', (key, want) => {
    expect(windows.canonicalProjectPath(key)).toBe(want);
  });

  it('finds projects keyed with either slash and drive case once, and projects on another drive', () => {
    m.mkdir('C:\\Users\\a');
    m.mkdir('C:\\Users\\a\\p');
    m.mkdir('D:\\src\\q');
    m.put('C:\\Users\\a\\.claude.json', JSON.stringify({ projects: { 'c:/Users/a/p': {}, 'C:\\Users\\a\\p': {}, 'C:/Users/a/p/': {}, 'd:/src/q': {}, '\\\\srv\\share\\x': {} } }));
    const d = discover(windows, m.fs, {}, policy());
    const projects = d.users[0]?.projects ?? [];
    expect(projects.map((p) => p.path)).toEqual(['C:\\Users\\a\\p', 'D:\\src\\q']);
    expect(projects[0]?.files.map((f) => f.path)).toEqual(['C:\\Users\\a\\p\\.claude\\settings.local.json', 'C:\\Users\\a\\p\\.claude\\settings.json']);
    // Where they live under --root: C:\ is the root, D:\ is <root>/D.
    expect(m.host('D:\\src\\q')).toBe(path.join(m.root, 'D', 'src', 'q'));
  });

  it('finds a git root up to the drive root', () => {
    m.mkdir('C:\\Users\\a');
    m.mkdir('D:\\.git');
    m.mkdir('D:\\deep\\proj');
    m.put('C:\\Users\\a\\.claude.json', JSON.stringify({ projects: { 'D:/deep/proj': {} } }));
    const p = discover(windows, m.fs, {}, policy()).users[0]?.projects[0];
    expect(p?.gitRoot).toBe('D:\\');
    expect(p?.files[0]).toEqual({ role: 'local', path: 'D:\\.claude\\settings.local.json' });
  });

  it.each<[string, HostFacts, boolean | 'unknown']>([
    ['a JSON value', { hklmClaudeCodeSettings: '{"env":{"A":"b"}}' }, true],
    ['any non-empty value', { hklmClaudeCodeSettings: 'x' }, true],
    ['an empty value', { hklmClaudeCodeSettings: '' }, false],
    ['a blank value', { hklmClaudeCodeSettings: '  ' }, false],
    ['no value (null)', { hklmClaudeCodeSettings: null }, false],
    ['an unread registry (undefined)', {}, 'unknown'],
  ])('reports the HKLM Settings source for %s', (_what, facts, present) => {
    expect(discover(windows, m.fs, facts, policy()).osSources).toEqual([{ kind: 'registry', location: HKLM_SETTINGS_LOCATION, present }]);
    expect(HKLM_SETTINGS_LOCATION).toBe('HKLM\\SOFTWARE\\Policies\\ClaudeCode\\Settings');
  });

  it('uses C:\\Program Files\\ClaudeCode (mapped to <root>/Program Files/ClaudeCode) and the ProgramData agent paths', () => {
    expect(windows.managedDir).toBe('C:\\Program Files\\ClaudeCode');
    expect(windows.agentPaths).toEqual({ config: 'C:\\ProgramData\\ccfleet\\agent.json', state: 'C:\\ProgramData\\ccfleet\\state', logs: 'C:\\ProgramData\\ccfleet\\logs' });
    expect(m.host('C:\\Program Files\\ClaudeCode\\managed-settings.json')).toBe(path.join(m.root, 'Program Files', 'ClaudeCode', 'managed-settings.json'));
    m.put('C:\\Program Files\\ClaudeCode\\managed-settings.d\\70-x.json', '{}');
    expect(discover(windows, m.fs, {}, policy()).managed.dropins).toEqual([
      'C:\\Program Files\\ClaudeCode\\managed-settings.d\\50-ccfleet.json',
      'C:\\Program Files\\ClaudeCode\\managed-settings.d\\70-x.json',
    ]);
  });
});
