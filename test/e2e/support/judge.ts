/**
 * Judges one `claude -p` run: what its request shows against the scenario's statement of reality and
 * against ccfleet's verdict for that session (the claims are listed in scenario.ts).
 */
import type { Claims } from './claims.js';
import type { Report, SessionModel } from './ccfleet.js';
import { expectedCredential, mappedAlias, mappedModels, type PolicyDoc } from './policy.js';
import type { GatewayName, Wire } from './wire.js';

export type ModelExpect = string | { alias: 'opus' | 'sonnet' | 'haiku' };

/** A run that reaches a gateway: its one main-loop request, as the scenario states reality. */
export interface WireExpect {
  gateway: GatewayName;
  /** A literal model id, or the policy's mapping of an alias. */
  model: ModelExpect;
  /**
   * The credential headers: "policy" (the policy's credential, and x-api-key when it sends one), a literal
   * Authorization header, or both headers exactly (an absent one undefined: `{ apiKey: 'sk-…' }` is an
   * x-api-key and no Authorization).
   */
  auth: string | { authorization?: string; apiKey?: string };
  /** Whether the wire is compliant (default: false before repair, true after). */
  compliant?: boolean;
  /**
   * ccfleet's verdict for the session (default: `compliant`). Differs only where the policy is stricter
   * than the effect, or for a session judged by the user's verdict, which covers every project too.
   */
  verdict?: boolean;
}

/**
 * A run Claude Code refuses to start (e.g. a broken managed settings file): a non-zero exit, no request
 * carrying the run's tag on any gateway, this message on stderr or stdout — and ccfleet must call the
 * session non-compliant (a session that cannot start is not one that reaches the gateway as the policy says).
 */
export interface RefuseExpect {
  refuses: RegExp;
}

export type Expect = WireExpect | RefuseExpect;

export const refuses = (e: Expect): e is RefuseExpect => 'refuses' in e;

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

/**
 * Judges one run into `claims`; returns whether its wire is compliant as far as settings decide it — the
 * measure a machine verdict of "compliant" is held to.
 *
 * `modelFlag`: the run names its model on the command line (`--model`), which beats every setting
 * (docs/claude-code-wire-facts.md M07). ccfleet's `selectedModel` is, by contract, the model of a session
 * started with no flags, so claim 2 is skipped for such a run, and claim 3 (and the returned value) judge the
 * wire without its model: gateway and credential are still the settings' doing. Claim 1 still states the
 * whole wire, model included; the model such a run really used is judged through the transcripts
 * (facts.ts: `lastUsedModel`, `model-override-used`).
 */
export function judgeRun(claims: Claims, o: { phase: 'before' | 'after'; session: SessionRef; uid: number; exp: WireExpect; modelFlag: boolean; report: Report; wire: Wire; policy: PolicyDoc }): boolean {
  const { phase, session: s, exp, wire, policy } = o;
  const where = `${phase} repair, ${s.user} in ${s.cwd}${o.modelFlag ? ' (--model)' : ''}`;
  const verdict = sessionVerdict(o.report, s);
  const credential = expectedCredential(policy, o.uid);
  const routeCompliant = wire.gateway === 'policy' && wire.authorization === credential.authorization && wire.apiKey === credential.apiKey;
  const wireCompliant = routeCompliant && mappedModels(policy).has(wire.model ?? '');
  const settingsCompliant = o.modelFlag ? routeCompliant : wireCompliant;
  const ctx = `\n    wire:    ${JSON.stringify(wire)}\n    ccfleet: ${JSON.stringify(verdict)}`;
  const wantCompliant = exp.compliant ?? phase === 'after';

  // 1. reality, as the scenario states it
  claims.equal(wire.gateway, exp.gateway, `${where}: gateway`, ctx);
  claims.equal(wire.model, typeof exp.model === 'string' ? exp.model : mappedAlias(policy, exp.model.alias), `${where}: model on the wire`, ctx);
  const sent = { authorization: wire.authorization, apiKey: wire.apiKey };
  if (exp.auth === 'policy') claims.equal(sent, credential, `${where}: credential`, ctx);
  else if (typeof exp.auth === 'object') claims.equal(sent, { authorization: exp.auth.authorization, apiKey: exp.auth.apiKey }, `${where}: credential headers`, ctx);
  else claims.equal(wire.authorization, exp.auth, `${where}: Authorization`, ctx);
  claims.equal(wireCompliant, wantCompliant, `${where}: the wire is compliant`, ctx);
  // 2. the model ccfleet says this session selects is the one on the wire (not knowable under --model)
  if (!o.modelFlag) claims.equal(verdict.selectedModel.resolved, wire.model, `${where}: ccfleet's selectedModel.resolved vs the wire`, ctx);
  // 3. ccfleet never calls a session compliant that the wire shows is not
  if (verdict.compliant && !settingsCompliant) claims.equal(verdict.compliant, false, `${where}: ccfleet says compliant, the wire is not`, ctx);
  else claims.equal(verdict.compliant, exp.verdict ?? wantCompliant, `${where}: ccfleet's verdict for the session`, ctx);
  // 4. ccfleet's effective base URL for the session
  if (verdict.baseUrl) claims.equal(verdict.baseUrl, wire.baseUrl, `${where}: ccfleet's effective ANTHROPIC_BASE_URL vs the wire`, ctx);
  return settingsCompliant;
}

/** Judges a run Claude Code was expected to refuse; returns false (no session reached a gateway). */
export function judgeRefusal(claims: Claims, o: { phase: 'before' | 'after'; session: SessionRef; exp: RefuseExpect; report: Report; run: { code: number | null; signal: string | null; stdout: string; stderr: string }; requests: number }): false {
  const { phase, session: s, run } = o;
  const where = `${phase} repair, ${s.user} in ${s.cwd} (Claude Code refuses to start)`;
  const verdict = sessionVerdict(o.report, s);
  const ctx = `\n    exit ${run.code} ${run.signal ?? ''}\n    stderr: ${run.stderr.slice(0, 800)}\n    stdout: ${run.stdout.slice(0, 800)}\n    ccfleet: ${JSON.stringify(verdict)}`;
  claims.equal(run.code !== 0 && run.code !== null, true, `${where}: a non-zero exit`, ctx);
  claims.equal(o.requests, 0, `${where}: requests carrying the run's tag`, ctx);
  claims.equal(o.exp.refuses.test(`${run.stderr}\n${run.stdout}`), true, `${where}: message ${o.exp.refuses}`, ctx);
  claims.equal(verdict.compliant, false, `${where}: ccfleet's verdict for the session`, ctx);
  return false;
}
