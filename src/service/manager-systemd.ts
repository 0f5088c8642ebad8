/**
 * systemd (Linux, WSL with systemd): the units from systemd-unit.ts / systemd-config-watch.ts.
 *
 * Install: when the package already put the units in /usr/lib/systemd/system (or /lib/…), they are the
 * package's (dpkg/rpm own and upgrade them) and only enabled and (re)started; otherwise — a by-hand install
 * of the tar.gz or a copied binary — the three unit files are written to /etc/systemd/system first. Then
 * daemon-reload, enable (Also= brings ccfleet-config.path), restart (picks up a changed unit or binary).
 * Uninstall: disable --now both units, remove the files this command writes (never the package's), reload.
 * Status: `systemctl show` — LoadState (installed), UnitFileState (enabled), ActiveState (running).
 */
import { systemdUnitFiles } from './systemd-config-watch.js';
import { SYSTEMD_DEFAULTS, SYSTEMD_SERVICE, systemdUnit } from './systemd-unit.js';
import type { ManagerEnv, ServiceManager, ServiceStatus, Step } from './manager-types.js';

export const ETC_UNIT_DIR = '/etc/systemd/system';
export const PACKAGE_UNIT_DIRS = ['/usr/lib/systemd/system', '/lib/systemd/system'];
const CONFIG_PATH_UNIT = 'ccfleet-config.path';

export interface SystemdOptions {
  binary?: string;
}

export function systemdManager(env: ManagerEnv, options: SystemdOptions = {}): ServiceManager {
  const binary = options.binary ?? SYSTEMD_DEFAULTS.binary;
  const packaged = () => PACKAGE_UNIT_DIRS.find((d) => env.exists(`${d}/${SYSTEMD_SERVICE}`));
  const systemctl = (...args: string[]) => (env.root === null ? ['systemctl', ...args] : ['systemctl', `--root=${env.root}`, ...args]);
  const files = () => systemdUnitFiles(systemdUnit({ binary }));

  return {
    name: 'systemd',
    planInstall(): Step[] {
      const pkg = packaged();
      const steps: Step[] = pkg
        ? [{ kind: 'skip', why: `the package's units in ${pkg} are used as installed (the package upgrades them)` }]
        : Object.entries(files()).map(([name, content]) => ({ kind: 'write', path: `${ETC_UNIT_DIR}/${name}`, content, mode: 0o644, why: `unit ${name}` }));
      if (env.root !== null) {
        steps.push({ kind: 'run', argv: systemctl('enable', SYSTEMD_SERVICE), why: 'enable at boot in the image (offline; also enables ccfleet-config.path)' });
        steps.push({ kind: 'skip', why: 'daemon-reload and start: not on a --root image' });
        return steps;
      }
      steps.push(
        { kind: 'run', argv: systemctl('daemon-reload'), why: 'load the unit files' },
        { kind: 'run', argv: systemctl('enable', SYSTEMD_SERVICE), why: 'start at boot (also enables ccfleet-config.path)' },
        { kind: 'run', argv: systemctl('restart', SYSTEMD_SERVICE, CONFIG_PATH_UNIT), why: 'start now, or restart onto the new unit and binary' },
      );
      return steps;
    },
    planUninstall(): Step[] {
      const pkg = packaged();
      const steps: Step[] = [
        { kind: 'run', argv: env.root === null ? systemctl('disable', '--now', SYSTEMD_SERVICE, CONFIG_PATH_UNIT) : systemctl('disable', SYSTEMD_SERVICE, CONFIG_PATH_UNIT), why: 'stop and no longer start at boot', allowFailure: true },
      ];
      for (const name of Object.keys(files())) {
        if (env.exists(`${ETC_UNIT_DIR}/${name}`)) steps.push({ kind: 'remove', path: `${ETC_UNIT_DIR}/${name}`, why: `unit ${name}` });
      }
      if (pkg) steps.push({ kind: 'skip', why: `the package's units in ${pkg} stay until the package is removed` });
      steps.push(env.root === null ? { kind: 'run', argv: systemctl('daemon-reload'), why: 'forget the removed units' } : { kind: 'skip', why: 'daemon-reload: not on a --root image' });
      return steps;
    },
    status(): ServiceStatus {
      const where = [ETC_UNIT_DIR, ...PACKAGE_UNIT_DIRS].find((d) => env.exists(`${d}/${SYSTEMD_SERVICE}`));
      const detail = [where ? `unit file ${where}/${SYSTEMD_SERVICE}` : 'no unit file'];
      if (env.root !== null) {
        const enabled = env.exists(`${ETC_UNIT_DIR}/multi-user.target.wants/${SYSTEMD_SERVICE}`);
        return { manager: 'systemd', name: SYSTEMD_SERVICE, installed: where !== undefined, enabled: where ? enabled : false, running: null, detail: [...detail, 'running: not known for a --root image'] };
      }
      const r = env.run(systemctl('show', SYSTEMD_SERVICE, '--property=LoadState,UnitFileState,ActiveState,SubState,MainPID'));
      if (r === null || r.status !== 0) {
        return { manager: 'systemd', name: SYSTEMD_SERVICE, installed: where !== undefined, enabled: null, running: null, detail: [...detail, r === null ? 'systemctl not found' : `systemctl show exited ${r.status}: ${firstLine(r.stderr)}`] };
      }
      const p = Object.fromEntries(r.stdout.split(/\r?\n/).filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      const installed = p.LoadState === 'loaded';
      return {
        manager: 'systemd',
        name: SYSTEMD_SERVICE,
        installed,
        enabled: installed && ['enabled', 'enabled-runtime', 'alias'].includes(p.UnitFileState ?? ''),
        running: p.ActiveState === 'active',
        detail: [...detail, `LoadState=${p.LoadState ?? '?'} UnitFileState=${p.UnitFileState ?? '?'} ActiveState=${p.ActiveState ?? '?'} SubState=${p.SubState ?? '?'}${p.MainPID && p.MainPID !== '0' ? ` MainPID=${p.MainPID}` : ''}`],
      };
    },
  };
}

export const firstLine = (s: string) => s.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? '';
