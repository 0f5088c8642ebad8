/**
 * The LaunchDaemon `/Library/LaunchDaemons/com.ccfleet.agent.plist` as text: one pure builder shared by
 * the macOS package (installers/macos) and `ccfleet service install`, so both load the same job.
 *
 * Choices:
 * - RunAtLoad + KeepAlive true: started at boot and at `launchctl bootstrap`, restarted whenever it
 *   exits — also after a clean exit or a `kill` by a local admin (only `launchctl bootout`, which needs
 *   root, stops it; the managed login-items profile keeps users from disabling it in System Settings).
 * - ThrottleInterval 30: launchd never starts the job more often than every 30 s. A daemon killed after
 *   running a while restarts at once; only a fast failure loop (exit 2: no agent config yet) waits, so it
 *   retries twice a minute — which is also how a configuration pushed later by the MDM gets picked up.
 * - ProcessType Standard, not Background: Background puts the job on throttled I/O and low CPU QoS,
 *   and a drift must be repaired within a second even while the developer's build saturates the disk.
 *   The daemon is idle between file events, so Standard costs nothing when nothing happens.
 * - stdout/stderr to /Library/Logs/ccfleet/daemon.stderr.log (the daemon keeps its own rotated
 *   ccfleet.log there; this file only catches what reaches the streams — a crash, an early error). The
 *   folder is root-only (the package creates it 0700). No path here is writable by a user: launchd
 *   opens these files as root before the job starts, so a user-writable path would be a root write
 *   primitive.
 * - Runs as root (a LaunchDaemon without UserName): it reads every user's home and writes the managed
 *   settings folder.
 */
import { plistXml, type PlistValue } from '../ship/plist/write-xml.js';

export const LAUNCHD_LABEL = 'com.ccfleet.agent';
export const LAUNCHD_PLIST_PATH = `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;

export interface LaunchdPlistOptions {
  /** The installed executable (root-owned, in a root-only folder). */
  binary?: string;
  /** Arguments after the binary. */
  args?: readonly string[];
  /** Folder of the stdout/stderr capture file. */
  logDir?: string;
  /** Seconds launchd waits between two starts of the job. */
  throttleInterval?: number;
}

export const LAUNCHD_DEFAULTS = {
  binary: '/Library/Application Support/ccfleet/bin/ccfleet',
  args: ['daemon'],
  logDir: '/Library/Logs/ccfleet',
  throttleInterval: 30,
} as const;

/** Prefixes a user (not only root) can create files under on macOS. */
const USER_WRITABLE = ['/Users', '/tmp', '/private/tmp', '/var/tmp', '/private/var/tmp', '/var/folders', '/private/var/folders', '/Volumes', '/Library/Caches'];

/** An absolute, normalised path outside every user-writable tree; throws otherwise. */
export function assertRootOnlyPath(p: string, what: string): string {
  const parts = p.split('/');
  if (!p.startsWith('/') || p.length < 2 || parts.slice(1).some((x) => x === '' || x === '.' || x === '..') || /[\x00-\x1f\x7f]/.test(p)) {
    throw new Error(`${what}: ${JSON.stringify(p)} is not an absolute, normalised path`);
  }
  const bad = USER_WRITABLE.find((prefix) => p === prefix || p.startsWith(`${prefix}/`));
  if (bad) throw new Error(`${what}: ${JSON.stringify(p)} is under ${bad}, which users can write`);
  return p;
}

/** The job as a plist value (for callers that want to inspect or extend it). */
export function launchdJob(options: LaunchdPlistOptions = {}): { [key: string]: PlistValue } {
  const o = { ...LAUNCHD_DEFAULTS, ...options };
  const binary = assertRootOnlyPath(o.binary, 'binary');
  const logDir = assertRootOnlyPath(o.logDir, 'logDir');
  if (!Number.isInteger(o.throttleInterval) || o.throttleInterval < 1) {
    throw new Error(`throttleInterval: ${o.throttleInterval} is not a whole number of seconds ≥ 1`);
  }
  const log = `${logDir}/daemon.stderr.log`;
  return {
    Label: LAUNCHD_LABEL,
    ProgramArguments: [binary, ...o.args],
    RunAtLoad: true,
    KeepAlive: true,
    ThrottleInterval: o.throttleInterval,
    ProcessType: 'Standard',
    WorkingDirectory: '/',
    StandardOutPath: log,
    StandardErrorPath: log,
  };
}

export function launchdPlist(options: LaunchdPlistOptions = {}): string {
  return plistXml(launchdJob(options));
}
