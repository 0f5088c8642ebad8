/**
 * A distribution's outcome as the report pipeline's input (a MachineReport, as `check --json` gives it)
 * and the events that go with it. An error becomes a machine that is NOT compliant with one blocking
 * managed finding carrying the error code (`wsl-timeout`, …) and the message: a distribution ccfleet
 * could not look at is never reported compliant, and the admin sees why in the device's findings.
 */
import type { ReportEvent } from '../report/build-report.js';
import type { MachineReport } from '../report-types.js';
import type { DistroOutcome } from './run-distro.js';

export function outcomeMachine(o: DistroOutcome, policy: { id: string; version: number }, mode: 'check' | 'repair'): MachineReport {
  if (o.kind === 'ok') return o.report;
  return {
    compliant: false,
    mode,
    policy,
    platform: 'wsl',
    managed: { compliant: false, dir: '/etc/claude-code', findings: [{ code: o.code, blocking: true, message: `WSL distribution ${o.distro}: ${o.message}` }] },
    users: [],
    files: [],
    summary: { users: 0, files: 0, nonCompliantUsers: 0, repaired: 0, unsafe: 0, unparseable: 0, errors: 1 },
  };
}

/** What happened in the distribution this pass: each repaired file, or the error. */
export function outcomeEvents(o: DistroOutcome, at: string): ReportEvent[] {
  if (o.kind === 'error') return [{ at, kind: 'wsl-error', codes: [o.code], message: o.message }];
  return o.report.files
    .filter((f) => f.state === 'repaired')
    .map((f) => ({ at, kind: 'drift-repaired', user: f.user, path: f.path, codes: [...new Set(f.findings.map((x) => (x.key ? `${x.code}:${x.key}` : x.code)))] }));
}
