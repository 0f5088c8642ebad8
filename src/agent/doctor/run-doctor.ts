/**
 * `ccfleet doctor` without the command line: the local checks (policy lint, strict files, each user's
 * effective gateway env), then the network checks of every gateway in use (./probe-gateway.ts). The
 * caller supplies the policy, a `check`-mode report, the HTTP client and how to learn the credential
 * (asked for only when the policy names a gateway).
 */
import type { Policy } from '../../core/policy-schema.js';
import type { MachineReport } from '../report-types.js';
import type { GatewayCredential } from './credential.js';
import { gatewayTargets } from './gateways.js';
import type { HttpClient } from './http.js';
import { filesStrictCheck, lintCheck, userEnvChecks } from './local-checks.js';
import { probeGateway } from './probe-gateway.js';
import { userClaudeChecks } from './user-facts-check.js';
import type { CheckResult, DoctorCheck, DoctorReport } from './types.js';

export interface DoctorInput {
  policy: Policy;
  report: MachineReport;
  http: HttpClient;
  credential: () => Promise<GatewayCredential>;
}

export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const timed = (f: () => CheckResult | CheckResult[]) => {
    const t0 = performance.now();
    const r = f();
    const ms = Math.round(performance.now() - t0);
    for (const c of Array.isArray(r) ? r : [r]) checks.push({ ...c, ms });
  };
  timed(() => lintCheck(input.policy));
  timed(() => filesStrictCheck(input.report));
  timed(() => userEnvChecks(input.policy, input.report));
  timed(() => userClaudeChecks(input.report));

  const targets = gatewayTargets(input.policy, input.report);
  if (!targets.some((t) => t.isPolicy)) {
    checks.push({ code: 'gateway-reachable', status: 'skipped', message: 'the policy sets no ANTHROPIC_BASE_URL: no gateway to probe', ms: 0 });
  }
  let credential: GatewayCredential | null = null;
  for (const t of targets) {
    if (t.isPolicy && credential === null) credential = await input.credential();
    checks.push(...(await probeGateway(t, t.isPolicy ? credential : null, input.http)));
  }

  const count = (s: DoctorCheck['status']) => checks.filter((c) => c.status === s).length;
  const summary = { ok: count('ok'), warning: count('warning'), problem: count('problem'), skipped: count('skipped') };
  return { ok: summary.problem === 0, policy: { id: input.policy.id, version: input.policy.version }, checks: checks.map(ordered), summary };
}

/** The fields in reading order (JSON keeps insertion order). */
const ordered = (c: DoctorCheck): DoctorCheck => ({
  code: c.code,
  status: c.status,
  ...(c.target !== undefined ? { target: c.target } : {}),
  ...(c.users !== undefined ? { users: c.users } : {}),
  message: c.message,
  ms: c.ms,
});
