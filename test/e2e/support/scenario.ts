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
 *      written from docs/claude-code-wire-facts.md and what the client did here, never from ccfleet;
 *   2. ccfleet's `selectedModel.resolved` for the session (the listed project's for a session in a project
 *      ccfleet lists, the user's otherwise — the home, an unlisted folder) equals the model on the wire;
 *   3. when ccfleet calls the session compliant, the wire is compliant: the policy's base URL, the policy's
 *      credential in the right header, a model the policy maps;
 *   4. ccfleet's effective ANTHROPIC_BASE_URL for the session is the base URL on the wire;
 * and a machine `check` calls compliant has only compliant wires (the judging is judge.ts).
 * Before repair the scenario's wire must be non-compliant and `check` must say so (exit 1); after repair
 * `check` must say compliant (exit 0) unless the scenario says reality keeps it non-compliant.
 * A scenario runs to the end and reports every disagreement at once (claims.ts). Scenarios of a file may
 * run concurrently (`describe.concurrent`): at most CCFLEET_E2E_CONCURRENCY (default 2) at a time per test
 * worker; their requests are told apart by a tag in each prompt (wire.ts).
 * CCFLEET_E2E_KEEP=1 keeps the fixture folders and prints where they are.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Claims } from './claims.js';
import { ccfleet, type Report } from './ccfleet.js';
import { judgeRun, type Expect } from './judge.js';
import { runNamespaced } from './namespace.js';
import { examplePolicy, type ExamplePolicy, type PolicyDoc } from './policy.js';
import { CLAUDE_BIN, CLAUDE_IN_NS } from './real-claude.js';
import { startGateways, wireOf, type Gateways, type Wire } from './wire.js';
import { buildWorld, type Content, type WorldUser } from './world.js';

export type { Expect } from './judge.js';

/** Per-test timeout: waiting for a slot, two `claude -p` runs per session and three CLI runs, on busy cores. */
export const SCENARIO_TIMEOUT = 300_000;

export const DEV: WorldUser = { name: 'dev', uid: 4301 };

/** A developer's own gateway settings from before the policy: another endpoint and their own token. */
export const OLD_ENV = { ANTHROPIC_BASE_URL: '$ROGUE', ANTHROPIC_AUTH_TOKEN: 'tok-dev-old' };
export const OLD_AUTH = 'Bearer tok-dev-old';

/** The standard "after repair" expectation: the policy's gateway, its credential, its Opus mapping. */
export const AFTER: Expect = { gateway: 'policy', model: { alias: 'opus' }, auth: 'policy' };

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
  /** Extra checks once everything ran (throw to fail). */
  verify?: (r: ScenarioResult) => void;
}

export interface ScenarioResult {
  policy: PolicyDoc;
  host(machinePath: string): string;
  before: { check: Report; wires: Wire[] };
  after: { repair: Report; check: Report; wires: Wire[] };
}

const slots = limiter(Number(process.env.CCFLEET_E2E_CONCURRENCY) || 2);
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
    const g = gw;
    return slots(() => runScenario(g, spec));
  };
}

async function runScenario(gw: Gateways, spec: ScenarioSpec): Promise<ScenarioResult> {
  const users = spec.users ?? [DEV];
  const uidOf = (name: string) => {
    const u = users.find((x) => x.name === name);
    if (!u) throw new Error(`session user ${name} is not in the world`);
    return u.uid;
  };
  const policy = examplePolicy(spec.policy, gw.policy.url);
  spec.transform?.(policy);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-e2e-scratch-'));
  const policyFile = path.join(scratch, 'policy.json');
  fs.writeFileSync(policyFile, `${JSON.stringify(policy, null, 2)}\n`);
  const world = buildWorld({ users, files: spec.files, git: spec.git }, { $GATEWAY: gw.policy.url, $ROGUE: gw.rogue.url });
  const claims = new Claims();

  /** One `claude -p` as the session's user; its one main-loop request (anything else fails at once). */
  const claude = async (s: Session, phase: string): Promise<Wire> => {
    const uid = uidOf(s.user);
    const tag = `${process.pid}-${++counter}`;
    const run = await runNamespaced({
      root: world.root,
      scratch: fs.mkdtempSync(path.join(scratch, 'ns-')),
      cwd: s.cwd,
      uid,
      gid: uid,
      env: { PATH: '/usr/bin:/bin', HOME: world.home(s.user), TERM: 'dumb', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ...s.env },
      argv: [CLAUDE_IN_NS, '-p', `say ok [e2e ${tag}]`, '--output-format', 'json'],
      binDir: path.dirname(CLAUDE_BIN),
      // A run takes a second or two; one that cannot reach its endpoint retries for minutes.
      timeoutMs: 45_000,
    });
    const wires = wireOf(gw, tag);
    if (wires.length !== 1 || run.code !== 0) {
      throw new Error(`${phase}, ${s.user} in ${s.cwd}: expected exit 0 and one main-loop request, got exit ${run.code} ${run.signal ?? ''} and ${wires.length} request(s)\nstderr: ${run.stderr.slice(0, 1500)}\nstdout: ${run.stdout.slice(0, 1500)}`);
    }
    return wires[0]!;
  };

  /** Every session once against `report`; then the machine-level claim. */
  const phase = async (name: 'before' | 'after', report: Report): Promise<Wire[]> => {
    const wires: Wire[] = [];
    const compliant: boolean[] = [];
    for (const s of spec.sessions) {
      const wire = await claude(s, `${name} repair`);
      wires.push(wire);
      compliant.push(judgeRun(claims, { phase: name, session: s, uid: uidOf(s.user), exp: name === 'before' ? s.before : s.after, report, wire, policy }));
    }
    if (report.compliant && !compliant.every(Boolean)) claims.equal(report.compliant, false, `${name} repair: ccfleet says the machine is compliant, a session's wire is not`);
    return wires;
  };

  try {
    // BEFORE: the messy world as the developer left it.
    const check0 = await ccfleet('check', world.root, policyFile);
    const wires0 = await phase('before', check0.report);
    claims.equal(check0.report.compliant, false, 'check before repair: machine verdict');
    claims.equal(check0.code, 1, `check before repair: exit code ${check0.stderr}`);

    // AFTER: repair, then the verdict and the wire again.
    const compliantAfter = spec.compliantAfter ?? true;
    const repair = await ccfleet('repair', world.root, policyFile);
    const check1 = await ccfleet('check', world.root, policyFile);
    const wires1 = await phase('after', check1.report);
    const files = `\n    files: ${JSON.stringify(repair.report.files.map((f) => [f.path, f.state, f.findings.map((x) => x.code)]))}`;
    claims.equal(check1.report.compliant, compliantAfter, 'check after repair: machine verdict', files);
    claims.equal(repair.code, compliantAfter ? 0 : 1, `repair: exit code ${repair.stderr}`, files);
    claims.equal(check1.code, compliantAfter ? 0 : 1, `check after repair: exit code ${check1.stderr}`);
    claims.settle('ccfleet vs the real Claude Code');

    const result: ScenarioResult = {
      policy,
      host: (p) => world.host(p),
      before: { check: check0.report, wires: wires0 },
      after: { repair: repair.report, check: check1.report, wires: wires1 },
    };
    spec.verify?.(result);
    return result;
  } finally {
    if (process.env.CCFLEET_E2E_KEEP === '1') console.warn(`CCFLEET_E2E_KEEP: fixture root ${world.root}, policy and scratch ${scratch}`);
    else {
      world.cleanup();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
}

/** Runs at most `n` of the given jobs at a time, in arrival order (a finished job hands its slot on). */
function limiter(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (job) => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
