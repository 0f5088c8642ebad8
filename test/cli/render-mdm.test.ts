// MDM output formats (src/cli/render-mdm.ts) over synthetic reports: the exact lines, the exit codes each
// tool needs, the reasons summary, and the 2,048-character Intune cap with thousands of users.
import { describe, expect, it } from 'vitest';
import type { MachineReport } from '../../src/agent/report-types.js';
import { CcfleetError } from '../../src/core/errors.js';
import { INTUNE_MAX_OUTPUT, reasons, renderMdm, renderMdmError } from '../../src/cli/render-mdm.js';
import { sampleMachine } from '../agent/report-sample.js';

/** A machine with `n` users, the first `bad` of them not compliant (model-present in their file, model-unmapped in a project). */
function machine(n: number, bad: number, nameOf = (i: number) => `user${i}`): MachineReport {
  const base = sampleMachine();
  const u0 = base.users[0]!;
  const users = Array.from({ length: n }, (_, i) => {
    const ok = i >= bad;
    return {
      ...u0,
      name: nameOf(i),
      compliant: ok,
      findings: ok ? [] : [{ code: 'model-present', key: 'model', blocking: true }],
      projects: [{ path: `/p/${i}`, compliant: ok, selectedModel: u0.selectedModel, findings: ok || i % 2 ? [] : [{ code: 'model-unmapped', blocking: true }, { code: 'model-present', blocking: true }] }],
    };
  });
  const files = users.map((u) => ({
    path: `/home/${u.name}/.claude/settings.json`, scope: 'user' as const, role: 'user' as const, user: u.name,
    state: u.compliant ? ('compliant' as const) : ('drifted' as const), compliant: u.compliant,
    findings: u.compliant ? [] : [{ code: 'model-present', key: 'model', blocking: true }, { code: 'model-allowed', key: 'model' }],
  }));
  return { ...base, compliant: bad === 0, users, files, summary: { ...base.summary, users: n, files: n, nonCompliantUsers: bad } };
}

describe('reasons', () => {
  it('each blocking code once per user, machine-wide codes first, most users first; non-blocking ignored', () => {
    const m = machine(5, 3);
    m.managed.findings.push({ code: 'managed-shadowed', blocking: true }, { code: 'managed-conflict', blocking: false });
    expect(reasons(m)).toEqual([
      { code: 'managed-shadowed', users: 0 },
      { code: 'model-present', users: 3 },
      { code: 'model-unmapped', users: 2 },
    ]);
    expect(reasons(machine(4, 0))).toEqual([]);
  });
});

describe('jamf', () => {
  it('Compliant / Non-compliant: top three reasons / Error: CODE — always exit 0, one line', () => {
    expect(renderMdm('jamf', machine(2, 0), '1.2.3')).toEqual({ exitCode: 0, stdout: '<result>Compliant</result>\n' });
    const m = machine(5, 3);
    m.managed.findings.push({ code: 'managed-shadowed', blocking: true }, { code: 'managed-invalid', blocking: true });
    expect(renderMdm('jamf', m, '1.2.3')).toEqual({ exitCode: 0, stdout: '<result>Non-compliant: managed-invalid (machine), managed-shadowed (machine), model-present (3 users)</result>\n' });
    const e = renderMdmError('jamf', new CcfleetError('POLICY_NOT_FOUND', 'no policy'), '1.2.3');
    expect(e).toEqual({ exitCode: 0, stdout: '<result>Error: POLICY_NOT_FOUND</result>\n', stderr: 'ccfleet: POLICY_NOT_FOUND: no policy\n' });
  });
});

