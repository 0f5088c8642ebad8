/** Linux and WSL conventions: /etc/passwd users, /etc/claude-code, the Linux agent paths, POSIX project keys. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discover } from '../../src/platform/discover.js';
import type { UserFilter } from '../../src/platform/types.js';
import { MachineFixture, policy } from './fixture.js';

const ALL: UserFilter = { exclude: [], includeRoot: false };

describe.each(['linux', 'wsl'] as const)('%s', (name) => {
  let m: MachineFixture;
  beforeEach(() => {
    m = new MachineFixture(name);
  });
  afterEach(() => m.cleanup());
  const names = (filter: UserFilter = ALL) => m.platform.listUsers(m.fs, filter).map((u) => u.name);

  it('keeps uid 1000–59999 only, with uid/gid and home from passwd', () => {
    m.addUser('sys', { uid: 999 });
    m.addUser('first', { uid: 1000 });
    m.addUser('last', { uid: 59999 });
    m.addUser('over', { uid: 60000 });
    m.addUser('nobody', { uid: 65534, home: '/nonexistent' });
    expect(names()).toEqual(['first', 'last']);
    expect(m.platform.listUsers(m.fs, ALL)[0]).toEqual({ name: 'first', home: '/home/first', uid: 1000, gid: 1000 });
  });

  it('counts root only when the policy includes it', () => {
    m.passwdLine('root:x:0:0:root:/root:/bin/bash');
    m.mkdir('/root');
    m.addUser('alice');
    expect(names()).toEqual(['alice']);
    expect(names({ ...ALL, includeRoot: true })).toEqual(['root', 'alice']);
    const d = discover(m.platform, m.fs, {}, policy('"users": { "includeRoot": true }'));
    expect(d.users.map((u) => [u.user.name, u.configDir])).toEqual([
      ['root', '/root/.claude'],
      ['alice', '/home/alice/.claude'],
    ]);
  });

  it('requires an existing home folder (not a file)', () => {
    m.addUser('nohome', { noHome: true });
    m.addUser('filehome', { noHome: true });
    m.put('/home/filehome', 'not a folder');
    m.addUser('elsewhere', { home: '/data/users/elsewhere' });
    expect(names()).toEqual(['elsewhere']);
  });

  it('skips comments, blank, short and malformed lines, CRLF endings and duplicate names', () => {
    m.addUser('alice');
    m.mkdir('/home/bob');
    m.passwdLine('# comment');
    m.passwdLine('');
    m.passwdLine('short:x:1001');
    m.passwdLine('badid:x:abc:1001::/home/bob:/bin/sh');
    m.passwdLine('relhome:x:1002:1002::home/bob:/bin/sh');
    m.passwdLine('alice:x:1003:1003::/home/bob:/bin/sh');
    m.passwdLine('bob:x:1004:1004::/home/bob:/bin/sh\r');
    expect(m.platform.listUsers(m.fs, ALL).map((u) => [u.name, u.uid, u.home])).toEqual([
      ['alice', 1000, '/home/alice'],
      ['bob', 1004, '/home/bob'],
    ]);
  });

  it('has no users without /etc/passwd', () => {
    m.mkdir('/home/alice');
    expect(names()).toEqual([]);
  });

  it('applies include and exclude', () => {
    for (const u of ['alice', 'bob', 'carol']) m.addUser(u);
    expect(names({ ...ALL, include: ['carol', 'alice', 'ghost'] })).toEqual(['alice', 'carol']);
    expect(names({ ...ALL, exclude: ['bob'] })).toEqual(['alice', 'carol']);
    expect(names({ ...ALL, exclude: ['Bob'] })).toEqual(['alice', 'bob', 'carol']);
  });

  it('uses the Linux managed folder and agent paths and has no OS policy tier', () => {
    expect(m.platform.name).toBe(name);
    expect(m.platform.managedDir).toBe('/etc/claude-code');
    expect(m.platform.agentPaths).toEqual({ config: '/etc/ccfleet/agent.json', state: '/var/lib/ccfleet', logs: '/var/log/ccfleet' });
    m.addUser('alice');
    expect(discover(m.platform, m.fs, { hklmClaudeCodeSettings: '{"env":{}}' }, policy()).osSources).toEqual([]);
  });

  it.each([
    ['/home/a/p', '/home/a/p'],
    ['/home/a/p/', '/home/a/p'],
    ['/home//a/./p//', '/home/a/p'],
    ['/home/a/x/../p', '/home/a/p'],
    ['/', '/'],
    ['home/a/p', null],
    ['./p', null],
    ['', null],
    ['C:\\Users\\a', null],
    ['/home/a/\0p', null],
  ])('canonical project path %j → %j', (key, want) => {
    expect(m.platform.canonicalProjectPath(key)).toBe(want);
  });
});
