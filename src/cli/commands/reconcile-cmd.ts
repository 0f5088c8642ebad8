/**
 * `check`, `repair [--dry-run]` and `status`: the same reconcile, different output and exit codes.
 * A `--user` that names nobody on this machine is a usage error (exit 2, nothing written): a typo must
 * not read as "compliant". Secret values are already fingerprints in the report (src/agent/display.ts).
 * `--format jamf|intune|intune-compliance` (check, repair) answers an MDM script in its own shape, failures
 * included (src/cli/render-mdm.ts).
 */
import { reconcile } from '../../agent/reconcile.js';
import type { MachineReport } from '../../agent/report-types.js';
import { CcfleetError, isCcfleetError } from '../../core/errors.js';
import type { CommonOptions } from '../args.js';
import { baseContext, type RunContext } from '../context.js';
import { commandPolicy } from '../policy-in-force.js';
import { renderCheck, renderStatus } from '../render.js';
import { renderMdm, renderMdmError } from '../render-mdm.js';
import { VERSION } from '../version.js';
import type { CommandResult } from './result.js';

type Command = 'check' | 'repair' | 'status';

export async function reconcileCommand(command: Command, opts: CommonOptions): Promise<CommandResult> {
  const format = command === 'status' ? undefined : opts.format;
  if (format === undefined) {
    const { report, now } = await evaluate(command, opts);
    return { exitCode: command === 'status' ? 0 : now.compliant ? 0 : 1, stdout: render(command, opts, report, report === now ? undefined : now.compliant) };
  }
  // An MDM script reads only stdout: a failure too is answered in the tool's own shape.
  try {
    // repair --dry-run: the machine as it is, as its exit code (check's) says.
    return renderMdm(format, (await evaluate(command, opts)).now, VERSION);
  } catch (e) {
    return renderMdmError(format, isCcfleetError(e) ? e : new CcfleetError('INTERNAL', `${(e as Error)?.message ?? String(e)} (a bug: run without --format for details)`), VERSION);
  }
}

/**
 * `report` is what the command prints, `now` what its exit code follows: the same report, except for
 * `repair --dry-run`, which prints what repair would leave and exits as check would (the machine as it is).
 */
async function evaluate(command: Command, opts: CommonOptions): Promise<{ report: MachineReport; now: MachineReport }> {
  const ctx = baseContext(opts);
  const policy = await commandPolicy(opts, ctx, command === 'repair' ? 'repair' : 'check');
  checkUsersExist(ctx, opts.users);
  const req = { policy, users: opts.users };
  if (command === 'repair' && !opts.dryRun) {
    const repaired = await reconcile({ ...req, mode: 'repair' }, ctx.deps);
    return { report: repaired, now: repaired };
  }
  const now = await reconcile({ ...req, mode: 'check' }, ctx.deps);
  if (command !== 'repair') return { report: now, now };
  return { report: await reconcile({ ...req, mode: 'dry-run' }, { ...ctx.deps, backups: null }), now };
}

function render(command: Command, opts: CommonOptions, report: MachineReport, compliantNow?: boolean): string {
  if (command === 'status') return opts.json ? json(report) : renderStatus(report);
  if (compliantNow === undefined) return opts.json ? json(report) : renderCheck(report);
  // The JSON is what repair would leave (`compliant` included); `compliantNow` is the machine as it is.
  return opts.json ? json(report, { compliantNow }) : renderCheck(report, compliantNow);
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
