/** Runs the built CLI bundle (npm test builds it first) as a child process with Node 22. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { testBundle, testNode } from './runtime.js';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const bundle = testBundle;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

export function cli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build (npm test does)`);
  const r = spawnSync(testNode, [bundle, ...args], { encoding: 'utf8', input: opts.input, env: opts.env ?? process.env, timeout: 60_000, maxBuffer: 64 << 20 });
  let json: unknown = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}
