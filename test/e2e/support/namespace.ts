/**
 * Runs a command (the real `claude`) as one fixture user inside a private mount namespace where the
 * fixture machine IS the machine, for that process only:
 *   - `<root>/home` is bind-mounted at `/home`. The ccfleet CLI reads the same tree through `--root <root>`
 *     and calls it `/home/<user>`, so both sides see identical absolute paths: the project keys in
 *     `.claude.json`, `CLAUDE_CONFIG_DIR`, the apiKeyHelper path and Claude Code's cwd need no translation,
 *     and one `.claude.json` serves both.
 *   - `<root>/etc/claude-code` is bind-mounted at `/etc/claude-code`. When the host has no
 *     `/etc/claude-code`, `/etc` is first covered by a private overlay (upper and work dirs in `scratch`)
 *     so the mount point can be made without creating anything in the host's `/etc`.
 *   - a fresh tmpfs on `/tmp`, so Claude Code's `/tmp/claude-<uid>` folders vanish with the process.
 * Needs root (mount) and `unshare`, `setpriv` from util-linux. The host's mounts are never changed:
 * `--propagation private` keeps every mount inside the namespace, which dies with the process.
 */
import { spawn } from 'node:child_process';

export interface NamespacedRun {
  /** Host path of the fixture root (holds `home/` and `etc/claude-code/`). */
  root: string;
  /** An empty host folder for the overlay's upper and work dirs (one per run: overlays cannot share them). */
  scratch: string;
  /** Machine path to start in (e.g. `/home/dev/app`). */
  cwd: string;
  uid: number;
  gid: number;
  /** The command's complete environment (`env -i`). */
  env: Record<string, string>;
  argv: string[];
  /** Host folder holding the binary to run; it appears as NS_BIN_DIR inside the namespace (see below). */
  binDir: string;
  timeoutMs?: number;
}

/**
 * Where the pinned binary's folder is bind-mounted inside the namespace: the checkout may sit under /tmp
 * (hidden by the fresh tmpfs) or under a folder the unprivileged uid cannot traverse (e.g. /root), so the
 * command runs it from here. The mount point is created inside `<root>/home`, which dies with the fixture.
 */
export const NS_BIN_DIR = '/home/.ccfleet-e2e-bin';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const NS_BIN_DIR_SH = "'/home/.ccfleet-e2e-bin'";

const SCRIPT = [
  'set -eu',
  'root=$1; scratch=$2; cwd=$3; bindir=$4; shift 4',
  'mount --bind "$root/home" /home',
  `mkdir -p ${NS_BIN_DIR_SH} && mount --bind "$bindir" ${NS_BIN_DIR_SH}`,
  'if [ ! -d /etc/claude-code ]; then',
  '  mkdir "$scratch/upper" "$scratch/work"',
  '  mount -t overlay overlay -o "lowerdir=/etc,upperdir=$scratch/upper,workdir=$scratch/work" /etc',
  '  mkdir /etc/claude-code',
  'fi',
  'mount --bind "$root/etc/claude-code" /etc/claude-code',
  'mount -t tmpfs -o mode=1777,size=256m tmpfs /tmp',
  'cd "$cwd"',
  'exec "$@"',
].join('\n');

const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

export const SYSTEM_ENV = { PATH: SYSTEM_PATH };

/** The `unshare` arguments for a run (also used synchronously by the availability probe). */
export function unshareArgs(r: Omit<NamespacedRun, 'timeoutMs'>): string[] {
  const envArgs = Object.entries(r.env).map(([k, v]) => `${k}=${v}`);
  return [
    '-m', '--propagation', 'private', '--', 'sh', '-c', SCRIPT, 'sh', r.root, r.scratch, r.cwd, r.binDir,
    'setpriv', `--reuid=${r.uid}`, `--regid=${r.gid}`, '--clear-groups', '--',
    'env', '-i', ...envArgs, ...r.argv,
  ];
}

export function runNamespaced(r: NamespacedRun): Promise<RunResult> {
  return new Promise((resolve) => {
    // stdin is /dev/null: Claude Code sees a closed stdin, as in a CI job.
    const child = spawn('unshare', unshareArgs(r), { env: SYSTEM_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), r.timeoutMs ?? 90_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${String(e)}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
