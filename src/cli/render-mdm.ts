/**
 * `check` / `repair` output for MDM scripts (`--format`), one line each, and what each tool expects of the
 * exit code. These strings are a contract: Jamf smart groups, Intune detection and compliance rules match
 * them (installers/mdm/ ships the scripts, docs/admin-guide.md explains them).
 *
 * - `jamf` — a Jamf Pro extension attribute: `<result>Compliant</result>`,
 *   `<result>Non-compliant: <top reasons></result>` or `<result>Error: <CODE></result>`. Always exit 0:
 *   Jamf ignores an EA's exit code and keeps only stdout, so the state must be in the text (smart group
 *   criteria: `is Compliant`, `like Non-compliant`, `like Error`).
 * - `intune` — Intune Remediations detection: `Compliant: …` exit 0; `Non-compliant: …` exit 1 (Intune then
 *   runs the remediation); `Error: <CODE>: <message>` also exit 1 — Intune knows only "issue / no issue",
 *   and a machine whose compliance cannot be established is an issue (the remediation, `ccfleet repair`,
 *   reports the same error, visibly, in the console). One line, at most 2,048 characters with its newline
 *   (what Intune keeps of a script's output).
 * - `intune-compliance` — an Intune custom-compliance discovery script's single line of JSON with flat
 *   keys (installers/mdm/intune-compliance-rules.json matches them), exit 0 even on error (the rules then
 *   fail: `ccfleetCompliant` false, `ccfleetError` the code instead of "none").
 */
import type { MachineReport } from '../agent/report-types.js';
import type { CcfleetError } from '../core/errors.js';
import type { CommandResult } from './commands/result.js';
import { errorLine } from './error-line.js';

export const MDM_FORMATS = ['jamf', 'intune', 'intune-compliance'] as const;
export type MdmFormat = (typeof MDM_FORMATS)[number];

/** What Intune keeps of a script's output, newline included. */
export const INTUNE_MAX_OUTPUT = 2048;
/** A Jamf EA value is shown in inventory lists: keep it readable. */
const JAMF_MAX_REASONS = 3;

export interface Reason {
  code: string;
  /** Users affected; 0 for a machine-wide reason (the managed tier). */
  users: number;
}

/**
 * Why the machine is not compliant: each blocking finding code with the number of users it affects
 * (machine-wide codes first), most users first. A code is counted once per user however many of the
 * user's files and sessions carry it.
 */
export function reasons(r: MachineReport): Reason[] {
  const machine = new Set<string>();
  for (const f of r.managed.findings) if (f.blocking) machine.add(f.code);
  for (const f of r.files) if (f.scope === 'managed' && !f.compliant) for (const x of f.findings) if (x.blocking) machine.add(x.code);
  const filesOf = new Map<string, MachineReport['files']>();
  for (const f of r.files) if (f.user !== null && !f.compliant) filesOf.set(f.user, [...(filesOf.get(f.user) ?? []), f]);
  const perUser = new Map<string, number>();
  for (const u of r.users) {
    const codes = new Set<string>();
    const add = (fs: readonly { code: string; blocking?: boolean }[]) => fs.forEach((f) => f.blocking && codes.add(f.code));
    add(u.findings);
    u.projects.forEach((p) => add(p.findings));
    (filesOf.get(u.name) ?? []).forEach((f) => add(f.findings));
    for (const c of codes) perUser.set(c, (perUser.get(c) ?? 0) + 1);
  }
  return [
    ...[...machine].sort().map((code) => ({ code, users: 0 })),
    ...[...perUser].map(([code, users]) => ({ code, users })).sort((a, b) => b.users - a.users || a.code.localeCompare(b.code)),
  ];
}

const reasonText = (x: Reason) => `${x.code} (${x.users === 0 ? 'machine' : `${x.users} user${x.users === 1 ? '' : 's'}`})`;

/** Control characters (a newline in a user name) would break "one line". */
const oneLine = (s: string) => s.replace(/[\u0000-\u001f\u007f]+/g, ' ');

/** Cuts to `max` characters, marking the cut. */
const cap = (s: string, max: number) => (s.length <= max ? s : s.slice(0, max - 1) + '…');

export function renderMdm(format: MdmFormat, r: MachineReport, agentVersion: string): CommandResult {
  const bad = r.users.filter((u) => !u.compliant).map((u) => u.name);
  const why = reasons(r);
  switch (format) {
    case 'jamf': {
      const text = r.compliant ? 'Compliant' : `Non-compliant: ${why.slice(0, JAMF_MAX_REASONS).map(reasonText).join(', ') || 'see ccfleet check'}`;
      return { exitCode: 0, stdout: `<result>${escapeXml(oneLine(text))}</result>\n` };
    }
    case 'intune': {
      const policy = `policy ${r.policy.id} v${r.policy.version}`;
      if (r.compliant) return { exitCode: 0, stdout: cap(oneLine(`Compliant: ${policy}, ${r.users.length} user(s)`), INTUNE_MAX_OUTPUT - 1) + '\n' };
      const head = `Non-compliant: ${policy}; ${bad.length} of ${r.users.length} user(s)`;
      const tail = `; ${why.map(reasonText).join(', ') || 'see ccfleet check'}`;
      // Names as far as they fit (the reasons matter more than the last names), then "+N more".
      const room = INTUNE_MAX_OUTPUT - 1 - head.length - Math.min(tail.length, 600) - 20;
      let names = '';
      let shown = 0;
      for (const n of bad) {
        const next = `${names}${shown ? ', ' : ''}${n}`;
        if (next.length > room) break;
        names = next;
        shown++;
      }
      const more = bad.length > shown ? `${shown ? ', ' : ''}+${bad.length - shown} more` : '';
      const who = bad.length > 0 ? ` (${names}${more})` : '';
      return { exitCode: 1, stdout: cap(oneLine(`${head}${who}${tail}`), INTUNE_MAX_OUTPUT - 1) + '\n' };
    }
    case 'intune-compliance':
      return {
        exitCode: 0,
        stdout:
          JSON.stringify({
            ccfleetCompliant: r.compliant,
            ccfleetPolicyId: r.policy.id,
            ccfleetPolicyVersion: r.policy.version,
            ccfleetUsers: r.users.length,
            ccfleetNonCompliantUsers: bad.length,
            ccfleetReasons: cap(why.map(reasonText).join(', '), 500),
            ccfleetError: 'none',
            ccfleetAgentVersion: agentVersion,
          }) + '\n',
      };
  }
}

/** A failure in an MDM format: still the tool's own shape on stdout; the usual error line on stderr. */
export function renderMdmError(format: MdmFormat, err: CcfleetError, agentVersion: string): CommandResult {
  const stderr = errorLine(err);
  switch (format) {
    case 'jamf':
      return { exitCode: 0, stdout: `<result>Error: ${err.code}</result>\n`, stderr };
    case 'intune':
      return { exitCode: 1, stdout: cap(oneLine(`Error: ${err.code}: ${err.message}`), INTUNE_MAX_OUTPUT - 1) + '\n', stderr };
    case 'intune-compliance':
      return {
        exitCode: 0,
        stdout:
          JSON.stringify({
            ccfleetCompliant: false,
            ccfleetPolicyId: '',
            ccfleetPolicyVersion: 0,
            ccfleetUsers: 0,
            ccfleetNonCompliantUsers: 0,
            ccfleetReasons: '',
            ccfleetError: err.code,
            ccfleetAgentVersion: agentVersion,
          }) + '\n',
        stderr,
      };
  }
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
