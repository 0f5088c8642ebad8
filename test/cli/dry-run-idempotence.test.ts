/**
 * `repair --dry-run` writes nothing at all (every byte and mtime of the root, no state folder, no backup),
 * reports exactly the states `repair` then produces, and exits as `check` would. After a repair, a second
 * repair (and a dry run) finds nothing to do and leaves every mtime alone — the do-nothing test.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlatformName } from '../../src/platform/types.js';
import { fileOf, fixture, states, type Fixture } from './e2e-fixture.js';

let fixtures: Fixture[] = [];
afterEach(() => {
  fixtures.forEach((f) => f.cleanup());
  fixtures = [];
});

function drifted(platform: PlatformName, policy: Record<string, unknown> = {}) {
  const f = fixture(platform, [{ name: 'alice' }, { name: 'bob' }], policy);
  fixtures.push(f);
  const a = f.home('alice');
  const b = f.home('bob');
  const app = f.join(a, 'src', 'app');
  const p = {
    aliceUser: f.join(a, '.claude', 'settings.json'),
    appShared: f.join(app, '.claude', 'settings.json'),
    appLocal: f.join(app, '.claude', 'settings.local.json'),
    bobUser: f.join(b, '.claude', 'settings.json'),
    bobJsonc: f.join(b, 'notes', '.claude', 'settings.json'),
    bobGarbage: f.join(b, 'notes', '.claude', 'settings.local.json'),
  };
  f.put(p.aliceUser, '{\n  "model": "claude-opus-4-5",\n  "theme": "dark"\n}\n', 0o600);
  f.put(f.join(a, '.claude.json'), JSON.stringify({ projects: { [app]: {} } }));
  f.put(p.appShared, '{\r\n  "env": { "ANTHROPIC_MODEL": "claude-sonnet-4-5", "DEBUG": "1" }\r\n}\r\n');
  f.put(p.appLocal, '{"model":"opus","outputStyle":"x"}');
  f.put(p.bobUser, '{\n\t"permissions": { "allow": [] }\n}\n');
  f.put(f.join(b, '.claude.json'), JSON.stringify({ projects: { [f.join(b, 'notes')]: {} } }));
  f.put(p.bobJsonc, '{\n  // ignored whole by Claude Code\n  "model": "opus",\n}\n');
  f.put(p.bobGarbage, 'not json {');
  return { f, p };
}

describe.each<PlatformName>(['linux', 'windows'])('%s', (platform) => {
  it('dry run: nothing written, the states repair produces, exit as check; then repair is idempotent', () => {
    const { f, p } = drifted(platform);
    const s0 = f.snap();

    const check = f.json('check');
    expect(check.code).toBe(1);
    expect(check.json.compliant).toBe(false);

    const dry = f.json('repair', '--dry-run');
    expect(dry.code, dry.stderr).toBe(1);
    expect(dry.json.mode).toBe('dry-run');
    expect(dry.json.compliant).toBe(true); // what repair would leave...
    expect(dry.json.compliantNow).toBe(false); // ...and the machine as it is
    const human = f.run('repair', '--dry-run');
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^NOT COMPLIANT now; repair would leave it COMPLIANT .*nothing written/);
    expect(f.snap()).toEqual(s0);
    expect(fs.existsSync(f.stateDir)).toBe(false);

    const planned = states(dry);
    for (const k of ['aliceUser', 'appShared', 'appLocal'] as const) expect(planned[p[k]], k).toBe('repaired');
    expect(planned[f.join(f.managedDir, 'managed-settings.d', '50-ccfleet.json')]).toBe('repaired');
    expect(planned[p.bobUser]).toBe('compliant');
    expect(planned[p.bobJsonc]).toBe('unparseable');
    expect(planned[p.bobGarbage]).toBe('unparseable');

    const rep = f.json('repair');
    expect(rep.code, rep.stdout.slice(0, 2000)).toBe(0);
    expect(states(rep)).toEqual(planned);
    expect(rep.json.summary.repaired).toBe(dry.json.summary.repaired);
    expect(fs.existsSync(f.stateDir)).toBe(true); // backups of the changed files
    if (platform !== 'windows') expect(fs.statSync(f.host(p.aliceUser)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(f.read(p.aliceUser))).toEqual({ theme: 'dark' });
    expect(f.read(p.appShared)).toBe('{\r\n  "env": { "DEBUG": "1" }\r\n}\r\n');

    // do nothing: the second repair changes nothing, not even an mtime, and takes no backup
    const s1 = f.snap();
    const again = f.json('repair');
    expect(again.code).toBe(0);
    expect(again.json.summary.repaired).toBe(0);
    expect(Object.values(states(again))).not.toContain('repaired');
    expect(fileOf(again, p.aliceUser).state).toBe('compliant');
    expect(f.snap()).toEqual(s1);

    const dry2 = f.json('repair', '--dry-run');
    expect(dry2.code).toBe(0);
    expect(dry2.json.compliantNow).toBe(true);
    expect(Object.values(states(dry2))).not.toContain('repaired');
    expect(f.run('repair', '--dry-run').stdout).toMatch(/^COMPLIANT \(nothing to repair\)/);
    expect(f.json('check').code).toBe(0);
    expect(f.snap()).toEqual(s1);
  });
});

describe('user mode', () => {
  it('a dry run creates neither the missing user file nor its folder; repair then does, once', () => {
    const f = fixture('linux', [{ name: 'carol' }], { enforceIn: 'user' });
    fixtures.push(f);
    const file = f.join(f.home('carol'), '.claude', 'settings.json');
    const s0 = f.snap();
    const dry = f.json('repair', '--dry-run');
    expect(dry.code).toBe(1);
    expect(fileOf(dry, file).state).toBe('repaired');
    expect(f.snap()).toEqual(s0);
    expect(f.exists(f.join(f.home('carol'), '.claude'))).toBe(false);

    const rep = f.json('repair');
    expect(rep.code).toBe(0);
    expect(fileOf(rep, file).state).toBe('repaired');
    expect(f.exists(file)).toBe(true);
    const s1 = f.snap();
    const again = f.json('repair');
    expect(again.code).toBe(0);
    expect(fileOf(again, file).state).toBe('compliant');
    expect(f.snap()).toEqual(s1);
  });
});
