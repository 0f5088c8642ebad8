/** `check`, `repair [--dry-run]` and `status`: the same reconcile, different output and exit codes. */
import { reconcile } from '../../agent/reconcile.js';
import type { CommonOptions } from '../args.js';
import { baseContext, resolvePolicy } from '../context.js';
import { renderCheck, renderStatus } from '../render.js';
import type { CommandResult } from './result.js';

export async function reconcileCommand(command: 'check' | 'repair' | 'status', opts: CommonOptions): Promise<CommandResult> {
  const ctx = baseContext(opts);
  const policy = await resolvePolicy(opts, ctx.config);
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
  return { exitCode: now.compliant ? 0 : 1, stdout: opts.json ? json(planned) : renderCheck(planned) };
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
