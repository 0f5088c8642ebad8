/**
 * Files ccfleet must not write: a symlinked user settings file, a symlinked ~/.claude, a hard-linked
 * settings file (state `unsafe`, finding symlink/hardlink, link and target byte-for-byte unchanged), and
 * files Claude Code cannot parse (`unparseable`: not-strict-json / invalid-json). Claude Code reads
 * through links, so their content still decides compliance: repair exits 1 when it keeps a user
 * non-compliant and 0 when it is fine. With normalizeIgnoredFiles the JSONC file becomes strict JSON,
 * with a backup that `restore --list` shows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshotTree } from '../support/tree.js';
import { codes, fileOf, fixture, userOf, type Fixture } from './e2e-fixture.js';

let fixtures: Fixture[] = [];
afterEach(() => {
  fixtures.forEach((f) => f.cleanup());
  fixtures = [];
});

/** alice: settings.json → ~/dotfiles/claude.json; bob: ~/.claude → ~/real-claude; carol: settings.json hard-linked to ~/copy.json. */
function linkedMachine(content: string) {
  const f = fixture('linux', [{ name: 'alice' }, { name: 'bob' }, { name: 'carol' }]);
  fixtures.push(f);
  const [a, b, c] = ['alice', 'bob', 'carol'].map((u) => f.host(f.home(u))) as [string, string, string];
  f.put('/home/alice/dotfiles/claude.json', content);
  fs.mkdirSync(path.join(a, '.claude'));
  fs.symlinkSync('../dotfiles/claude.json', path.join(a, '.claude', 'settings.json'));
  f.put('/home/bob/real-claude/settings.json', content);
  fs.symlinkSync('real-claude', path.join(b, '.claude'));
  f.put('/home/carol/.claude/settings.json', content);
  fs.linkSync(path.join(c, '.claude', 'settings.json'), path.join(c, 'copy.json'));
  const homes = () => Object.fromEntries([a, b, c].map((h) => [h, snapshotTree(h)]));
  return { f, homes };
}

const paths = { alice: '/home/alice/.claude/settings.json', bob: '/home/bob/.claude/settings.json', carol: '/home/carol/.claude/settings.json' };
const finding = { alice: 'symlink', bob: 'symlink', carol: 'hardlink' };

describe('links are never written', () => {
  it('their content keeps the users non-compliant: unsafe, untouched, repair exits 1', () => {
    const { f, homes } = linkedMachine('{\n  "model": "claude-opus-4-5",\n  "theme": "dark"\n}\n');
    const before = homes();
    const rep = f.json('repair');
    expect(rep.code).toBe(1);
    expect(rep.json.compliant).toBe(false);
    for (const u of ['alice', 'bob', 'carol'] as const) {
      const file = fileOf(rep, paths[u]);
      expect(file.state, u).toBe('unsafe');
      expect(codes(file), u).toContain(finding[u]);
      expect(userOf(rep, u)!.compliant, u).toBe(false);
      // what Claude Code reads through the link decides the model
      expect(userOf(rep, u)!.selectedModel).toMatchObject({ requested: 'claude-opus-4-5', source: 'user.model' });
    }
    expect(rep.json.summary.unsafe).toBe(3);
    expect(homes()).toEqual(before);
    expect(f.read('/home/carol/copy.json')).toContain('claude-opus-4-5');
    expect(f.run('check').code).toBe(1);
  });

  it('with content that is fine, they are reported unsafe and the machine is compliant: repair exits 0', () => {
    const { f, homes } = linkedMachine('{\n  "theme": "dark"\n}\n');
    const before = homes();
    const rep = f.json('repair');
    expect(rep.code, rep.stdout.slice(0, 1500)).toBe(0);
    expect(rep.json.compliant).toBe(true);
    for (const u of ['alice', 'bob', 'carol'] as const) {
      const file = fileOf(rep, paths[u]);
      expect(file.state, u).toBe('unsafe');
      expect(codes(file), u).toContain(finding[u]);
      expect(userOf(rep, u)!.compliant, u).toBe(true);
    }
    expect(homes()).toEqual(before);
    const human = f.run('check');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/unsafe\s+symlink/);
    expect(human.stdout).toMatch(/unsafe\s+hardlink/);
  });

  it('user mode: a linked user file that would need the env block is not written, so repair exits 1', () => {
    const { f, homes } = linkedMachine('{\n  "theme": "dark"\n}\n');
    f.setPolicy({ enforceIn: 'user' });
    const before = homes();
    const rep = f.json('repair');
    expect(rep.code).toBe(1);
    for (const u of ['alice', 'bob', 'carol'] as const) expect(fileOf(rep, paths[u]).state, u).toBe('unsafe');
    expect(homes()).toEqual(before);
  });
});

