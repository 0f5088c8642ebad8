/**
 * The scenario runner: ccfleet's verdict against what the real Claude Code sends, both ways.
 *
 *   build the world (world.ts) → `check --json` → `claude -p` per session  (BEFORE: the messy state)
 *   → `repair --json` → `check --json` → `claude -p` per session           (AFTER)
 *   → `check --json`                                                      (the facts the AFTER runs left)
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
 * and a machine `check` calls compliant has only compliant wires (the judging is judge.ts);
 *   5. ccfleet's auth facts for the user (`auth.headers`, `auth.fingerprint`, from the `check` of the phase)
 *      match the credential headers on the wire — for runs in a folder with no project settings (facts.ts).
 * The runs' transcripts are judged too (facts.ts): the `check` after repair (taken after the BEFORE runs)
 * and the final one (after the AFTER runs) must report as `lastUsedModel` the wire model and folder of the
 * user's newest run that wrote into the config dir ccfleet reads, and whether the policy maps it; the first
 * `check` (nothing ran yet) must report none. The final `check` must keep the machine verdict: what the
 * transcripts show is a fact, never a reason to call the machine non-compliant.
 * A session may name its model on the command line (`args: ['--model', …]`): claim 2 is skipped for it and
 * claim 3 judges its wire without the model (judge.ts). A session may be one Claude Code refuses to start
 * (`refuses` in its Expect): a non-zero exit, no request with its tag, and ccfleet must call the session
 * non-compliant; nothing else is judged for it.
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
import { judgeAuth, judgeLastUsed, ccfleetConfigDir, type CompletedRun, type FactsWorld } from './facts.js';
import { judgeRefusal, judgeRun, refuses, type Expect, type WireExpect } from './judge.js';
import { runNamespaced, type RunResult } from './namespace.js';
import { examplePolicy, type ExamplePolicy, type PolicyDoc } from './policy.js';
import { CLAUDE_BIN, CLAUDE_IN_NS } from './real-claude.js';
import { startGateways, taggedRequests, wireOf, type Gateways, type Wire } from './wire.js';
import { buildWorld, type Content, type WorldUser } from './world.js';

export type { Expect, RefuseExpect, WireExpect } from './judge.js';

/** Per-test timeout: waiting for a slot, two `claude -p` runs per session and four CLI runs, on busy cores. */
export const SCENARIO_TIMEOUT = 300_000;

export const DEV: WorldUser = { name: 'dev', uid: 4301 };

/** A developer's own gateway settings from before the policy: another endpoint and their own token. */
export const OLD_ENV = { ANTHROPIC_BASE_URL: '$ROGUE', ANTHROPIC_AUTH_TOKEN: 'tok-dev-old' };
export const OLD_AUTH = 'Bearer tok-dev-old';

/** The standard "after repair" expectation: the policy's gateway, its credential, its Opus mapping. */
export const AFTER: WireExpect = { gateway: 'policy', model: { alias: 'opus' }, auth: 'policy' };

export interface Session {
  user: string;
  /** Machine path Claude Code starts in: a project ccfleet lists → that project's verdict, else the user's. */
  cwd: string;
  /** Extra environment for Claude Code (e.g. CLAUDE_CONFIG_DIR). */
  env?: Record<string, string>;
  /**
   * Extra arguments after `-p <prompt> --output-format json` (e.g. `['--model', 'claude-opus-4-5']`). A session
   * that names its model this way is judged as described above (claims 2 and 3).
   */
  args?: string[];
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
  /** Machine path → symlink target (world.ts). */
  links?: Record<string, string>;
  sessions: Session[];
  /** The machine's verdict after repair (default true). */
  compliantAfter?: boolean;
  /** Extra checks once everything ran (throw to fail); the fixture still exists while it runs. */
  verify?: (r: ScenarioResult) => void | Promise<void>;
}

export interface ScenarioResult {
  policy: PolicyDoc;
  host(machinePath: string): string;
  /** Runs a command as a fixture user inside the namespace, like a session (the same clean environment). */
  exec(user: string, argv: string[], cwd?: string): Promise<RunResult>;
  /** `wires[i]` is session i's request; null for a run Claude Code refused to start. */
  before: { check: Report; wires: (Wire | null)[] };
  /** `recheck`: the `check` after the AFTER runs (their transcripts are there). */
  after: { repair: Report; check: Report; wires: (Wire | null)[]; recheck: Report };
}

