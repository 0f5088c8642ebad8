// `check|repair --format jamf|intune|intune-compliance` through the built CLI on a fixture machine: exit
// codes, the exact line shapes, failures answered in each tool's shape, usage errors, and the Intune
// 2,048-character cap with many users.
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, type Fixture } from './e2e-fixture.js';

const all: Fixture[] = [];
afterAll(() => all.forEach((f) => f.cleanup()));

function drifted(users = ['alice', 'bob']): Fixture {
  const f = fixture('linux', users.map((name) => ({ name })));
  all.push(f);
  f.put(f.join(f.home(users[0]!), '.claude', 'settings.json'), '{ "model": "claude-opus-4-5" }\n');
  return f;
}

describe('MDM formats (CLI)', () => {
  it('non-compliant, repaired, compliant: each format with its exit code; one line each', () => {
    const f = drifted();
    const jamf = f.run('check', '--format', 'jamf');
    expect([jamf.code, jamf.stdout]).toEqual([0, expect.stringMatching(/^<result>Non-compliant: [a-z-]+ \((machine|\d users?)\)(, [a-z-]+ \((machine|\d users?)\)){0,2}<\/result>\n$/)]);
    expect(jamf.stdout).toBe('<result>Non-compliant: dropin-missing (machine), env-not-enforced (2 users), model-unmapped (2 users)</result>\n');
    const intune = f.run('check', '--format', 'intune');
    expect(intune.code).toBe(1);
    expect(intune.stdout).toBe('Non-compliant: policy e2e v1; 2 of 2 user(s) (alice, bob); dropin-missing (machine), env-not-enforced (2 users), model-unmapped (2 users), model-present (1 user)\n');
    const comp = f.run('check', '--format', 'intune-compliance');
    expect(comp.code).toBe(0);
    expect(comp.stdout.split('\n')).toHaveLength(2);
    expect(JSON.parse(comp.stdout)).toMatchObject({ ccfleetCompliant: false, ccfleetPolicyId: 'e2e', ccfleetPolicyVersion: 1, ccfleetUsers: 2, ccfleetError: 'none' });

    const repaired = f.run('repair', '--format', 'intune');
    expect([repaired.code, repaired.stdout]).toEqual([0, 'Compliant: policy e2e v1, 2 user(s)\n']);
    expect(f.run('check', '--format', 'jamf')).toMatchObject({ code: 0, stdout: '<result>Compliant</result>\n' });
    expect(f.run('check', '--format', 'intune')).toMatchObject({ code: 0, stdout: 'Compliant: policy e2e v1, 2 user(s)\n' });
    const ok = f.run('check', '--format', 'intune-compliance');
    expect(JSON.parse(ok.stdout)).toMatchObject({ ccfleetCompliant: true, ccfleetNonCompliantUsers: 0, ccfleetError: 'none' });
    expect(ok.code).toBe(0);
  });

  it('a failure (unparseable policy) in each tool\'s shape: jamf exit 0, intune exit 1, intune-compliance exit 0; the error line on stderr', () => {
    const f = drifted();
    f.setPolicy('{ not a policy');
    const jamf = f.run('check', '--format', 'jamf');
    expect(jamf).toMatchObject({ code: 0, stdout: '<result>Error: POLICY_PARSE</result>\n' });
    expect(jamf.stderr).toMatch(/^ccfleet: POLICY_PARSE: /);
    const intune = f.run('check', '--format', 'intune');
    expect(intune.code).toBe(1);
    expect(intune.stdout).toMatch(/^Error: POLICY_PARSE: .+\n$/);
    const comp = f.run('check', '--format', 'intune-compliance');
    expect(comp.code).toBe(0);
    expect(JSON.parse(comp.stdout)).toMatchObject({ ccfleetCompliant: false, ccfleetError: 'POLICY_PARSE' });
    const rep = f.run('repair', '--format', 'intune');
    expect(rep.code).toBe(1);
    expect(rep.stdout).toMatch(/^Error: POLICY_PARSE: /);
  });

  it('usage errors stay usage errors (exit 2, nothing on stdout): unknown format, with --json, on status', () => {
    const f = drifted(['alice']);
    for (const args of [['check', '--format', 'xml'], ['check', '--format', 'jamf', '--json'], ['status', '--format', 'jamf'], ['check', '--format']]) {
      const r = f.run(...args);
      expect([r.code, r.stdout, r.stderr]).toEqual([2, '', expect.stringMatching(/^ccfleet: USAGE: /)]);
    }
  });

  it('60 non-compliant users with long names: the Intune line stays under 2,048 characters', () => {
    const users = Array.from({ length: 60 }, (_, i) => `dev${String(i).padStart(2, '0')}-with-a-long-directory-account-name`);
    const f = fixture('linux', users.map((name) => ({ name })));
    all.push(f);
    for (const u of users) f.put(f.join(f.home(u), '.claude', 'settings.json'), '{ "model": "opus" }\n');
    const r = f.run('check', '--format', 'intune');
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBeLessThanOrEqual(2048);
    expect(r.stdout).toMatch(/^Non-compliant: policy e2e v1; 60 of 60 user\(s\) \(dev00-.*, \+\d+ more\); .*model-present \(60 users\).*\n$/);
  });
});
