/**
 * `ccfleet service install | uninstall | status`: each service manager (systemd, launchd, Windows/NSSM)
 * turns a request into a plan of steps — data, printed as is by `--dry-run` — and answers status by
 * asking the manager through an injectable runner (tests use fakes). Planning is pure over what the
 * manager was told (options, --root, which files exist); run-plan.ts is the only part that acts.
 *
 * Under `--root` (an offline image, a test) nothing touches the live system: files are written under the
 * root, a manager command that works offline is given the root (`systemctl --root=<dir> enable`), and every
 * live-only step (daemon-reload, start, launchctl, nssm) is a `skip` that says why.
 */

export type Step =
  | { kind: 'write'; path: string; content: string; mode: number; why: string }
  | { kind: 'mkdir'; path: string; mode: number; why: string }
  | { kind: 'remove'; path: string; why: string }
  | { kind: 'run'; argv: string[]; why: string; allowFailure?: boolean; attempts?: number }
  | { kind: 'skip'; why: string };

/** What a command printed and how it ended; null when the program does not exist here. */
export type RunResult = { status: number | null; stdout: string; stderr: string } | null;
export type Runner = (argv: readonly string[]) => RunResult;

export interface ServiceStatus {
  manager: ManagerName;
  /** The unit, job label or service name. */
  name: string;
  installed: boolean;
  /** Starts at boot; null when it cannot be told (no manager to ask, --root). */
  enabled: boolean | null;
  /** null when it cannot be told. */
  running: boolean | null;
  /** Facts behind the answer (file paths, the manager's own words). */
  detail: string[];
}

export type ManagerName = 'systemd' | 'launchd' | 'windows';

export interface ServiceManager {
  name: ManagerName;
  planInstall(): Step[];
  planUninstall(): Step[];
  status(): ServiceStatus;
}

/** What every manager gets: the root (null: this machine), file existence in machine paths, the runner. */
export interface ManagerEnv {
  root: string | null;
  exists(machinePath: string): boolean;
  run: Runner;
}
