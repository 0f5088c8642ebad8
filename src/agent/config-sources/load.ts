/**
 * Where the agent config comes from — every channel an MDM uses, in one documented order:
 *
 *   1. `--config <file>`: that file and nothing else (a troubleshooting or test run sees exactly what it
 *      names; it must exist).
 *   2. Otherwise the platform's config file (`/etc/ccfleet/agent.json`, `/Library/Application
 *      Support/ccfleet/agent.json`, `C:\ProgramData\ccfleet\agent.json`; absent = empty), OVERLAID key by
 *      key by the OS management channel of the platform:
 *        - macOS: managed preferences `/Library/Managed Preferences/com.ccfleet.agent.plist`;
 *        - Windows: the registry `HKLM\SOFTWARE\Policies\ccfleet` (values; subkeys for nested objects).
 *      Linux and WSL have no such channel (config management writes the file).
 *
 * Merge, managed keys winning: a top-level key set by the management channel replaces the file's value
 * whole (an object such as `policyRefresh` is not merged inside); keys it does not set keep the file's.
 * Why: the file is what the installer wrote (the MSI's SERVER_URL/ENROLL_SECRET, the Linux packages' default or IT's own file), the
 * profile or GPO is what the MDM enforces now — the MDM must win, but an admin who pushes only
 * `policyPublicKeys` by profile must not lose the installer's server URL. Every channel is validated on
 * its own with the same schema (errors name the channel and the field: CONFIG_INVALID, exit 2), so the
 * result is valid whatever the mix. `--root` re-roots the file and plist paths (never the real machine's).
 */
import type { PlatformName } from '../../platform/types.js';
import { loadAgentConfig, type AgentConfig } from '../agent-config.js';
import { MANAGED_PREFS_PLIST, readManagedPrefs } from './managed-prefs-channel.js';
import { readRegistryChannel, registryLabel, type RegistryRunner } from './registry-channel.js';
import { validateChannel } from './validate.js';

export interface ConfigChannelDeps {
  platform: PlatformName;
  /** The platform's agent.json (machine path). */
  configFile: string;
  /** Machine path → host path (the --root mapping). */
  host(machinePath: string): string;
  /** How reg.exe is run (Windows platform only). */
  registry: RegistryRunner;
}

export interface LoadedAgentConfig {
  config: AgentConfig;
  /** For each key set, the channel it came from ("config file …", "managed preferences …", "registry …", "--config …"). */
  sources: Record<string, string>;
}

export function loadAgentConfigChannels(explicit: string | undefined, deps: ConfigChannelDeps): LoadedAgentConfig {
  if (explicit !== undefined) return withSource(loadAgentConfig(explicit, true), `--config ${explicit}`);
  const fileHost = deps.host(deps.configFile);
  const file = withSource(loadAgentConfig(fileHost, false), `config file ${fileHost}`);
  const overlay = managedChannel(deps);
  if (overlay === null) return file;
  return { config: { ...file.config, ...overlay.config }, sources: { ...file.sources, ...overlay.sources } };
}

function managedChannel(deps: ConfigChannelDeps): LoadedAgentConfig | null {
  if (deps.platform === 'darwin') {
    const where = deps.host(MANAGED_PREFS_PLIST);
    const label = `managed preferences ${where}`;
    const raw = readManagedPrefs(where, label);
    return raw === null ? null : withSource(validateChannel(raw, label), label);
  }
  if (deps.platform === 'windows') {
    const raw = readRegistryChannel(deps.registry);
    return raw === null ? null : withSource(validateChannel(raw, registryLabel, { caseInsensitive: true }), registryLabel);
  }
  return null;
}

function withSource(config: AgentConfig, label: string): LoadedAgentConfig {
  const sources: Record<string, string> = {};
  for (const k of Object.keys(config)) if (k !== '$schema') sources[k] = label;
  return { config, sources };
}
