/**
 * Set-up shared by the `ccfleet doctor` tests: a Linux fixture machine whose policy points at a fake
 * Bifrost (test/support/fake-gateway.ts) with virtual key KEY, and an asynchronous CLI run — the fake
 * gateway lives in the test process, so the child must not block it — with a controlled environment
 * (no proxy variables from the machine unless a test sets them).
 */
import { execFile } from 'node:child_process';
import { bundle, type CliResult } from '../support/cli.js';
import { testNode } from '../support/runtime.js';
import { ENV, fixture, type Fixture } from './e2e-fixture.js';

/** The virtual key the policy carries; it must appear in no output. */
export const KEY = 'sk-bf-doctor-3c9e1f7a5b2d4086-KEY';

const PROXY_VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY', 'all_proxy', 'ALL_PROXY'];

export interface DoctorCheck {
  code: string;
  status: 'ok' | 'warning' | 'problem' | 'skipped';
  target?: string;
  users?: string[];
  message: string;
  ms: number;
}

export interface DoctorFixture extends Fixture {
  /** Point the policy at `baseUrl` (extra policy fields and env merged in). */
  policyFor(baseUrl: string, extra?: { env?: Record<string, string | undefined>; [k: string]: unknown }): void;
  /** `ccfleet doctor <args> --root … --platform linux --policy …`, asynchronously. */
  doctor(args?: string[], env?: Record<string, string>): Promise<CliResult>;
}

export function doctorFixture(users = [{ name: 'alice' }]): DoctorFixture {
  const f = fixture('linux', users);
  const policyFor: DoctorFixture['policyFor'] = (baseUrl, extra = {}) => {
    const env: Record<string, string> = { ...ENV, ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_AUTH_TOKEN: KEY };
    for (const [k, v] of Object.entries(extra.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    f.setPolicy({ ...extra, env });
  };
  const doctor: DoctorFixture['doctor'] = (args = [], env = {}) =>
    runAsync(['doctor', ...args, '--root', f.root, '--platform', 'linux', '--policy', f.policyPath], env);
  return { ...f, policyFor, doctor };
}

export function runAsync(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const v of PROXY_VARS) delete env[v];
  Object.assign(env, extraEnv);
  return new Promise((resolve) => {
    execFile(testNode, [bundle, ...args], { encoding: 'utf8', env, timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = null;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/** The checks with `code` (and, when given, `target`). */
export const checksOf = (r: CliResult, code: string): DoctorCheck[] => (r.json?.checks as DoctorCheck[] | undefined ?? []).filter((c) => c.code === code);

/** The single check with `code`; throws (listing what there is) when there is not exactly one. */
export function checkOf(r: CliResult, code: string): DoctorCheck {
  const all = checksOf(r, code);
  if (all.length !== 1) throw new Error(`expected one ${code} check, got ${all.length}: ${r.stdout}${r.stderr}`);
  return all[0]!;
}

/** code → status, for the checks that appear once. */
export const statuses = (r: CliResult): Record<string, string> =>
  Object.fromEntries((r.json?.checks as DoctorCheck[] | undefined ?? []).map((c) => [c.code, c.status]));
