/**
 * The scenario runner: ccfleet's verdict against what the real Claude Code sends, both ways.
 *
 *   build the world (world.ts) → `check --json` → `claude -p` per session  (BEFORE: the messy state)
 *   → `repair --json` → `check --json` → `claude -p` per session           (AFTER)
 *
 * Each `claude -p "say ok [e2e <tag>]"` runs as the session's user (their uid, HOME=/home/<user>, from the
 * session's folder, `env -i` with only PATH, HOME, TERM, DISABLE_AUTOUPDATER=1,
 * CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 and the session's own extras, stdin /dev/null) in the private
 * mount namespace of namespace.ts, so the fixture's /home and /etc/claude-code are the real ones for it.
 *
 * After every run, in both phases:
 *   1. the wire is what the scenario says reality is (gateway, credential header, model) — expectations
 *      written from docs/claude-code-wire-facts.md, not from ccfleet;
 *   2. ccfleet's `selectedModel.resolved` for the session (the listed project's for a session in a project
 *      ccfleet lists, the user's otherwise — the home, an unlisted folder) equals the model on the wire;
 *   3. when ccfleet calls the session compliant, the wire is compliant: the policy's base URL, the policy's
 *      credential in the right header, a model the policy maps;
 *   4. ccfleet's effective ANTHROPIC_BASE_URL for the session is the base URL on the wire.
 * Before repair the scenario's wire must be non-compliant and `check` must say so (exit 1); after repair
 * `check` must say compliant (exit 0) unless the scenario says reality keeps it non-compliant.
 * These are soft assertions: a scenario runs to the end and reports every discrepancy, before and after.
 * CCFLEET_E2E_KEEP=1 keeps the fixture folders and prints where they are.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { ccfleet, type Report, type SessionModel } from './ccfleet.js';
import { runNamespaced, type RunResult } from './namespace.js';
import { examplePolicy, expectedCredential, mappedAlias, mappedModels, type ExamplePolicy, type PolicyDoc } from './policy.js';
import { CLAUDE_BIN } from './real-claude.js';
import { startGateways, wireOf, type GatewayName, type Gateways, type Wire } from './wire.js';
import { buildWorld, type Content, type WorldUser } from './world.js';

/** Per-test timeout: two `claude -p` runs per session and four CLI runs, on two busy cores. */
export const SCENARIO_TIMEOUT = 180_000;

export const DEV: WorldUser = { name: 'dev', uid: 4301 };

/** A developer's own gateway settings from before the policy: another endpoint and their own token. */
export const OLD_ENV = { ANTHROPIC_BASE_URL: '$ROGUE', ANTHROPIC_AUTH_TOKEN: 'tok-dev-old' };
export const OLD_AUTH = 'Bearer tok-dev-old';

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
   * than the effect (e.g. a removed key still present that changes nothing on the wire), or for a session
   * in the home, whose verdict is the user's (home and every project).
   */
  verdict?: boolean;
}

export interface Session {
  user: string;
  /** Machine path Claude Code starts in: a project ccfleet lists → that project's verdict, else the user's. */
  cwd: string;
  /** Extra environment for Claude Code (e.g. CLAUDE_CONFIG_DIR). */
  env?: Record<string, string>;
  before: Expect;
  after: Expect;
}

export interface ScenarioSpec {
  policy: ExamplePolicy;
  /** Changes to the runnable example policy (policy.ts). */
  transform?: (p: PolicyDoc) => void;
  users?: WorldUser[];
  /** Machine path → content (world.ts). */
  files: Record<string, Content>;
  git?: string[];
  sessions: Session[];
  /** The machine's verdict after repair (default true). */
  compliantAfter?: boolean;
  /** Extra checks once everything ran. */
  verify?: (r: ScenarioResult) => void;
}

export interface ScenarioResult {
  policy: PolicyDoc;
  host(machinePath: string): string;
  before: { check: Report; wires: Wire[] };
  after: { repair: Report; check: Report; wires: Wire[] };
}

/** The standard "after repair" expectation: the policy's gateway, its credential, its Opus mapping. */
export const AFTER: Expect = { gateway: 'policy', model: { alias: 'opus' }, auth: 'policy' };

let counter = 0;

/**
 * Registers the shared gateways for the enclosing describe and returns the runner. Call inside a
 * `describe` (beforeAll/afterAll bind to it).
 */
