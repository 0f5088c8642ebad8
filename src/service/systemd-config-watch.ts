/**
 * `ccfleet-config.path` + `ccfleet-config.service`: when the agent config file changes (IT's MDM or
 * config-management writes it after the package is installed), reload the running daemon (SIGHUP: it
 * re-reads the config and fetches the policy) or start it when it is not running — e.g. it stopped with
 * exit 2 because the default config names no policy source yet. A stop of ccfleet.service stops the
 * watcher too (PartOf), so an admin's `systemctl stop ccfleet` is not undone by the next config edit.
 */
import { assertUnitPath } from './systemd-unit.js';

export const SYSTEMD_CONFIG_PATH = 'ccfleet-config.path';
export const SYSTEMD_CONFIG_SERVICE = 'ccfleet-config.service';
export const LINUX_AGENT_CONFIG = '/etc/ccfleet/agent.json';

export function systemdConfigPath(configFile: string = LINUX_AGENT_CONFIG): string {
  return [
    '# Installed by the ccfleet package: applies a changed agent config (see ccfleet-config.service).',
    '[Unit]',
    'Description=ccfleet agent config watcher',
    '# Stopping or restarting ccfleet stops/restarts this too; ccfleet.service Wants= it back.',
    'PartOf=ccfleet.service',
    '',
    '[Path]',
    '# Fires when the file is closed after writing or replaced by a rename.',
    `PathChanged=${assertUnitPath(configFile, 'configFile')}`,
    `Unit=${SYSTEMD_CONFIG_SERVICE}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export function systemdConfigService(): string {
  return [
    '# Installed by the ccfleet package: started by ccfleet-config.path when the agent config changes.',
    '[Unit]',
    'Description=Apply a changed ccfleet agent config',
    '',
    '[Service]',
    'Type=oneshot',
    '# Running: SIGHUP (ExecReload) — a bad new config is logged and the running one kept.',
    '# Not running (e.g. stopped with exit 2 for want of a policy source): started.',
    'ExecStart=/bin/systemctl reload-or-restart ccfleet.service',
    '',
  ].join('\n');
}

/** Every unit file ccfleet installs on Linux, by file name. */
export function systemdUnitFiles(service: string, configFile: string = LINUX_AGENT_CONFIG): Record<string, string> {
  return {
    'ccfleet.service': service,
    [SYSTEMD_CONFIG_PATH]: systemdConfigPath(configFile),
    [SYSTEMD_CONFIG_SERVICE]: systemdConfigService(),
  };
}
