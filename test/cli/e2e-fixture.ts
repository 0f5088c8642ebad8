/**
 * Shared set-up of the CLI end-to-end tests: a fixture machine (test/support/machine.ts) with a policy
 * file inside its root, a `run` that passes --root/--platform/--policy, and helpers to read the JSON
 * report. The state dir is the platform default under the root, so a snapshot of the root covers the
 * backups too (a dry run must not create even the folder).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bundle, cli, type CliResult } from '../support/cli.js';
import { makeMachine, type FixtureUser, type Machine } from '../support/machine.js';
import { snapshotTree } from '../support/tree.js';
import type { PlatformName } from '../../src/platform/types.js';
import { testNode } from '../support/runtime.js';

/** A gateway token that must never appear in any output (only its fingerprint may). */
export const SECRET = 'sk-bf-e2e-7f3a9c1d5e8b2046-SECRET';

export const ENV = {
  ANTHROPIC_BASE_URL: 'https://gw.example.com/anthropic',
  ANTHROPIC_AUTH_TOKEN: SECRET,
  ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model',
  ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model',
  ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model',
};

export function policyText(extra: Record<string, unknown> = {}): string {
  return `// e2e policy\n${JSON.stringify({ id: 'e2e', version: 1, env: ENV, removeKeys: ['model', 'env.ANTHROPIC_MODEL'], ...extra }, null, 2)}\n`;
}

export interface Fixture extends Machine {
  /** Host path of the policy file (inside the root). */
  policyPath: string;
  /** Replace the policy: `policyText(extra)`, or raw text. */
  setPolicy(extra: Record<string, unknown> | string): void;
  /** `ccfleet <args> --root <root> --platform <p> --policy <policy>`. */
  run(...args: string[]): CliResult;
  /** Same, with --json; fails loudly when stdout is not JSON. */
  json(...args: string[]): CliResult;
  /** Host path of the default state dir. */
  stateDir: string;
  snap(): Record<string, string>;
  /** Write a machine path with a mode (host path returned). */
  put(machinePath: string, text: string, mode?: number): string;
}

export function fixture(platform: PlatformName, users: FixtureUser[], policy: Record<string, unknown> | string = {}): Fixture {
  const m = makeMachine(platform, users);
  const policyPath = path.join(m.root, 'policy.jsonc');
  const setPolicy = (p: Record<string, unknown> | string) => fs.writeFileSync(policyPath, typeof p === 'string' ? p : policyText(p));
  setPolicy(policy);
  const stateDir =
    platform === 'darwin' ? m.host('/Library/Application Support/ccfleet/state')
    : platform === 'windows' ? m.host('C:\\ProgramData\\ccfleet\\state')
    : m.host('/var/lib/ccfleet');
  const run = (...args: string[]) => cli([...args, '--root', m.root, '--platform', platform, '--policy', policyPath]);
  return {
    ...m,
    policyPath,
    setPolicy,
    stateDir,
    run,
    json: (...args: string[]) => {
      const r = run(...args, '--json');
      if (r.json === null) throw new Error(`not JSON (exit ${r.code}): ${r.stderr}${r.stdout.slice(0, 500)}`);
      return r;
    },
    snap: () => snapshotTree(m.root),
    put: (p, text, mode) => {
      const h = m.write(p, text);
      if (mode !== undefined) fs.chmodSync(h, mode);
      return h;
    },
  };
}

export interface FileEntry {
  path: string;
  scope: string;
  role: string;
  user: string | null;
  state: string;
  compliant: boolean;
  findings: { code: string; key?: string; blocking?: boolean; message?: string }[];
}

/** The report's file entry for a machine path (throws when absent, so a typo fails loudly). */
export function fileOf(r: CliResult, machinePath: string): FileEntry {
  const f = (r.json?.files as FileEntry[] | undefined)?.find((x) => x.path === machinePath);
  if (!f) throw new Error(`${machinePath} not in the report: ${(r.json?.files as FileEntry[] | undefined)?.map((x) => x.path).join(', ')}`);
  return f;
}

export const states = (r: CliResult): Record<string, string> => Object.fromEntries((r.json.files as FileEntry[]).map((f) => [f.path, f.state]));

export const codes = (f: FileEntry): string[] => f.findings.map((x) => x.code);

export const userOf = (r: CliResult, name: string) => (r.json.users as { name: string; compliant: boolean; selectedModel: { requested: string | null; resolved: string | null; source: string }; projects: { path: string; selectedModel: { resolved: string | null; source: string } }[] }[]).find((u) => u.name === name);

export const isRoot = process.getuid?.() === 0;

/** `cli` without blocking, for read-only cases that may run concurrently. */
export function cliAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(testNode, [bundle, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
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
