/** The `summary` of a machine report, counted from its users and files (reconcile and the daemon's merge share it). */
import type { FileReport, MachineReport, UserReport } from './report-types.js';

export function summarize(users: readonly UserReport[], files: readonly FileReport[], repaired = files.filter((f) => f.state === 'repaired').length): MachineReport['summary'] {
  return {
    users: users.length,
    files: files.length,
    nonCompliantUsers: users.filter((u) => !u.compliant).length,
    repaired,
    unsafe: files.filter((f) => f.state === 'unsafe').length,
    unparseable: files.filter((f) => f.state === 'unparseable').length,
    errors: files.filter((f) => f.state === 'error').length,
  };
}
