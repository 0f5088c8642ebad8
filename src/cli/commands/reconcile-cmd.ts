/**
 * `check`, `repair [--dry-run]` and `status`: the same reconcile, different output and exit codes.
 * A `--user` that names nobody on this machine is a usage error (exit 2, nothing written): a typo must
 * not read as "compliant". Secret values are already fingerprints in the report (src/agent/display.ts).
 */
import { reconcile } from '../../agent/reconcile.js';
import type { MachineReport } from '../../agent/report-types.js';
import { CcfleetError } from '../../core/errors.js';
import type { CommonOptions } from '../args.js';
import { baseContext, resolvePolicy, type RunContext } from '../context.js';
import { renderCheck, renderStatus } from '../render.js';
import type { CommandResult } from './result.js';

export async function reconcileCommand(command: 'check' | 'repair' | 'status', opts: CommonOptions): Promise<CommandResult> {
  const ctx = baseContext(opts);
  const policy = await resolvePolicy(opts, ctx.config);
  checkUsersExist(ctx, opts.users);
  const req = { policy, users: opts.users };
  if (command === 'repair' && !opts.dryRun) {
    const report = await reconcile({ ...req, mode: 'repair' }, ctx.deps);
    return { exitCode: report.compliant ? 0 : 1, stdout: opts.json ? json(report) : renderCheck(report) };
  }
  const now = await reconcile({ ...req, mode: 'check' }, ctx.deps);
  if (command === 'status') return { exitCode: 0, stdout: opts.json ? json(now) : renderStatus(now) };
  if (command === 'check') return { exitCode: now.compliant ? 0 : 1, stdout: opts.json ? json(now) : renderCheck(now) };
  // repair --dry-run: report what repair would produce, exit as check would.
  const planned = await reconcile({ ...req, mode: 'dry-run' }, { ...ctx.deps, backups: null });
  // The JSON is what repair would leave (`compliant` included); `compliantNow` is the machine as it is.
  return { exitCode: now.compliant ? 0 : 1, stdout: opts.json ? json(planned, { compliantNow: now.compliant }) : renderCheck(planned, now.compliant) };
}

function checkUsersExist(ctx: RunContext, wanted: readonly string[]): void {
  if (wanted.length === 0) return;
  const fold = ctx.platform.name === 'windows' ? (s: string) => s.toLowerCase() : (s: string) => s;
  const known = new Set(ctx.platform.listUsers(ctx.deps.fs, { exclude: [], includeRoot: true }).map((u) => fold(u.name)));
  const missing = wanted.filter((u) => !known.has(fold(u)));
  if (missing.length > 0) throw new CcfleetError('USAGE', `--user ${missing.map((u) => `"${u}"`).join(', ')}: no such user on this machine`);
}

// Secrets are redacted where the report is built (src/agent/display.ts), so every consumer gets the same fingerprints.
const json = (r: MachineReport, extra: Record<string, unknown> = {}) => JSON.stringify({ ...r, ...extra }, null, 2) + '\n';