describe('intune (Remediations detection)', () => {
  it('exit 0 compliant, 1 non-compliant, 1 on error; one line', () => {
    expect(renderMdm('intune', machine(2, 0), 'v')).toEqual({ exitCode: 0, stdout: 'Compliant: policy p v3, 2 user(s)\n' });
    expect(renderMdm('intune', machine(3, 2), 'v')).toEqual({
      exitCode: 1,
      stdout: 'Non-compliant: policy p v3; 2 of 3 user(s) (user0, user1); model-present (2 users), model-unmapped (1 user)\n',
    });
    const e = renderMdmError('intune', new CcfleetError('CONFIG_INVALID', 'registry HKLM\\SOFTWARE\\Policies\\ccfleet: server: bad\nsecond line'), 'v');
    expect(e.exitCode).toBe(1);
    expect(e.stdout).toBe('Error: CONFIG_INVALID: registry HKLM\\SOFTWARE\\Policies\\ccfleet: server: bad second line\n');
  });

  it('5,000 users with long names: one line of at most 2,048 characters with the newline, the count and the reasons kept, "+N more"', () => {
    const r = renderMdm('intune', machine(5000, 4999, (i) => `developer-with-a-rather-long-account-name-${i}`), 'v');
    expect(r.exitCode).toBe(1);
    expect(r.stdout.length).toBeLessThanOrEqual(INTUNE_MAX_OUTPUT);
    expect(r.stdout.length).toBeGreaterThan(INTUNE_MAX_OUTPUT - 100); // the room is used
    expect(r.stdout.indexOf('\n')).toBe(r.stdout.length - 1);
    expect(r.stdout).toMatch(/^Non-compliant: policy p v3; 4999 of 5000 user\(s\) \(developer-with-a-rather-long-account-name-0, .*, \+\d+ more\); model-present \(4999 users\), model-unmapped \(2500 users\)\n$/);
  });

  it('an error message of any length and control characters stays one capped line', () => {
    const e = renderMdmError('intune', new CcfleetError('POLICY_INVALID', 'x\r\n'.repeat(5000)), 'v');
    expect(e.stdout.length).toBe(INTUNE_MAX_OUTPUT);
    expect(e.stdout.slice(0, -1)).not.toMatch(/[\r\n]/);
    expect(e.stdout.endsWith('…\n')).toBe(true);
  });

  it('a user name with a newline cannot break the line', () => {
    const r = renderMdm('intune', machine(1, 1, () => 'evil\nCompliant'), 'v');
    expect(r.stdout.split('\n')).toHaveLength(2);
  });
});

describe('intune-compliance (custom compliance discovery)', () => {
  it('one line of flat JSON, exit 0; on error compliant false with the code', () => {
    const ok = renderMdm('intune-compliance', machine(3, 1), '0.1.0');
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.split('\n')).toEqual([expect.any(String), '']);
    expect(JSON.parse(ok.stdout)).toEqual({
      ccfleetCompliant: false, ccfleetPolicyId: 'p', ccfleetPolicyVersion: 3, ccfleetUsers: 3, ccfleetNonCompliantUsers: 1,
      ccfleetReasons: 'model-present (1 user), model-unmapped (1 user)', ccfleetError: 'none', ccfleetAgentVersion: '0.1.0',
    });
    expect(JSON.parse(renderMdm('intune-compliance', machine(2, 0), '0.1.0').stdout)).toMatchObject({ ccfleetCompliant: true, ccfleetNonCompliantUsers: 0, ccfleetError: 'none' });
    const e = renderMdmError('intune-compliance', new CcfleetError('POLICY_SIGNATURE', 'bad'), '0.1.0');
    expect(e.exitCode).toBe(0);
    expect(JSON.parse(e.stdout)).toEqual({
      ccfleetCompliant: false, ccfleetPolicyId: '', ccfleetPolicyVersion: 0, ccfleetUsers: 0, ccfleetNonCompliantUsers: 0, ccfleetReasons: '', ccfleetError: 'POLICY_SIGNATURE', ccfleetAgentVersion: '0.1.0',
    });
    for (const v of Object.values(JSON.parse(ok.stdout))) expect(['string', 'number', 'boolean']).toContain(typeof v); // flat
  });
});
