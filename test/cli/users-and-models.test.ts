/**
 * Which users and files a run covers, and a developer's own model choice:
 * - users.configDirs (CLAUDE_CONFIG_DIR): the named folder's settings.json and .claude.json are used;
 *   ~/.claude is then not read by Claude Code, so ccfleet neither reports nor touches it;
 * - --user limits the run to one user (repeatable): the others' files are untouched and not reported;
 * - users.exclude does the same from the policy;
 * - model.keep "allowed" keeps `"model": "sonnet"` when the policy maps sonnet, and removes what is not
 *   allowed or not mapped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotTree } from '../support/tree.js';
import { ENV, fileOf, fixture, states, userOf, type Fixture } from './e2e-fixture.js';

const OPUS = '{\n  "model": "claude-opus-4-5"\n}\n';

describe('who is covered', () => {
  let f: Fixture;
  beforeAll(() => {
    f = fixture('linux', [{ name: 'alice' }, { name: 'bob' }, { name: 'carol' }]);
    for (const u of ['alice', 'bob', 'carol']) f.put(`/home/${u}/.claude/settings.json`, OPUS);
    f.put('/home/bob/.claude.json', JSON.stringify({ projects: { '/home/bob/api': {} } }));
    f.put('/home/bob/api/.claude/settings.json', OPUS);
    // alice runs Claude Code with CLAUDE_CONFIG_DIR=~/.config/claude
    f.put('/home/alice/.config/claude/settings.json', OPUS);
    f.put('/home/alice/.config/claude/.claude.json', JSON.stringify({ projects: { '/home/alice/web': {} } }));
    f.put('/home/alice/web/.claude/settings.local.json', OPUS);
    f.put('/home/alice/.claude.json', JSON.stringify({ projects: { '/home/alice/old': {} } }));
    f.put('/home/alice/old/.claude/settings.json', OPUS);
  });
  afterAll(() => f.cleanup());

  const homes = () => Object.fromEntries(['alice', 'bob', 'carol'].map((u) => [u, snapshotTree(f.host(`/home/${u}`))]));

  it('--user limits the run to that user; users.exclude drops a user (files untouched, not reported)', () => {
    const before = homes();
    const one = f.json('repair', '--user', 'bob');
    expect(one.code, one.stdout.slice(0, 2000)).toBe(0);
    expect(one.json.users.map((u: { name: string }) => u.name)).toEqual(['bob']);
    expect(one.json.files.filter((x: { user: string | null }) => x.user !== null && x.user !== 'bob')).toEqual([]);
    expect(fileOf(one, '/home/bob/api/.claude/settings.json').state).toBe('repaired');
    const now = homes();
    expect(now.alice).toEqual(before.alice);
    expect(now.carol).toEqual(before.carol);
    expect(now.bob).not.toEqual(before.bob);

    f.setPolicy({ users: { exclude: ['carol'], configDirs: { alice: '~/.config/claude' } } });
    const two = f.json('check', '--user', 'bob', '--user', 'carol');
    expect(two.json.users.map((u: { name: string }) => u.name)).toEqual(['bob']); // carol: excluded by the policy
    expect(two.code).toBe(0);
  });

  // With CLAUDE_CONFIG_DIR set, Claude Code no longer reads ~/.claude/settings.json as the user file — but a
  // session started in the home folder reads it as that folder's project settings (seen on the wire with
  // 2.1.332, test/e2e/users-and-folders.test.ts), so it is reported as a project file and repaired too.
  it('users.configDirs: the named folder is the user level; ~/.claude/settings.json is the home\'s project file', () => {
    f.setPolicy({ users: { exclude: ['carol'], configDirs: { alice: '~/.config/claude' } } });
    const oldProject = snapshotTree(f.host('/home/alice/old'));
    const carol = snapshotTree(f.host('/home/carol'));
    const rep = f.json('repair');
    expect(rep.code, rep.stdout.slice(0, 2000)).toBe(0);
    expect(rep.json.users.map((u: { name: string }) => u.name)).toEqual(['alice', 'bob']);
    const alice = userOf(rep, 'alice')! as unknown as { configDir: string; projects: { path: string }[] };
    expect(alice.configDir).toBe('/home/alice/.config/claude');
    // the home is listed too: a session there reads ~/.claude/settings.json as its project settings
    expect(alice.projects.map((p) => p.path)).toEqual(['/home/alice', '/home/alice/web']);
    const s = states(rep);
    expect(s['/home/alice/.config/claude/settings.json']).toBe('repaired');
    expect(s['/home/alice/web/.claude/settings.local.json']).toBe('repaired');
    expect(Object.keys(s).filter((p) => p.startsWith('/home/alice/old') || p.startsWith('/home/carol'))).toEqual([]);
    expect(s['/home/alice/.claude/settings.json']).toBe('repaired');
    expect(fileOf(rep, '/home/alice/.claude/settings.json').scope).toBe('project');
    expect(f.read('/home/alice/.claude/settings.json')).not.toContain('model');
    expect(snapshotTree(f.host('/home/alice/old'))).toEqual(oldProject);
    expect(snapshotTree(f.host('/home/carol'))).toEqual(carol);
    expect(f.read('/home/alice/.config/claude/settings.json')).not.toContain('model');
  });
});

describe('model.keep "allowed"', () => {
  let f: Fixture;
  beforeAll(() => {
    f = fixture('linux', [{ name: 'ann' }, { name: 'ben' }, { name: 'cat' }], { model: { keep: 'allowed' } });
    f.put('/home/ann/.claude/settings.json', '{\n  "model": "sonnet",\n  "theme": "dark"\n}\n');
    f.put('/home/ben/.claude/settings.json', '{\n  "model": "claude-opus-4-5"\n}\n');
    f.put('/home/cat/.claude/settings.json', '{\n  "model": "opusplan"\n}\n');
  });
  afterAll(() => f.cleanup());

  it('keeps "sonnet" (allowed and mapped), removes a full id and a name that is not allowed', () => {
    const ann = f.read('/home/ann/.claude/settings.json');
    const rep = f.json('repair');
    expect(rep.code, rep.stdout.slice(0, 2000)).toBe(0);
    expect(fileOf(rep, '/home/ann/.claude/settings.json').state).toBe('compliant');
    expect(f.read('/home/ann/.claude/settings.json')).toBe(ann);
    expect(userOf(rep, 'ann')!.selectedModel).toEqual({ requested: 'sonnet', resolved: 'sonnet-model', source: 'user.model' });
    expect(fileOf(rep, '/home/ben/.claude/settings.json').state).toBe('repaired');
    expect(fileOf(rep, '/home/cat/.claude/settings.json').state).toBe('repaired');
    expect(f.read('/home/ben/.claude/settings.json')).not.toContain('model');
    expect(userOf(rep, 'ben')!.selectedModel.resolved).toBe('opus-model');
  });

  it('removes "sonnet" when the policy does not map it', () => {
    const { ANTHROPIC_DEFAULT_SONNET_MODEL: _dropped, ...env } = ENV;
    f.setPolicy({ model: { keep: 'allowed' }, env });
    const dry = f.json('repair', '--dry-run');
    expect(fileOf(dry, '/home/ann/.claude/settings.json').state).toBe('repaired');
    expect(dry.code).toBe(1);
  });
});
