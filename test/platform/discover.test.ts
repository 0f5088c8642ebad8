/** discover() on a real fixture tree of each platform: config dirs, projects, git roots, managed files. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discover, type Discovery } from '../../src/platform/discover.js';
import { PLATFORM_NAMES, type HostFacts } from '../../src/platform/types.js';
import { MachineFixture, policy } from './fixture.js';

const BOM = '\ufeff';

describe.each(PLATFORM_NAMES)('discover on %s', (name) => {
  let m: MachineFixture;
  beforeEach(() => {
    m = new MachineFixture(name);
  });
  afterEach(() => m.cleanup());

  const run = (p = policy(), facts: HostFacts = { hklmClaudeCodeSettings: null }): Discovery => discover(m.platform, m.fs, facts, p);
  const projectsJson = (...keys: string[]) => JSON.stringify({ projects: Object.fromEntries(keys.map((k) => [k, {}])) });
  const only = (d: Discovery, user = 'alice') => {
    const u = d.users.find((x) => x.user.name === user);
    if (!u) throw new Error(`no user ${user}`);
    return u;
  };

  it('defaults the config dir to <home>/.claude and reads <home>/.claude.json', () => {
    m.addUser('alice');
    const u = only(run());
    expect(u.configDir).toBe(m.under('alice', '.claude'));
    expect(u.customConfigDir).toBe(false);
    expect(u.settingsPath).toBe(m.under('alice', '.claude', 'settings.json'));
    expect(u.claudeJson).toBe(m.under('alice', '.claude.json'));
    expect(u.claudeJsonState).toBe('absent');
    expect(u.projects).toEqual([]);
  });

  it('uses CLAUDE_CONFIG_DIR from policy.users.configDirs, expanding "~", and reads .claude.json there', () => {
    m.addUser('alice');
    m.addUser('bob');
    m.addUser('carol');
    const abs = name === 'windows' ? 'D:\\claude\\carol' : '/opt/claude/carol';
    const proj = m.mkdir(m.under('alice', 'p'));
    m.put(m.under('alice', 'cfg', '.claude.json'), projectsJson(proj));
    m.put(m.under('alice', '.claude.json'), projectsJson(m.mkdir(m.under('alice', 'ignored'))));
    const d = run(policy(`"users": { "configDirs": { "alice": "~/cfg", "bob": "~", "carol": ${JSON.stringify(abs)} } }`));
    const alice = only(d);
    expect(alice.configDir).toBe(m.under('alice', 'cfg'));
    expect(alice.customConfigDir).toBe(true);
    expect(alice.settingsPath).toBe(m.under('alice', 'cfg', 'settings.json'));
    expect(alice.claudeJson).toBe(m.under('alice', 'cfg', '.claude.json'));
    expect(alice.projects.map((p) => p.path)).toEqual([proj]);
    const bob = only(d, 'bob');
    expect(bob.configDir).toBe(m.home('bob'));
    expect(bob.claudeJson).toBe(m.under('bob', '.claude.json'));
    expect(only(d, 'carol').configDir).toBe(abs);
    expect(only(d, 'carol').claudeJson).toBe(m.platform.path.join(abs, '.claude.json'));
  });

  it('lists existing projects once each, sorted, skipping missing folders, relative keys and files', () => {
    m.addUser('alice');
    const b = m.mkdir(m.under('alice', 'b'));
    const a = m.mkdir(m.under('alice', 'a'));
    const file = m.put(m.under('alice', 'notes.txt'), 'x');
    const sep = m.platform.path.sep;
    m.put(m.under('alice', '.claude.json'), projectsJson(b, `${b}${sep}`, a, m.under('alice', 'gone'), 'relative/path', file, a));
    const u = only(run());
    expect(u.claudeJsonState).toBe('ok');
    expect(u.projects.map((p) => p.path)).toEqual([a, b]);
  });

  it.each([
    ['a UTF-8 BOM', (keys: string) => `${BOM}{"projects": ${keys}}`, 'ok', true],
    ['trailing commas and comments', (keys: string) => `{ // c\n"projects": ${keys.replace(/}$/, ',}')},}`, 'ok', true],
    ['a half-written file', (keys: string) => `{"numStartups": 3, "projects": ${keys.replace(/}$/, '')}`, 'ok', true],
    ['no projects key', () => '{"numStartups": 3}', 'ok', false],
    ['projects that is not an object', () => '{"projects": ["x"]}', 'ok', false],
    ['an empty file', () => '', 'unreadable', false],
    ['garbage', () => 'not json at all', 'unreadable', false],
    ['an array', () => '[1, 2]', 'unreadable', false],
  ] as const)('reads a .claude.json with %s tolerantly', (_what, text, state, found) => {
    m.addUser('alice');
    const p = m.mkdir(m.under('alice', 'proj'));
    m.put(m.under('alice', '.claude.json'), text(JSON.stringify({ [p]: { allowedTools: [] } })));
    const u = only(run());
    expect(u.claudeJsonState).toBe(state);
    expect(u.projects.map((x) => x.path)).toEqual(found ? [p] : []);
  });

  it('lists a project shared by two users once per user', () => {
    m.addUser('alice');
    m.addUser('bob');
    const shared = name === 'windows' ? 'C:\\src\\shared' : '/srv/shared';
    m.mkdir(shared);
    m.put(m.under('alice', '.claude.json'), projectsJson(shared));
    m.put(m.under('bob', '.claude.json'), projectsJson(shared));
    const d = run();
    expect(d.users.map((u) => u.projects.map((p) => p.path))).toEqual([[shared], [shared]]);
  });

  it('puts the local file at the git root first for a project nested in a repo', () => {
    m.addUser('alice');
    const j = m.platform.path.join;
    const repo = m.mkdir(m.under('alice', 'repo'));
    m.mkdir(j(repo, '.git'));
    const nested = m.mkdir(j(repo, 'services', 'api'));
    const worktree = m.mkdir(m.under('alice', 'wt'));
    m.put(j(worktree, '.git'), 'gitdir: /elsewhere\n');
    const plain = m.mkdir(m.under('alice', 'plain'));
    m.put(m.under('alice', '.claude.json'), projectsJson(nested, repo, worktree, plain));
    const byPath = new Map(only(run()).projects.map((p) => [p.path, p]));

    expect(byPath.get(nested)?.gitRoot).toBe(repo);
    expect(byPath.get(nested)?.files).toEqual([
      { role: 'local', path: j(repo, '.claude', 'settings.local.json') },
      { role: 'local', path: j(nested, '.claude', 'settings.local.json') },
      { role: 'project', path: j(nested, '.claude', 'settings.json') },
    ]);
    for (const p of [repo, worktree]) {
      expect(byPath.get(p)?.gitRoot).toBe(p);
      expect(byPath.get(p)?.files).toEqual([
        { role: 'local', path: j(p, '.claude', 'settings.local.json') },
        { role: 'project', path: j(p, '.claude', 'settings.json') },
      ]);
    }
    expect(byPath.get(plain)?.gitRoot).toBeNull();
  });

  it('names the managed files and orders drop-ins alphabetically with ours among them', () => {
    m.addUser('alice');
    const j = m.platform.path.join;
    const dir = m.platform.managedDir;
    const dropinDir = j(dir, 'managed-settings.d');
    for (const f of ['90-late.json', '10-early.json', '.hidden.json', 'notes.txt', '50-ccfleet.json', '60-b.json']) m.put(j(dropinDir, f), '{}');
    const d = run();
    expect(d.managed.dir).toBe(dir);
    expect(d.managed.main).toBe(j(dir, 'managed-settings.json'));
    expect(d.managed.dropinDir).toBe(dropinDir);
    expect(d.managed.ours).toBe(j(dropinDir, '50-ccfleet.json'));
    expect(d.managed.dropins).toEqual(['10-early.json', '50-ccfleet.json', '60-b.json', '90-late.json'].map((f) => j(dropinDir, f)));
  });

  it('lists our drop-in even when the managed folder does not exist yet', () => {
    const d = run();
    expect(d.users).toEqual([]);
    expect(d.managed.dropins).toEqual([d.managed.ours]);
  });

  it('applies include/exclude from the policy', () => {
    for (const u of ['alice', 'bob', 'carol']) m.addUser(u);
    expect(run(policy('"users": { "include": ["alice", "carol"] }')).users.map((u) => u.user.name)).toEqual(['alice', 'carol']);
    expect(run(policy('"users": { "exclude": ["bob"] }')).users.map((u) => u.user.name)).toEqual(['alice', 'carol']);
    expect(run(policy('"users": { "include": ["alice", "bob"], "exclude": ["bob"] }')).users.map((u) => u.user.name)).toEqual(['alice']);
  });
});
