/**
 * `ccfleet report [--once]`: one `check` of the machine now, built into a ccfleet.report/v1 report, spooled
 * (state dir), then everything spooled delivered to `<server>/v1/reports` (the agent config's `server`,
 * enrolling first with its `enrollSecret` when there is no device token yet).
 *
 * The policy: --policy as `check` takes it; otherwise the daemon's source (the agent config's `policy`, else
 * `<server>/v1/policy` with the device token) through the daemon's policy client — pinned keys, the version
 * ratchet, and the last-known-good copy when the source cannot be reached.
 *
 * Exit codes (CONTRACT.md): 0 this report was delivered · 1 it is spooled for later (the server could not be
 * reached, answered 5xx/429, or timed out; without --once up to 3 tries, a few seconds apart) · 2 error
 * (usage, config, policy; the server refused the report for good — 400/413/422 — or refuses this device —
 * 403, or an enrollment refused: the report stays spooled for when that is fixed).
 * --json: { id, delivered, spooled, dropped, rejected, outcome, message? } — reports delivered and refused by
 * this run, reports left in the spool, and reports the spool had to drop that no delivered report carried yet.
 */
import os from 'node:os';
import { createLogger } from '../../agent/log.js';
import { reconcile } from '../../agent/reconcile.js';
import { buildReport } from '../../agent/report/build-report.js';
import { reportOptionsOf } from '../../agent/report/policy-report-options.js';
import type { DeliveryResult } from '../../agent/report/sender.js';
import { reportingParts } from '../../agent/report/setup.js';
import { CcfleetError } from '../../core/errors.js';
import type { CommonOptions } from '../args.js';
import { baseContext } from '../context.js';
import { policyInForce } from '../policy-in-force.js';
import { VERSION } from '../version.js';
import type { CommandResult } from './result.js';

const TRIES = 3;
const MAX_WAIT_MS = 5_000;

export async function reportCommand(opts: CommonOptions, extra: Record<string, unknown>): Promise<CommandResult> {
  const ctx = baseContext(opts);
  if (!ctx.config.server) throw new CcfleetError('CONFIG_INVALID', 'ccfleet report needs "server" in the agent config (--config <agent.json>)');
  const log = createLogger({ logDir: null, console: opts.json ? 'json' : 'plain', level: 'warn' });
  try {
    const parts = reportingParts({ config: ctx.config, stateDir: ctx.stateDir, platform: ctx.platform.name, agentVersion: VERSION, userAgent: `ccfleet/${VERSION} (${os.platform()}; report)`, log });
    const { policy, digest } = await policyInForce(opts, ctx, { purpose: 'report', enroll: parts });
    const m = await reconcile({ policy, users: opts.users, mode: 'check' }, ctx.deps);
    const report = buildReport(m, {
      ...parts.identity(),
      policyDigest: digest,
      events: [],
      eventsDropped: 0,
      spoolDropped: parts.spool.pendingDropped(),
      now: new Date(),
      ...reportOptionsOf(policy),
      homes: Object.fromEntries(m.users.map((u) => [u.name, u.home])),
    });
    parts.spool.put(report);

    const delivered: string[] = [];
    const rejected: string[] = [];
    let last: DeliveryResult;
    for (let attempt = 1; ; attempt++) {
      last = await parts.sender.deliver({ force: true });
      delivered.push(...last.delivered);
      rejected.push(...last.rejected);
      const settled = delivered.includes(report.id) || rejected.includes(report.id);
      if (settled || last.outcome !== 'retry' || extra.once === true || attempt >= TRIES) break;
      await new Promise((r) => setTimeout(r, Math.min(last.retryInMs ?? 1_000, MAX_WAIT_MS)));
    }
    const outcome = delivered.includes(report.id) ? 'delivered' : rejected.includes(report.id) ? 'rejected' : last.outcome === 'retry' ? 'spooled' : 'blocked';
    const exitCode = outcome === 'delivered' ? 0 : outcome === 'spooled' ? 1 : 2;
    const summary = { id: report.id, delivered: delivered.length, spooled: last.remaining, dropped: parts.spool.pendingDropped(), rejected: rejected.length, outcome, ...(last.message ? { message: last.message } : {}) };
    const words: Record<typeof outcome, string> = {
      delivered: `report ${report.id} delivered (${delivered.length} sent, ${last.remaining} left in the spool)`,
      spooled: `report ${report.id} spooled for later: ${last.message ?? 'not delivered'}`,
      rejected: `report ${report.id} refused by the server and dropped (see the error above)`,
      blocked: `report ${report.id} spooled, but the server refuses this device: ${last.message ?? ''}`,
    };
    return { exitCode, stdout: opts.json ? `${JSON.stringify(summary)}\n` : `${words[outcome]}\n` };
  } finally {
    await log.close();
  }
}