/** A session names its model on the command line: ccfleet's selectedModel (no flags) cannot know it. */
const namesModel = (s: Session): boolean => (s.args ?? []).some((a) => a === '--model' || a.startsWith('--model='));

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
  const world = buildWorld({ users, files: spec.files, git: spec.git, links: spec.links }, { $GATEWAY: gw.policy.url, $ROGUE: gw.rogue.url });
  const facts: FactsWorld = { policy, home: (u) => world.home(u), host: (p) => world.host(p) };
  // Config dirs that hold transcripts before anything ran: their lastUsedModel is not ours to predict.
  const seeded = new Set(users.map((u) => ccfleetConfigDir(facts, u.name)).filter((d) => fs.existsSync(world.host(path.posix.join(d, 'projects')))));
  const claims = new Claims();
  const runs: CompletedRun[] = [];

  /** One command as `user` in the namespace, in the sessions' clean environment plus `env`. */
  const exec = (user: string, argv: string[], cwd: string, env: Record<string, string> = {}): Promise<RunResult> => {
    const uid = uidOf(user);
    return runNamespaced({
      root: world.root,
      scratch: fs.mkdtempSync(path.join(scratch, 'ns-')),
      cwd,
      uid,
      gid: uid,
      env: { PATH: '/usr/bin:/bin', HOME: world.home(user), TERM: 'dumb', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ...env },
      argv,
      binDir: path.dirname(CLAUDE_BIN),
      // A run takes a second or two; one that cannot reach its endpoint retries for minutes.
      timeoutMs: 45_000,
    });
  };

  /**
   * One `claude -p` as the session's user. A run expected to reach a gateway must exit 0 with exactly one
   * main-loop request (anything else fails at once: every later claim reads that request); a run expected
   * to be refused is judged into `claims` and gives null.
   */
  const claude = async (s: Session, phase: 'before' | 'after', exp: Expect, report: Report): Promise<Wire | null> => {
    const tag = `${process.pid}-${++counter}`;
    const run = await exec(s.user, [CLAUDE_IN_NS, '-p', `say ok [e2e ${tag}]`, '--output-format', 'json', ...(s.args ?? [])], s.cwd, s.env);
    if (refuses(exp)) {
      judgeRefusal(claims, { phase, session: s, exp, report, run, requests: taggedRequests(gw, tag) });
      return null;
    }
    const wires = wireOf(gw, tag);
    if (wires.length !== 1 || run.code !== 0) {
      throw new Error(`${phase} repair, ${s.user} in ${s.cwd}: expected exit 0 and one main-loop request, got exit ${run.code} ${run.signal ?? ''} and ${wires.length} request(s)\nstderr: ${run.stderr.slice(0, 1500)}\nstdout: ${run.stdout.slice(0, 1500)}`);
    }
    return wires[0]!;
  };

  /** Every session once against `report` (the `check` of the phase); then the machine-level claim. */
  const phase = async (name: 'before' | 'after', report: Report): Promise<(Wire | null)[]> => {
    const wires: (Wire | null)[] = [];
    const compliant: boolean[] = [];
    for (const s of spec.sessions) {
      const exp = name === 'before' ? s.before : s.after;
      const wire = await claude(s, name, exp, report);
      wires.push(wire);
      if (refuses(exp) || wire === null) {
        compliant.push(false);
        continue;
      }
      runs.push({ phase: name, session: s, wire });
      compliant.push(judgeRun(claims, { phase: name, session: s, uid: uidOf(s.user), exp, modelFlag: namesModel(s), report, wire, policy }));
      judgeAuth(claims, { phase: name, world: facts, session: s, report, wire });
    }
    if (report.compliant && !compliant.every(Boolean)) claims.equal(report.compliant, false, `${name} repair: ccfleet says the machine is compliant, a session's wire is not`);
    return wires;
  };

  try {
    // BEFORE: the messy world as the developer left it.
    const check0 = await ccfleet('check', world.root, policyFile);
    judgeLastUsed(claims, { label: 'check before repair (nothing ran yet)', report: check0.report, world: facts, runs, seeded });
    const wires0 = await phase('before', check0.report);
    claims.equal(check0.report.compliant, false, 'check before repair: machine verdict');
    claims.equal(check0.code, 1, `check before repair: exit code ${check0.stderr}`);

    // AFTER: repair, then the verdict and the wire again.
    const compliantAfter = spec.compliantAfter ?? true;
    const repair = await ccfleet('repair', world.root, policyFile);
    const check1 = await ccfleet('check', world.root, policyFile);
    judgeLastUsed(claims, { label: 'check after repair (after the BEFORE runs)', report: check1.report, world: facts, runs, seeded });
    const wires1 = await phase('after', check1.report);
    const files = `\n    files: ${JSON.stringify(repair.report.files.map((f) => [f.path, f.state, f.findings.map((x) => x.code)]))}`;
    claims.equal(check1.report.compliant, compliantAfter, 'check after repair: machine verdict', files);
    claims.equal(repair.code, compliantAfter ? 0 : 1, `repair: exit code ${repair.stderr}`, files);
    claims.equal(check1.code, compliantAfter ? 0 : 1, `check after repair: exit code ${check1.stderr}`);

    // The facts the AFTER runs left: their transcripts; the verdict does not move.
    const check2 = await ccfleet('check', world.root, policyFile);
    judgeLastUsed(claims, { label: 'check after the AFTER runs', report: check2.report, world: facts, runs, seeded });
    const blocking = `\n    blocking findings: ${JSON.stringify(check2.report.users.map((u) => [u.name, u.findings.filter((f) => f.blocking).map((f) => f.code)]))}`;
    claims.equal(check2.report.compliant, compliantAfter, 'check after the AFTER runs: machine verdict', blocking);
    claims.equal(check2.code, compliantAfter ? 0 : 1, `check after the AFTER runs: exit code ${check2.stderr}`);
    claims.settle('ccfleet vs the real Claude Code');

    const result: ScenarioResult = {
      policy,
      host: (p) => world.host(p),
      exec: (user, argv, cwd) => exec(user, argv, cwd ?? world.home(user)),
      before: { check: check0.report, wires: wires0 },
      after: { repair: repair.report, check: check1.report, wires: wires1, recheck: check2.report },
    };
    await spec.verify?.(result);
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
