/**
 * Whether the real Claude Code e2e suite can run here, decided once when a test file loads:
 * the pinned binary installed by scripts/install-claude-code.sh (.cache/claude-code/<version>/claude),
 * Linux, root, and a private mount namespace that can replace /etc/claude-code (see namespace.ts).
 * `required` (CI=true or CCFLEET_E2E=require, which .ci/run sets) turns "cannot run" into a failure
 * instead of a skip, so a broken install never passes CI silently.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../support/cli.js';
import { NS_BIN_DIR, SYSTEM_ENV, unshareArgs } from './namespace.js';

export const CLAUDE_VERSION = fs.readFileSync(path.join(repoRoot, 'scripts', 'claude-code-version'), 'utf8').trim();
export const CLAUDE_BIN = path.join(repoRoot, '.cache', 'claude-code', CLAUDE_VERSION, 'claude');
/** The same binary as the namespaced command sees it (namespace.ts bind-mounts its folder there). */
export const CLAUDE_IN_NS = path.posix.join(NS_BIN_DIR, 'claude');

export const HOW_TO_ENABLE =
  'to run it: `bash scripts/install-claude-code.sh`, then `npm test` as root on Linux with util-linux unshare/setpriv (CI does both)';

export interface Availability {
  ready: boolean;
  /** Why it cannot run (empty when ready). */
  reason: string;
  /** CI=true or CCFLEET_E2E=require: not ready is an error, not a skip. */
  required: boolean;
}

const PROBE_UID = 4299;

function probe(): string {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (mount namespaces, and users with their own uids)';
  if (!fs.existsSync(CLAUDE_BIN)) return `Claude Code ${CLAUDE_VERSION} is not installed at ${path.relative(repoRoot, CLAUDE_BIN)}`;
  for (const tool of ['unshare', 'setpriv', 'mount']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status !== 0) return `\`${tool}\` (util-linux) is missing`;
  }
  // One run exactly as the scenarios do it (namespace.ts), on an empty fixture: the namespace must show our
  // /etc/claude-code, and the binary must run as an unprivileged uid.
  const t = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-e2e-probe-'));
  try {
    const root = path.join(t, 'root');
    fs.mkdirSync(path.join(root, 'home'), { recursive: true, mode: 0o755 });
    fs.mkdirSync(path.join(root, 'etc', 'claude-code'), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(root, 'etc', 'claude-code', 'probe'), 'namespace-ok\n', { mode: 0o644 });
    fs.mkdirSync(path.join(t, 'scratch'));
    const argv = ['sh', '-c', 'cat /etc/claude-code/probe && exec "$0" --version', CLAUDE_IN_NS];
    const r = spawnSync('unshare', unshareArgs({ root, scratch: path.join(t, 'scratch'), cwd: '/', uid: PROBE_UID, gid: PROBE_UID, env: { PATH: '/usr/bin:/bin' }, argv, binDir: path.dirname(CLAUDE_BIN) }), { env: SYSTEM_ENV, encoding: 'utf8', timeout: 30_000 });
    const out = r.stdout ?? '';
    const err = `${(r.stderr ?? '').trim()} ${r.error ? String(r.error) : ''}`.trim().slice(0, 300);
    if (!out.startsWith('namespace-ok\n')) return `a private mount namespace with our own /home and /etc/claude-code failed: ${err}`;
    if (!out.slice('namespace-ok\n'.length).startsWith(`${CLAUDE_VERSION} `)) {
      return `${path.relative(repoRoot, CLAUDE_BIN)} --version as uid ${PROBE_UID} printed ${JSON.stringify(out.slice(13).trim() || err)}, expected "${CLAUDE_VERSION} (Claude Code)" (is the checkout readable by other users?)`;
    }
  } finally {
    fs.rmSync(t, { recursive: true, force: true });
  }
  return '';
}

function availability(): Availability {
  const required = process.env.CI === 'true' || process.env.CCFLEET_E2E === 'require';
  const reason = probe();
  return { ready: reason === '', reason, required };
}

export const e2e: Availability = availability();
