/**
 * `ccfleet doctor`: why might Claude Code not work through the gateway? Loads the policy as `check` does,
 * evaluates the machine in check mode (nothing is written), then runs the checks of
 * src/agent/doctor/run-doctor.ts. Exit 0: no problem (warnings allowed). 1: at least one problem.
 * 2: could not run — a bad option, an unreadable --ca, no policy (thrown as CcfleetError).
 */
import { reconcile } from '../../agent/reconcile.js';
import { readCaFile, trustedRoots } from '../../agent/doctor/ca.js';
import { gatewayCredential } from '../../agent/doctor/credential.js';
import type { HelperUser } from '../../agent/doctor/api-key-helper.js';
import { createHttpClient } from '../../agent/doctor/http.js';
import { runDoctor } from '../../agent/doctor/run-doctor.js';
import { CcfleetError } from '../../core/errors.js';
import { DOCTOR_TIMEOUT, type CommonOptions } from '../args.js';
import { baseContext, type RunContext } from '../context.js';
import { commandPolicy } from '../policy-in-force.js';
import { renderDoctor } from '../render-doctor.js';
import { VERSION } from '../version.js';
import type { CommandResult } from './result.js';

export async function doctorCommand(opts: CommonOptions, extra: Record<string, unknown>): Promise<CommandResult> {
  const timeoutMs = typeof extra.timeout === 'string' ? Number(extra.timeout) : DOCTOR_TIMEOUT.default;
  // A bad --ca is a usage error before anything is read or sent.
  const ca = typeof extra.ca === 'string' ? trustedRoots(readCaFile(extra.ca)) : undefined;
  const ctx = baseContext(opts);
  const policy = await commandPolicy(opts, ctx, 'check');
  const known = ctx.platform.listUsers(ctx.deps.fs, { exclude: [], includeRoot: true });
  checkUsersExist(ctx, known.map((u) => u.name), opts.users);
  const report = await reconcile({ policy, users: opts.users, mode: 'check' }, ctx.deps);

  const first = known.find((u) => report.users.some((r) => r.name === u.name) && u.uid !== null && u.gid !== null);
  const asUser: HelperUser | null = first ? { name: first.name, uid: first.uid!, gid: first.gid!, home: first.home } : null;
  const helper = { underRoot: ctx.root !== null, platform: process.platform, uid: process.getuid?.(), asUser, timeoutMs };

  const http = createHttpClient({ timeoutMs, ...(ca ? { ca } : {}), userAgent: `ccfleet-doctor/${VERSION}` });
  try {
    const doc = await runDoctor({ policy, report, http, credential: () => gatewayCredential(policy, helper) });
    return { exitCode: doc.ok ? 0 : 1, stdout: opts.json ? JSON.stringify(doc, null, 2) + '\n' : renderDoctor(doc) };
  } finally {
    await http.close();
  }
}

function checkUsersExist(ctx: RunContext, known: readonly string[], wanted: readonly string[]): void {
  const fold = ctx.platform.name === 'windows' ? (s: string) => s.toLowerCase() : (s: string) => s;
  const have = new Set(known.map(fold));
  const missing = wanted.filter((u) => !have.has(fold(u)));
  if (missing.length > 0) throw new CcfleetError('USAGE', `--user ${missing.map((u) => `"${u}"`).join(', ')}: no such user on this machine`);
}
