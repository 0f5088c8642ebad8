/**
 * launchd (macOS): the LaunchDaemon from launchd-plist.ts at /Library/LaunchDaemons/com.ccfleet.agent.plist.
 *
 * Install: the log folder (0700; launchd opens the stderr file as root before the job starts), the plist,
 * then `launchctl bootout` (an older copy; may fail: not loaded), `launchctl enable` (clears a disabled
 * override) and `launchctl bootstrap system <plist>` — retried, as it fails transiently right after a
 * bootout and under MDM. Uninstall: bootout, remove the plist (logs and state stay).
 * Status: the plist (installed), `launchctl print-disabled system` (enabled unless disabled there),
 * `launchctl print system/<label>` (loaded; `state = running`).
 */
import { LAUNCHD_DEFAULTS, LAUNCHD_LABEL, LAUNCHD_PLIST_PATH, launchdPlist } from './launchd-plist.js';
import type { ManagerEnv, ServiceManager, ServiceStatus, Step } from './manager-types.js';
import { firstLine } from './manager-systemd.js';

const LAUNCHCTL = '/bin/launchctl';
const TARGET = `system/${LAUNCHD_LABEL}`;

export interface LaunchdOptions {
  binary?: string;
}

export function launchdManager(env: ManagerEnv, options: LaunchdOptions = {}): ServiceManager {
  const binary = options.binary ?? LAUNCHD_DEFAULTS.binary;
  return {
    name: 'launchd',
    planInstall(): Step[] {
      const steps: Step[] = [
        { kind: 'mkdir', path: LAUNCHD_DEFAULTS.logDir, mode: 0o700, why: 'log folder (root only)' },
        { kind: 'write', path: LAUNCHD_PLIST_PATH, content: launchdPlist({ binary }), mode: 0o644, why: `LaunchDaemon ${LAUNCHD_LABEL}` },
      ];
      if (env.root !== null) return [...steps, { kind: 'skip', why: 'launchctl: not on a --root image (RunAtLoad starts it at boot)' }];
      return [
        ...steps,
        { kind: 'run', argv: [LAUNCHCTL, 'bootout', TARGET], why: 'unload a running copy (fails harmlessly when none is loaded)', allowFailure: true },
        { kind: 'run', argv: [LAUNCHCTL, 'enable', TARGET], why: 'clear a disabled override' },
        { kind: 'run', argv: [LAUNCHCTL, 'bootstrap', 'system', LAUNCHD_PLIST_PATH], why: 'load and start it', attempts: 5 },
      ];
    },
    planUninstall(): Step[] {
      const steps: Step[] = env.root === null ? [{ kind: 'run', argv: [LAUNCHCTL, 'bootout', TARGET], why: 'stop and unload', allowFailure: true }] : [{ kind: 'skip', why: 'launchctl: not on a --root image' }];
      if (env.exists(LAUNCHD_PLIST_PATH)) steps.push({ kind: 'remove', path: LAUNCHD_PLIST_PATH, why: `LaunchDaemon ${LAUNCHD_LABEL}` });
      return steps;
    },
    status(): ServiceStatus {
      const installed = env.exists(LAUNCHD_PLIST_PATH);
      const detail = [installed ? `plist ${LAUNCHD_PLIST_PATH}` : 'no plist'];
      const base = { manager: 'launchd' as const, name: LAUNCHD_LABEL, installed };
      if (env.root !== null) return { ...base, enabled: installed ? true : false, running: null, detail: [...detail, 'running: not known for a --root image'] };
      const disabledOut = env.run([LAUNCHCTL, 'print-disabled', 'system']);
      const printed = env.run([LAUNCHCTL, 'print', TARGET]);
      if (disabledOut === null || printed === null) return { ...base, enabled: null, running: null, detail: [...detail, 'launchctl not found'] };
      const line = new RegExp(`"${LAUNCHD_LABEL.replace(/\./g, '\\.')}"\\s*=>\\s*(\\w+)`).exec(disabledOut.stdout)?.[1];
      const disabled = line === 'disabled' || line === 'true';
      const loaded = printed.status === 0;
      const state = /^\s*state = (\S+)/m.exec(printed.stdout)?.[1];
      const pid = /^\s*pid = (\d+)/m.exec(printed.stdout)?.[1];
      return {
        ...base,
        enabled: installed && !disabled,
        running: loaded && state === 'running',
        detail: [...detail, disabled ? 'disabled (launchctl print-disabled)' : 'not disabled', loaded ? `loaded, state = ${state ?? '?'}${pid ? `, pid ${pid}` : ''}` : `not loaded (${firstLine(printed.stderr) || `exit ${printed.status}`})`],
      };
    },
  };
}
