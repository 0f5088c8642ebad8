/**
 * Shared set-up of the daemon end-to-end tests (test/daemon/*.test.ts):
 *
 *   const m = daemonMachine({ users: { alice: ['/home/alice/work/api'] } });   // a linux fixture root
 *   const d = await startDaemon(m, ['--policy', m.policyPath]);                  // the built CLI, "daemon started"
 *   await waitFor(() => m.json('/home/alice/.claude/settings.json').model === undefined, 'model removed');
 *   const r = await d.stop('SIGTERM');                                           // { code, signal, ms }
 *
 * No timed assertions: `waitFor` polls a condition with a generous timeout and fails with what it waited for
 * (and the daemon's stderr tail). `settle` is a quiet period before checking that nothing more happens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeMachine, type Machine } from '../../support/machine.js';
import { testBundle, testNode } from '../../support/runtime.js';
import type { DaemonEvent } from '../../../src/agent/daemon/events.js';
import type { DaemonStatus } from '../../../src/agent/daemon/status-file.js';

export const WAIT_MS = 10_000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What a truthy check lets through. */
export type Truthy<T> = Exclude<T, null | undefined | false | 0 | ''>;

/** Polls `cond` every 25 ms until it returns something truthy (returned); throws after `timeoutMs`. */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, o: { timeoutMs?: number; detail?: () => string } = {}): Promise<Truthy<T>> {
  const deadline = Date.now() + (o.timeoutMs ?? WAIT_MS);
  let last: unknown = null;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as Truthy<T>;
      last = null;
    } catch (e) {
      last = e; // e.g. a file caught mid-rename: look again
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out waiting for: ${what}${why}${o.detail ? `\n${o.detail()}` : ''}`);
    }
    await sleep(25);
  }
}

export interface DaemonMachine extends Machine {
  /** Host path of the policy file (outside the watched folders' noise: `<root>/mdm/policy.jsonc`). */
  policyPath: string;
  /** Host path of the state dir (linux default under the root). */
  stateDir: string;
  /** Host path of the log dir (linux default under the root). */
  logDir: string;
  /** Parsed JSON of a machine path (throws when absent or not JSON). */
  json(machinePath: string): Record<string, unknown>;
  mtime(machinePath: string): number;
  /** Claude Code's way of writing settings: a temp file renamed over the target, 2-space JSON. */
  rewrite(machinePath: string, value: unknown): void;
  /** Adds a user: passwd line + home (+ .claude.json with these projects). */
  addUser(name: string, uid: number, projects?: string[]): void;
  /** Sets a user's `.claude.json` projects (by rename, as Claude Code does). */
  setProjects(user: string, projects: string[]): void;
  status(): DaemonStatus;
  /** Machine path of our managed drop-in. */
  dropin: string;
}

/** A linux fixture root: users with their projects (folders created), policy file under `<root>/mdm/`. */
export function daemonMachine(o: { users: Record<string, string[]>; policy?: string }): DaemonMachine {
  const names = Object.keys(o.users);
  const m = makeMachine('linux', names.map((name) => ({ name })));
  const policyPath = path.join(m.root, 'mdm', 'policy.jsonc');
  fs.mkdirSync(path.dirname(policyPath), { recursive: true });
  if (o.policy !== undefined) fs.writeFileSync(policyPath, o.policy);
  const stateDir = m.host('/var/lib/ccfleet');
  const rewrite = (p: string, value: unknown) => {
    const h = m.host(p);
    fs.mkdirSync(path.dirname(h), { recursive: true });
    const tmp = `${h}.tmp.${process.pid}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    fs.renameSync(tmp, h);
  };
  const setProjects = (user: string, projects: string[]) => {
    for (const p of projects) fs.mkdirSync(m.host(p), { recursive: true });
    rewrite(`/home/${user}/.claude.json`, { hasCompletedOnboarding: true, projects: Object.fromEntries(projects.map((p) => [p, { allowedTools: [] }])) });
  };
  for (const [u, projects] of Object.entries(o.users)) setProjects(u, projects);
  return {
    ...m,
    policyPath,
    stateDir,
    logDir: m.host('/var/log/ccfleet'),
    dropin: '/etc/claude-code/managed-settings.d/50-ccfleet.json',
    json: (p) => JSON.parse(fs.readFileSync(m.host(p), 'utf8')) as Record<string, unknown>,
    mtime: (p) => fs.statSync(m.host(p)).mtimeMs,
    rewrite,
    setProjects,
    addUser(name, uid, projects = []) {
      fs.mkdirSync(m.host(`/home/${name}`), { recursive: true });
      if (projects.length) setProjects(name, projects);
      fs.appendFileSync(m.host('/etc/passwd'), `${name}:x:${uid}:${uid}::/home/${name}:/bin/bash\n`);
    },
    status: () => JSON.parse(fs.readFileSync(path.join(stateDir, 'daemon', 'status.json'), 'utf8')) as DaemonStatus,
  };
}