describe('files Claude Code cannot parse', () => {
  const jsonc = '{\n  // a comment: Claude Code ignores this whole file\n  "model": "opus",\n  "theme": "dark",\n}\n';
  const garbage = '{ "model": "opus" oops';

  function machine(policy: Record<string, unknown> = {}) {
    const f = fixture('linux', [{ name: 'dana' }], policy);
    fixtures.push(f);
    f.put('/home/dana/.claude/settings.json', jsonc, 0o600);
    f.put('/home/dana/.claude.json', JSON.stringify({ projects: { '/home/dana/p': {} } }));
    f.put('/home/dana/p/.claude/settings.json', garbage);
    return f;
  }

  it('are reported (not-strict-json / invalid-json), never written, and do not count against the user', () => {
    const f = machine();
    const before = snapshotTree(f.host('/home/dana'));
    const rep = f.json('repair');
    expect(rep.code, rep.stdout.slice(0, 1500)).toBe(0);
    const user = fileOf(rep, '/home/dana/.claude/settings.json');
    expect(user.state).toBe('unparseable');
    expect(codes(user)).toContain('not-strict-json');
    const proj = fileOf(rep, '/home/dana/p/.claude/settings.json');
    expect(proj.state).toBe('unparseable');
    expect(codes(proj)).toContain('invalid-json');
    expect(userOf(rep, 'dana')!.compliant).toBe(true);
    expect(userOf(rep, 'dana')!.selectedModel.source).not.toMatch(/model$/); // the ignored "model" does not count
    expect(snapshotTree(f.host('/home/dana'))).toEqual(before);
    expect(f.run('restore', '--list').stdout).toBe('no backups\n');
  });

  it('normalizeIgnoredFiles: the JSONC file becomes strict JSON (model gone, the rest kept) with a backup; garbage stays', () => {
    const f = machine({ normalizeIgnoredFiles: true });
    const rep = f.json('repair');
    expect(rep.code, rep.stdout.slice(0, 1500)).toBe(0);
    expect(fileOf(rep, '/home/dana/.claude/settings.json').state).toBe('repaired');
    expect(JSON.parse(f.read('/home/dana/.claude/settings.json'))).toEqual({ theme: 'dark' });
    expect(fs.statSync(f.host('/home/dana/.claude/settings.json')).mode & 0o777).toBe(0o600);
    expect(fileOf(rep, '/home/dana/p/.claude/settings.json').state).toBe('unparseable');
    expect(f.read('/home/dana/p/.claude/settings.json')).toBe(garbage);

    const list = f.json('restore', '--list');
    expect(list.code).toBe(0);
    expect(list.json.backups.map((b: { path: string }) => b.path)).toEqual(['/home/dana/.claude/settings.json']);
    expect(f.run('restore', '--list').stdout).toContain('/home/dana/.claude/settings.json');
    const again = f.json('repair');
    expect(again.json.summary.repaired).toBe(0);
    // and the original comes back byte for byte
    expect(f.run('restore', '--path', '/home/dana/.claude/settings.json').code).toBe(0);
    expect(f.read('/home/dana/.claude/settings.json')).toBe(jsonc);
  });
});