export function useScenarios(): (spec: ScenarioSpec) => Promise<ScenarioResult> {
  let gw: Gateways | undefined;
  beforeAll(async () => {
    gw = await startGateways();
  });
  afterAll(async () => {
    await gw?.close();
  });
  return (spec) => {
    if (!gw) throw new Error('gateways not started: call useScenarios() inside a describe');
    return runScenario(gw, spec);
  };
}

async function runScenario(gw: Gateways, spec: ScenarioSpec): Promise<ScenarioResult> {
  const users = spec.users ?? [DEV];
  const policy = examplePolicy(spec.policy, gw.policy.url);
  spec.transform?.(policy);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-e2e-scratch-'));
  const policyFile = path.join(scratch, 'policy.json');
  fs.writeFileSync(policyFile, `${JSON.stringify(policy, null, 2)}\n`);
  const world = buildWorld({ users, files: spec.files, git: spec.git }, { $GATEWAY: gw.policy.url, $ROGUE: gw.rogue.url });
  const keep = process.env.CCFLEET_E2E_KEEP === '1';
  try {
    const runClaude = async (s: Session, phase: string): Promise<{ wire: Wire; run: RunResult; tag: string }> => {
      const user = users.find((u) => u.name === s.user);
      if (!user) throw new Error(`session user ${s.user} is not in the world`);
      const tag = `${process.pid}-${++counter}`;
      const runScratch = fs.mkdtempSync(path.join(scratch, 'ns-'));
      const run = await runNamespaced({
        root: world.root,
        scratch: runScratch,
        cwd: s.cwd,
        uid: user.uid,
        gid: user.uid,
        env: { PATH: '/usr/bin:/bin', HOME: world.home(user.name), TERM: 'dumb', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ...s.env },
        argv: [CLAUDE_BIN, '-p', `say ok [e2e ${tag}]`, '--output-format', 'json'],
        // A run takes a second or two; one that cannot reach its endpoint retries for minutes.
        timeoutMs: 45_000,
      });
      const wires = wireOf(gw, tag);
      const where = `${phase}, ${s.user} in ${s.cwd}`;
      expect(wires.length, `${where}: expected one main-loop request, got ${wires.length}; claude exit ${run.code} ${run.signal ?? ''}\nstderr: ${run.stderr.slice(0, 1500)}\nstdout: ${run.stdout.slice(0, 1500)}`).toBe(1);
      expect(run.code, `${where}: claude exit code; stderr: ${run.stderr.slice(0, 1500)}`).toBe(0);
      return { wire: wires[0]!, run, tag };
    };

    /** Asserts one run; returns whether its wire is compliant. */
    const assertRun = (phase: 'before' | 'after', s: Session, report: Report, wire: Wire): boolean => {
      const exp = phase === 'before' ? s.before : s.after;
      const user = users.find((u) => u.name === s.user)!;
      const where = `${phase} repair, ${s.user} in ${s.cwd}`;
      const verdict = sessionVerdict(report, s);
      const credential = expectedCredential(policy, user.uid);
      const mapped = mappedModels(policy);
      const wireCompliant = wire.gateway === 'policy' && wire.authorization === credential.authorization && wire.apiKey === credential.apiKey && mapped.has(wire.model ?? '');
      const ctx = `\n  wire: ${JSON.stringify(wire)}\n  ccfleet: ${JSON.stringify(verdict)}`;

      // 1. reality, as the scenario states it
      expect.soft(wire.gateway, `${where}: gateway${ctx}`).toBe(exp.gateway);
      expect.soft(wire.model, `${where}: model on the wire${ctx}`).toBe(modelOf(policy, exp.model));
      if (exp.auth === 'policy') {
        expect.soft({ authorization: wire.authorization, apiKey: wire.apiKey }, `${where}: credential${ctx}`).toEqual(credential);
      } else {
        expect.soft(wire.authorization, `${where}: Authorization${ctx}`).toBe(exp.auth);
      }
      expect.soft(wireCompliant, `${where}: the wire is ${wireCompliant ? '' : 'not '}compliant${ctx}`).toBe(exp.compliant ?? phase === 'after');
      // 2. the model ccfleet says this session selects is the one on the wire
      expect.soft(verdict.selectedModel.resolved, `${where}: ccfleet's selectedModel.resolved vs the wire${ctx}`).toBe(wire.model);
      // 3. ccfleet never calls a session compliant that the wire shows is not
      if (verdict.compliant) expect.soft(wireCompliant, `${where}: ccfleet says compliant, the wire is not${ctx}`).toBe(true);
      expect.soft(verdict.compliant, `${where}: ccfleet's verdict for the session${ctx}`).toBe(exp.verdict ?? exp.compliant ?? phase === 'after');
      // 4. ccfleet's effective base URL for the session
      if (verdict.baseUrl) expect.soft(verdict.baseUrl, `${where}: ccfleet's effective ANTHROPIC_BASE_URL vs the wire${ctx}`).toBe(wire.baseUrl);
      return wireCompliant;
    };
    const claimMachine = (phase: string, report: Report, compliantWires: boolean[]) => {
      if (report.compliant) expect.soft(compliantWires.every(Boolean), `${phase}: ccfleet says the machine is compliant, a session's wire is not`).toBe(true);
    };

    // BEFORE: the messy world as the developer left it. The machine-level exit codes are asserted after
    // the wire, so a wrong verdict fails with the request that proves it.
    const check0 = await ccfleet('check', world.root, policyFile);
    const wires0: Wire[] = [];
    const ok0: boolean[] = [];
    for (const s of spec.sessions) {
      const { wire } = await runClaude(s, 'before repair');
      wires0.push(wire);
      ok0.push(assertRun('before', s, check0.report, wire));
    }
    claimMachine('before repair', check0.report, ok0);
    expect.soft(check0.report.compliant, 'check before repair: machine verdict').toBe(false);
    expect.soft(check0.code, `check before repair: exit code; ${check0.stderr}`).toBe(1);

    // AFTER: repair, then the verdict and the wire again.
    const compliantAfter = spec.compliantAfter ?? true;
    const repair = await ccfleet('repair', world.root, policyFile);
    const check1 = await ccfleet('check', world.root, policyFile);
    const wires1: Wire[] = [];
    const ok1: boolean[] = [];
    for (const s of spec.sessions) {
      const { wire } = await runClaude(s, 'after repair');
      wires1.push(wire);
      ok1.push(assertRun('after', s, check1.report, wire));
    }
    claimMachine('after repair', check1.report, ok1);
    const files = JSON.stringify(repair.report.files.map((f) => [f.path, f.state, f.findings.map((x) => x.code)]));
    expect.soft(check1.report.compliant, `check after repair: machine verdict; files ${files}`).toBe(compliantAfter);
    expect.soft(repair.code, `repair: exit code; ${repair.stderr} ${files}`).toBe(compliantAfter ? 0 : 1);
    expect.soft(check1.code, `check after repair: exit code; ${check1.stderr}`).toBe(compliantAfter ? 0 : 1);

    const result: ScenarioResult = {
      policy,
      host: (p) => world.host(p),
      before: { check: check0.report, wires: wires0 },
      after: { repair: repair.report, check: check1.report, wires: wires1 },
    };
    spec.verify?.(result);
    return result;
  } finally {
    if (keep) console.warn(`CCFLEET_E2E_KEEP: fixture root ${world.root}, policy and scratch ${scratch}`);
    else {
      world.cleanup();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
}

function modelOf(policy: PolicyDoc, m: ModelExpect): string {
  return typeof m === 'string' ? m : mappedAlias(policy, m.alias);
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
function sessionVerdict(report: Report, s: Session): SessionVerdict {
  const user = report.users.find((u) => u.name === s.user);
  if (!user) throw new Error(`ccfleet reports no user ${s.user}: ${report.users.map((u) => u.name).join(', ')}`);
  const homeBase = user.env?.ANTHROPIC_BASE_URL?.value;
  const project = user.projects.find((p) => p.path === s.cwd);
  if (!project) return { compliant: user.compliant, selectedModel: user.selectedModel, baseUrl: homeBase, findings: user.findings.map((f) => f.code) };
  const baseUrl = project.env ? project.env.ANTHROPIC_BASE_URL?.value : homeBase;
  return { compliant: project.compliant, selectedModel: project.selectedModel, baseUrl, findings: project.findings.map((f) => f.code) };
}