export interface DaemonProcess {
  child: ChildProcess;
  pid: number;
  /** Everything written to stderr so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a stderr line matching `re` (after `from` characters, default 0). */
  waitLog(re: RegExp, what?: string, from?: number): Promise<string>;
  /** Sends a signal and waits for the exit; `ms` from the signal to the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** Kills it (SIGKILL) if still running; for afterAll. */
  kill(): void;
  /** CPU seconds (user + system) the process has used, from /proc (linux). */
  cpuSeconds(): number;
}

/** Runs `ccfleet daemon --root <root> --platform linux <args>`; `ready` false: do not wait for "daemon started". */
export async function startDaemon(m: { root: string }, args: string[], o: { ready?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<DaemonProcess> {
  if (!fs.existsSync(testBundle)) throw new Error(`${testBundle} is missing: run npm run build (npm test does)`);
  const child = spawn(testNode, [testBundle, 'daemon', '--root', m.root, '--platform', 'linux', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: o.env ?? process.env,
  });
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const tail = () => `--- daemon stderr (last 3000 chars) ---\n${err.slice(-3000)}`;
  const p: DaemonProcess = {
    child,
    pid: child.pid!,
    stderr: () => err,
    stdout: () => out,
    exited,
    async waitLog(re, what, from = 0) {
      const find = () => err.slice(from).split('\n').find((l) => re.test(l));
      // Fail at once when the daemon exits without having written the line.
      const exit = exited.then(async (r) => {
        await sleep(50); // the last stderr chunks
        const line = find();
        if (line === undefined) throw new Error(`the daemon exited (code ${r.code}, signal ${r.signal}) before: ${what ?? re}\n${tail()}`);
        return line;
      });
      return Promise.race([waitFor(find, what ?? `stderr line ${re}`, { detail: tail }), exit]);
    },
    async stop(signal = 'SIGTERM') {
      const t0 = performance.now();
      child.kill(signal);
      const r = await exited;
      return { ...r, ms: performance.now() - t0 };
    },
    kill: () => {
      if (!done) child.kill('SIGKILL');
    },
    cpuSeconds() {
      const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
    },
  };
  if (o.ready !== false) {
    try {
      await p.waitLog(/daemon started/, '"daemon started" on stderr');
    } catch (e) {
      p.kill();
      throw e;
    }
  }
  return p;
}

/** Events of a kind (optionally for one machine path, optionally after an ISO time). */
export function eventsOf(s: DaemonStatus, kind: DaemonEvent['kind'], o: { path?: string; since?: string } = {}): DaemonEvent[] {
  return s.events.filter((e) => e.kind === kind && (o.path === undefined || e.path === o.path) && (o.since === undefined || e.at >= o.since));
}

/** Every file in the log dir, concatenated (rotated ones too). */
export function logText(m: DaemonMachine): string {
  if (!fs.existsSync(m.logDir)) return '';
  return fs.readdirSync(m.logDir).map((n) => fs.readFileSync(path.join(m.logDir, n), 'utf8')).join('');
}

/** JSON-lines entries of the log files. */
export function logEntries(m: DaemonMachine): { level: string; msg: string; meta?: Record<string, unknown> }[] {
  return logText(m).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string; meta?: Record<string, unknown> });
}

/** A policy document (JSONC text) with the given id/version/env, removing `model` and `env.ANTHROPIC_MODEL`. */
export function policyDoc(o: { version: number; env: Record<string, string>; id?: string; extra?: Record<string, unknown> }): string {
  return `// daemon e2e policy v${o.version}\n${JSON.stringify({ id: o.id ?? 'daemon-e2e', version: o.version, env: o.env, removeKeys: ['model', 'env.ANTHROPIC_MODEL'], ...o.extra }, null, 2)}\n`;
}

/** The gateway env a policy enforces; `tag` goes into the base URL so versions are told apart on disk. */
export function gatewayEnv(tag: string, token: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: `https://gw.example.com/${tag}/anthropic`,
    ANTHROPIC_AUTH_TOKEN: token,
    ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model',
    ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model',
    ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model',
  };
}

/** The base URL our managed drop-in holds now (null when absent or unreadable). */
export function dropinBaseUrl(m: DaemonMachine): string | null {
  try {
    const env = m.json(m.dropin).env as Record<string, string> | undefined;
    return env?.ANTHROPIC_BASE_URL ?? null;
  } catch {
    return null;
  }
}

/** Writes an agent config (JSON or raw text) to `<root>/cfg/<name>` (not a watched folder) and returns its host path. */
export function agentConfig(m: { root: string }, value: Record<string, unknown> | string, name = 'agent.json'): string {
  const file = path.join(m.root, 'cfg', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}
