/**
 * The built CLI (dist/ccfleet.cjs, `npm run build`) run asynchronously — the fake gateways live in the test
 * process, so a blocking spawn would stall a concurrent `claude -p` — as root against a fixture root:
 * `ccfleet <command> --json --root <root> --platform linux --policy <file>`. The CLI maps every machine
 * path under the root (`/etc/claude-code` → `<root>/etc/claude-code`, `/home/dev` → `<root>/home/dev`).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { AuthFacts, ClaudeFacts, LastUsedModel } from '../../../src/core/facts-types.js';
import { bundle } from '../../support/cli.js';
import { testNode } from '../../support/runtime.js';

export interface SessionModel {
  requested: string | null;
  resolved: string | null;
  source: string;
}

export interface Finding {
  code: string;
  key?: string;
  blocking?: boolean;
  message?: string;
}

type EnvView = Record<string, { value: string; source: string } | null>;

export interface ProjectVerdict {
  path: string;
  /** Present when the project's effective env differs from the home's. */
  env?: EnvView;
  compliant: boolean;
  selectedModel: SessionModel;
  findings: Finding[];
}

export interface UserVerdict {
  name: string;
  home: string;
  configDir: string;
  compliant: boolean;
  selectedModel: SessionModel;
  findings: Finding[];
  env?: EnvView;
  projects: ProjectVerdict[];
  /** Per-user facts no settings file holds (src/core/facts-types.ts). */
  claude: ClaudeFacts;
  auth: AuthFacts;
  lastUsedModel: LastUsedModel | null;
  usage: { filesRead: number; filesSeen: number; note?: string };
}

export interface Report {
  compliant: boolean;
  users: UserVerdict[];
  files: { path: string; scope: string; project?: string; state: string; findings: Finding[] }[];
  managed: { compliant: boolean; findings: Finding[] };
}

export interface CcfleetRun {
  code: number | null;
  stderr: string;
  report: Report;
}

export function ccfleet(command: 'check' | 'repair', root: string, policyFile: string): Promise<CcfleetRun> {
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build (npm test does)`);
  const args = [bundle, command, '--json', '--root', root, '--platform', 'linux', '--policy', policyFile];
  return new Promise((resolve, reject) => {
    execFile(testNode, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      try {
        resolve({ code, stderr, report: JSON.parse(stdout) as Report });
      } catch {
        reject(new Error(`ccfleet ${command}: not JSON (exit ${code}): ${stderr.slice(0, 500)} ${stdout.slice(0, 500)}`));
      }
    });
  });
}
