/** The human view of `ccfleet doctor`: a headline with the verdict, then one row per check in the order they ran. */
import type { DoctorReport } from '../agent/doctor/types.js';
import { table } from './table.js';

const STATUS_WORD = { ok: 'ok', warning: 'WARNING', problem: 'PROBLEM', skipped: 'skipped' } as const;

export function renderDoctor(doc: DoctorReport): string {
  const { problem, warning } = doc.summary;
  const verdict = doc.ok ? (warning ? `no problem, ${warning} warning${warning === 1 ? '' : 's'}` : 'all good') : `${problem} problem${problem === 1 ? '' : 's'}${warning ? `, ${warning} warning${warning === 1 ? '' : 's'}` : ''}`;
  const rows = doc.checks.map((c) => [STATUS_WORD[c.status], c.code, c.target ?? '', (c.users ?? []).join(','), `${c.ms} ms`, c.message]);
  return `ccfleet doctor — policy ${doc.policy.id} v${doc.policy.version}: ${verdict}\n\n${table(['STATUS', 'CHECK', 'TARGET', 'USERS', 'TIME', 'MESSAGE'], rows)}\n`;
}
