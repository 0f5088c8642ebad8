/**
 * The daemon's picture of the machine: the last full report, with targeted passes merged in. A targeted
 * pass re-reads the managed tier and some users; their entries replace the old ones, everyone else's
 * stay as the last pass saw them. Pure.
 */
import type { MachineReport } from '../report-types.js';
import { summarize } from '../report-summary.js';

export function mergeReport(prev: MachineReport | null, pass: MachineReport, passUsers: readonly string[] | 'all'): MachineReport {
  if (prev === null || passUsers === 'all') return pass;
  const mine = new Set(passUsers);
  const users = [...prev.users.filter((u) => !mine.has(u.name)), ...pass.users].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files = [
    ...pass.files.filter((f) => f.scope === 'managed'),
    ...prev.files.filter((f) => f.scope !== 'managed' && (f.user === null || !mine.has(f.user))),
    ...pass.files.filter((f) => f.scope !== 'managed'),
  ];
  const compliant = pass.managed.compliant && users.every((u) => u.compliant);
  return {
    ...pass,
    compliant,
    users,
    files,
    // `repaired` counts this pass's repairs; everything else the merged picture.
    summary: summarize(users, files, pass.summary.repaired),
  };
}
