/**
 * What the Linux packages install, as data: one list that the .deb, the .rpm and the tar.gz's install.sh
 * all follow (paths, modes, owners — everything root:root). Not in the list, made by the scripts instead:
 * the state and log folders (0700, so a plain `remove` keeps them; systemd's StateDirectory=/LogsDirectory=
 * re-create them when missing), and /etc/ccfleet/agent.json, copied from DEFAULT_CONFIG_FILE only when
 * absent. The config is deliberately not package payload (no dpkg conffile, no rpm %config content): a file
 * IT dropped before the package, or edited since, would make dpkg prompt — and fail without a terminal.
 */
import { systemdUnit, type SystemdUnitOptions } from '../../service/systemd-unit.js';
import { LINUX_AGENT_CONFIG, systemdUnitFiles } from '../../service/systemd-config-watch.js';
import { DEFAULT_AGENT_CONFIG } from './default-config.js';

export const LIB_DIR = '/usr/lib/ccfleet';
export const BINARY = `${LIB_DIR}/ccfleet`;
export const BIN_LINK = '/usr/bin/ccfleet';
/** Relative, as Debian policy wants for a link inside /usr. */
export const BIN_LINK_TARGET = '../lib/ccfleet/ccfleet';
export const CONFIG_DIR = '/etc/ccfleet';
export const CONFIG_FILE = LINUX_AGENT_CONFIG;
export const SHARE_DIR = '/usr/share/ccfleet';
/** The commented default the scripts copy to CONFIG_FILE when there is none (package payload, 0644: no secret). */
export const DEFAULT_CONFIG_FILE = `${SHARE_DIR}/agent.json.default`;
export const STATE_DIR = '/var/lib/ccfleet';
export const LOG_DIR = '/var/log/ccfleet';
/** Where packages put units; the tar.gz (installed by hand) uses /etc/systemd/system. */
export const PACKAGE_UNIT_DIR = '/usr/lib/systemd/system';
export const LOCAL_UNIT_DIR = '/etc/systemd/system';
/** The drop-in the daemon writes (CONTRACT.md); removed on purge only. */
export const MANAGED_DROPIN = '/etc/claude-code/managed-settings.d/50-ccfleet.json';

export type Entry =
  | { kind: 'dir'; path: string; mode: number }
  | { kind: 'file'; path: string; mode: number; source: 'binary' }
  | { kind: 'file'; path: string; mode: number; text: string }
  | { kind: 'symlink'; path: string; target: string };

/** Every file, folder and link of the package, parents before children. */
export function linuxEntries(unitDir: string = PACKAGE_UNIT_DIR, unit: SystemdUnitOptions = {}): Entry[] {
  const units = systemdUnitFiles(systemdUnit({ binary: BINARY, ...unit }), CONFIG_FILE);
  return [
    { kind: 'dir', path: LIB_DIR, mode: 0o755 },
    { kind: 'file', path: BINARY, mode: 0o755, source: 'binary' },
    { kind: 'symlink', path: BIN_LINK, target: BIN_LINK_TARGET },
    { kind: 'dir', path: SHARE_DIR, mode: 0o755 },
    { kind: 'file', path: DEFAULT_CONFIG_FILE, mode: 0o644, text: DEFAULT_AGENT_CONFIG },
    ...Object.entries(units).map(([name, text]) => ({ kind: 'file' as const, path: `${unitDir}/${name}`, mode: 0o644, text })),
  ];
}
