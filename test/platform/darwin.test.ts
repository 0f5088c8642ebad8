/** macOS conventions: /Users folders, owner from the home, managed-preferences plists, macOS paths. */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discover } from '../../src/platform/discover.js';
import { darwin, darwinUsers } from '../../src/platform/darwin.js';
import type { FsView, UserFilter } from '../../src/platform/types.js';
import { MachineFixture, policy } from './fixture.js';

const ALL: UserFilter = { exclude: [], includeRoot: false };
const isRoot = process.getuid?.() === 0;

describe('darwin', () => {
  let m: MachineFixture;
  beforeEach(() => {
    m = new MachineFixture('darwin');
  });
  afterEach(() => m.cleanup());
  const names = (filter: UserFilter = ALL) => m.platform.listUsers(m.fs, filter).map((u) => u.name);

  it('lists folders in /Users except Shared, Guest, dot-folders and files', () => {
    for (const u of ['bob', 'alice', 'Shared', 'Guest', '.localized', '.hidden']) m.mkdir(`/Users/${u}`);
    m.put('/Users/.DS_Store', 'x');
    m.put('/Users/readme', 'x');
    expect(names()).toEqual(['alice', 'bob']);
  });

  it('has no users without /Users, and ignores includeRoot (root lives in /var/root)', () => {
    m.mkdir('/var/root');
    expect(names({ ...ALL, includeRoot: true })).toEqual([]);
  });

  it('takes uid/gid from the owner of the home folder', () => {
    const home = m.mkdir('/Users/alice');
    if (isRoot) fs.chownSync(m.host(home), 501, 20);
    const want = isRoot ? { uid: 501, gid: 20 } : { uid: process.getuid?.(), gid: process.getgid?.() };
    expect(m.platform.listUsers(m.fs, ALL)).toEqual([{ name: 'alice', home: '/Users/alice', ...want }]);
  });

  it('reports a null uid/gid when the owner is unknown', () => {
    const view: FsView = { readText: () => null, listDir: () => ['alice'], isDir: () => true, exists: () => true, owner: () => null, readLink: () => null };
    expect(darwinUsers(view, ALL)).toEqual([{ name: 'alice', home: '/Users/alice', uid: null, gid: null }]);
  });

  it('applies include and exclude', () => {
    for (const u of ['alice', 'bob', 'carol']) m.mkdir(`/Users/${u}`);
    expect(names({ ...ALL, include: ['bob'] })).toEqual(['bob']);
    expect(names({ ...ALL, exclude: ['alice', 'carol'] })).toEqual(['bob']);
  });

  it('lists each user plist, then the machine-wide plist, present when the file exists', () => {
    for (const u of ['alice', 'bob']) m.mkdir(`/Users/${u}`);
    m.put('/Library/Managed Preferences/bob/com.anthropic.claudecode.plist', '<plist/>');
    m.put('/Library/Managed Preferences/alice/other.plist', '<plist/>');
    const d = discover(darwin, m.fs, {}, policy());
    expect(d.osSources).toEqual([
      { kind: 'plist', location: '/Library/Managed Preferences/alice/com.anthropic.claudecode.plist', present: false },
      { kind: 'plist', location: '/Library/Managed Preferences/bob/com.anthropic.claudecode.plist', present: true },
      { kind: 'plist', location: '/Library/Managed Preferences/com.anthropic.claudecode.plist', present: false },
    ]);
    m.put('/Library/Managed Preferences/com.anthropic.claudecode.plist', '<plist/>');
    expect(discover(darwin, m.fs, {}, policy('"users": { "include": ["alice"] }')).osSources).toEqual([
      { kind: 'plist', location: '/Library/Managed Preferences/alice/com.anthropic.claudecode.plist', present: false },
      { kind: 'plist', location: '/Library/Managed Preferences/com.anthropic.claudecode.plist', present: true },
    ]);
  });

  it('uses the macOS managed folder (with its space) and agent paths', () => {
    expect(darwin.managedDir).toBe('/Library/Application Support/ClaudeCode');
    expect(darwin.agentPaths).toEqual({
      config: '/Library/Application Support/ccfleet/agent.json',
      state: '/Library/Application Support/ccfleet/state',
      logs: '/Library/Logs/ccfleet',
    });
    m.put('/Library/Application Support/ClaudeCode/managed-settings.d/10-it.json', '{}');
    const d = discover(darwin, m.fs, {}, policy());
    expect(d.managed.dropins).toEqual([
      '/Library/Application Support/ClaudeCode/managed-settings.d/10-it.json',
      '/Library/Application Support/ClaudeCode/managed-settings.d/50-ccfleet.json',
    ]);
  });

  it('canonicalises project keys as POSIX paths', () => {
    expect(darwin.canonicalProjectPath('/Users/a/p/')).toBe('/Users/a/p');
    expect(darwin.canonicalProjectPath('~/p')).toBeNull();
  });
});
