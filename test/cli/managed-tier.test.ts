/**
 * The managed tier, through the CLI: files other tools own are read, reported and never modified.
 * - a main managed-settings.json with another ANTHROPIC_BASE_URL: managed-conflict, not blocking (our
 *   drop-in comes later and wins);
 * - a later drop-in (90-other.json) overriding it: blocking — check and repair exit 1, file untouched;
 * - an invalid managed-settings.json (Claude Code refuses to start): managed-invalid, not compliant;
 * - enforceIn "user" with a stale 50-ccfleet.json: repair deletes it, writes the env into every user's
 *   file and removes conflicting env keys from project and local files.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotTree } from '../support/tree.js';
import { ENV, codes, fileOf, fixture, userOf, type Fixture } from './e2e-fixture.js';

const MAIN = '/etc/claude-code/managed-settings.json';
const OURS = '/etc/claude-code/managed-settings.d/50-ccfleet.json';
const LATER = '/etc/claude-code/managed-settings.d/90-other.json';

describe('managed files another tool owns', () => {
  let f: Fixture;
  const managed = () => snapshotTree(f.host('/etc/claude-code'));
  const others = () => Object.fromEntries(Object.entries(managed()).filter(([k]) => !k.startsWith('managed-settings.d') || k.endsWith('90-other.json')));
  beforeAll(() => {
    f = fixture('linux', [{ name: 'alice' }]);
    f.put('/home/alice/.claude/settings.json', '{"theme":"dark"}\n');
    f.put(MAIN, JSON.stringify({ env: { ANTHROPIC_BASE_URL: 'https://other-tool.example/anthropic' }, cleanupPeriodDays: 30 }, null, 2));
  });
  afterAll(() => f.cleanup());

  it('a main file with another base URL: reported, not blocking (our drop-in wins), never modified', () => {
    const before = fs.readFileSync(f.host(MAIN));
    const mtime = fs.statSync(f.host(MAIN)).mtimeMs;
    const rep = f.json('repair');
    expect(rep.code, rep.stdout.slice(0, 2000)).toBe(0);
    const main = fileOf(rep, MAIN);
    expect(main.findings).toContainEqual(expect.objectContaining({ code: 'managed-conflict', key: 'env.ANTHROPIC_BASE_URL', blocking: false }));
    expect(main.compliant).toBe(true);
    expect(fileOf(rep, OURS).state).toBe('repaired');
    expect(JSON.parse(f.read(OURS))).toEqual({ env: ENV });
    expect(fs.readFileSync(f.host(MAIN))).toEqual(before);
    expect(fs.statSync(f.host(MAIN)).mtimeMs).toBe(mtime);
    const check = f.json('check');
    expect(check.code).toBe(0);
    expect(userOf(check, 'alice')!.compliant).toBe(true);
    expect(f.run('check').stdout).toMatch(/managed-conflict \(ours wins\) env\.ANTHROPIC_BASE_URL/);
  });

  it('a later drop-in overriding our value: blocking, check and repair exit 1, the file is untouched', () => {
    f.put(LATER, '{ "env": { "ANTHROPIC_BASE_URL": "https://elsewhere.example/anthropic" } }\n');
    const before = others();
    const check = f.json('check');
    expect(check.code).toBe(1);
    const later = fileOf(check, LATER);
    expect(later.findings).toContainEqual(expect.objectContaining({ code: 'managed-conflict', key: 'env.ANTHROPIC_BASE_URL', blocking: true }));
    expect(later.compliant).toBe(false);
    expect(check.json.managed.compliant).toBe(false);
    const rep = f.json('repair');
    expect(rep.code).toBe(1);
    expect(rep.json.compliant).toBe(false);
    expect(userOf(rep, 'alice')!.compliant).toBe(false); // the session gets the other base URL
    expect(others()).toEqual(before);
    const human = f.run('repair');
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^machine: \/etc\/claude-code\/managed-settings\.d\/90-other\.json: managed-conflict env\.ANTHROPIC_BASE_URL/m);
    expect(human.stdout).toMatch(/90-other\.json\s+drifted/);
  });

  it('a managed file we do not own that overrides the policy is "drifted", never "compliant"', () => {
    expect(fileOf(f.json('check'), LATER).state).toBe('drifted');
  });

  it('an invalid managed-settings.json: managed-invalid, the machine is not compliant, the file untouched', () => {
    fs.rmSync(f.host(LATER));
    f.put(MAIN, '{ "env": { "ANTHROPIC_BASE_URL": "https://other-tool.example/anthropic", } \n');
    const before = others();
    const check = f.json('check');
    expect(check.code).toBe(1);
    const main = fileOf(check, MAIN);
    expect(main.state).toBe('unparseable');
    expect(codes(main)).toContain('managed-invalid');
    expect(main.compliant).toBe(false);
    const rep = f.json('repair');
    expect(rep.code).toBe(1);
    expect(rep.json.compliant).toBe(false);
    // Claude Code refuses to start on this machine: no user's session is compliant, whatever their files say.
    for (const u of rep.json.users) {
      expect(u.compliant).toBe(false);
      expect(u.findings[0]).toMatchObject({ code: 'managed-invalid', blocking: true });
      for (const p of u.projects) expect(p.compliant).toBe(false);
    }
    expect(others()).toEqual(before);
    expect(f.run('check').stdout).toMatch(/^machine: \/etc\/claude-code\/managed-settings\.json: managed-invalid/m);
  });
});

describe('enforceIn "user"', () => {
  let f: Fixture;
  beforeAll(() => {
    f = fixture('linux', [{ name: 'alice' }, { name: 'bob' }]);
    f.put('/home/alice/.claude/settings.json', '{\n  "theme": "dark",\n  "env": { "DEBUG": "1", "ANTHROPIC_BASE_URL": "https://old.example/anthropic" }\n}\n');
    f.put('/home/alice/.claude.json', JSON.stringify({ projects: { '/home/alice/app': {} } }));
    f.put('/home/alice/app/.claude/settings.json', '{"env":{"ANTHROPIC_BASE_URL":"https://project.example/anthropic","KEEP":"1"}}\n');
    f.put('/home/alice/app/.claude/settings.local.json', '{"env":{"ANTHROPIC_AUTH_TOKEN":"sk-local-override-123456"},"outputStyle":"x"}\n');
    // bob has no settings file at all
  });
  afterAll(() => f.cleanup());

  it('repair deletes our stale drop-in, writes the env into each user file, removes project/local conflicts', () => {
    expect(f.run('repair').code).toBe(0); // managed mode first: the drop-in exists
    expect(f.exists(OURS)).toBe(true);
    f.setPolicy({ enforceIn: 'user' });

    const check = f.json('check');
    expect(check.code).toBe(1);
    expect(codes(fileOf(check, OURS))).toContain('dropin-stale');

    const rep = f.json('repair');
    expect(rep.code, rep.stdout.slice(0, 3000)).toBe(0);
    expect(f.exists(OURS)).toBe(false);
    expect(JSON.parse(f.read('/home/alice/.claude/settings.json'))).toEqual({ theme: 'dark', env: { DEBUG: '1', ...ENV } });
    expect(JSON.parse(f.read('/home/bob/.claude/settings.json'))).toEqual({ env: ENV });
    expect(JSON.parse(f.read('/home/alice/app/.claude/settings.json'))).toEqual({ env: { KEEP: '1' } });
    expect(JSON.parse(f.read('/home/alice/app/.claude/settings.local.json'))).toEqual({ env: {}, outputStyle: 'x' });
    expect(codes(fileOf(rep, '/home/alice/app/.claude/settings.json'))).toContain('env-conflict');
    for (const u of ['alice', 'bob']) expect(userOf(rep, u)!.compliant, u).toBe(true);

    const after = f.json('check');
    expect(after.code).toBe(0);
    const alice = userOf(after, 'alice')!;
    expect(alice.projects[0]!.selectedModel.resolved).toBe('opus-model');
    expect(f.json('repair').json.summary.repaired).toBe(0);
  });
});
