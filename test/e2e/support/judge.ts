/**
 * Judges one `claude -p` run: what its request shows against the scenario's statement of reality and
 * against ccfleet's verdict for that session (the claims are listed in scenario.ts).
 */
import type { Claims } from './claims.js';
import type { Report, SessionModel } from './ccfleet.js';
import { expectedCredential, mappedAlias, mappedModels, type PolicyDoc } from './policy.js';
import type { GatewayName, Wire } from './wire.js';

export type ModelExpect = string | { alias: 'opus' | 'sonnet' | 'haiku' };

export interface Expect {
  gateway: GatewayName;
  /** A literal model id, or the policy's mapping of an alias. */
  model: ModelExpect;
  /** The Authorization header: a literal, or "policy" (the policy's credential, and x-api-key when it sends one). */
  auth: string;
  /** Whether the wire is compliant (default: false before repair, true after). */
  compliant?: boolean;
  /**
   * ccfleet's verdict for the session (default: `compliant`). Differs only where the policy is stricter
   * than the effect, or for a session judged by the user's verdict, which covers every project too.
   */
  verdict?: boolean;
}

export interface SessionRef {
  user: string;
  cwd: string;
}

interface SessionVerdict {
  compliant: boolean;
  selectedModel: SessionModel;
  /** The effective ANTHROPIC_BASE_URL ccfleet reports (a project's env when it differs from the home's). */
  baseUrl: string | undefined;
  findings: string[];
}

/**
 * ccfleet's verdict for a session: the listed project's when Claude Code starts in a project ccfleet lists,
 * otherwise the user's. The contract defines `users[].selectedModel` for "a folder with no project
 * settings" and a compliant user as compliant "for a session in their home folder": a session in the home
 * (or any unlisted folder) is judged by the user's verdict.
 */
export function sessionVerdict(report: Report, s: SessionRef): SessionVerdict {
  const user = report.users.find((u) => u.name === s.user);
  if (!user) throw new Error(`ccfleet reports no user ${s.user}: ${report.users.map((u) => u.name).join(', ')}`);
  const homeBase = user.env?.ANTHROPIC_BASE_URL?.value;
  const project = user.projects.find((p) => p.path === s.cwd);
  if (!project) return { compliant: user.compliant, selectedModel: user.selectedModel, baseUrl: homeBase, findings: user.findings.map((f) => f.code) };
  const baseUrl = project.env ? project.env.ANTHROPIC_BASE_URL?.value : homeBase;
  return { compliant: project.compliant, selectedModel: project.selectedModel, baseUrl, findings: project.findings.map((f) => f.code) };
}

/** Judges one run into `claims`; returns whether its wire is compliant. */
export function judgeRun(claims: Claims, o: { phase: 'before' | 'after'; session: SessionRef; uid: number; exp: Expect; report: Report; wire: Wire; policy: PolicyDoc }): boolean {
  const { phase, session: s, exp, wire, policy } = o;
  const where = `${phase} repair, ${s.user} in ${s.cwd}`;
  const verdict = sessionVerdict(o.report, s);
  const credential = expectedCredential(policy, o.uid);
  const wireCompliant =
    wire.gateway === 'policy' && wire.authorization === credential.authorization && wire.apiKey === credential.apiKey && mappedModels(policy).has(wire.model ?? '');
  const ctx = `\n    wire:    ${JSON.stringify(wire)}\n    ccfleet: ${JSON.stringify(verdict)}`;
  const wantCompliant = exp.compliant ?? phase === 'after';

  // 1. reality, as the scenario states it
  claims.equal(wire.gateway, exp.gateway, `${where}: gateway`, ctx);
  claims.equal(wire.model, typeof exp.model === 'string' ? exp.model : mappedAlias(policy, exp.model.alias), `${where}: model on the wire`, ctx);
  if (exp.auth === 'policy') claims.equal({ authorization: wire.authorization, apiKey: wire.apiKey }, credential, `${where}: credential`, ctx);
  else claims.equal(wire.authorization, exp.auth, `${where}: Authorization`, ctx);
  claims.equal(wireCompliant, wantCompliant, `${where}: the wire is compliant`, ctx);
  // 2. the model ccfleet says this session selects is the one on the wire
  claims.equal(verdict.selectedModel.resolved, wire.model, `${where}: ccfleet's selectedModel.resolved vs the wire`, ctx);
  // 3. ccfleet never calls a session compliant that the wire shows is not
  if (verdict.compliant && !wireCompliant) claims.equal(verdict.compliant, false, `${where}: ccfleet says compliant, the wire is not`, ctx);
  else claims.equal(verdict.compliant, exp.verdict ?? wantCompliant, `${where}: ccfleet's verdict for the session`, ctx);
  // 4. ccfleet's effective base URL for the session
  if (verdict.baseUrl) claims.equal(verdict.baseUrl, wire.baseUrl, `${where}: ccfleet's effective ANTHROPIC_BASE_URL vs the wire`, ctx);
  return wireCompliant;
}
