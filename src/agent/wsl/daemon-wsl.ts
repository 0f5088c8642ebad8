/**
 * What `ccfleet daemon` starts on Windows beside the Daemon (one call, one stop — daemon.ts is untouched):
 *
 *   const wsl = createDaemonWsl({ platform, root, config, stateDir, log, digest: () => daemon.status().policy?.digest ?? null,
 *                                 reporting: reporting?.parts ?? null, agentVersion });
 *   wsl?.start();  …  await wsl?.stop();
 *
 * Null when there is nothing to do: not Windows, --root, or `wsl.enabled: false`. Reporting per distribution
 * needs the agent config's `server` (the same server, CA and enrollment secret as the Windows device).
 */
import os from 'node:os';
import type { PlatformName } from '../../platform/types.js';
import type { AgentConfig } from '../agent-config.js';
import type { Logger } from '../log.js';
import type { ReportingParts } from '../report/setup.js';
import type { Clock } from '../scheduler.js';
import { defaultWslExe, wslSettings, type WslConfig } from './config.js';
import { WslReporting } from './distro-reporting.js';
import { enforcedPolicyReader } from './enforced-policy.js';
import { spawnRunner, type WslRunner } from './runner.js';
import { WslService, type WslServiceOptions } from './wsl-service.js';

export interface DaemonWslOptions {
  platform: PlatformName;
  /** --root: a re-rooted tree is not this machine, so its WSL is left alone. */
  root: string | null;
  config: AgentConfig & { wsl?: WslConfig };
  stateDir: string;
  log: Logger;
  /** The digest of the policy the daemon enforces now. */
  digest: () => string | null;
  /** The Windows device's reporting parts (null: no server configured). */
  reporting: ReportingParts | null;
  agentVersion: string;
  /** Tests: a fake wsl.exe, and this program's path/arch for the default Linux executable. */
  runner?: WslRunner;
  execPath?: string;
  arch?: string;
  clock?: Clock;
  /** Tests: the account the daemon runs as (default os.userInfo().username). */
  account?: string;
  onPass?: WslServiceOptions['onPass'];
}

export function createDaemonWsl(o: DaemonWslOptions): WslService | null {
  if (o.platform !== 'windows' || o.root !== null) return null;
  const arch = o.arch ?? process.arch;
  const settings = wslSettings(o.config.wsl, o.execPath ?? process.execPath, arch);
  if (!settings.enabled) return null;
  const parts = o.reporting;
  const reporting = parts
    ? new WslReporting({
        server: parts.server,
        enrollSecret: o.config.enrollSecret,
        stateDir: o.stateDir,
        http: parts.http,
        host: () => {
          const id = parts.identity();
          return { deviceId: id.deviceId, hostname: id.hostname, agentVersion: o.agentVersion, arch: arch === 'arm64' ? 'arm64' : 'x64' };
        },
        log: o.log,
        ...(o.config.heartbeatMinutes !== undefined ? { heartbeatMs: o.config.heartbeatMinutes * 60_000 } : {}),
      })
    : null;
  const account = o.account ?? safeUserName();
  if (/^(system|local ?service|network ?service)$/i.test(account) || account.endsWith('$')) {
    // WSL distributions are per user (microsoft/WSL#11280): this account lists none, whatever the laptop has.
    o.log.warn(`WSL: the service runs as ${account}, which sees no WSL distributions (they belong to Windows users); enforce them with the per-user task or an install inside each distribution (docs/wsl.md)`);
  }
  const policy = enforcedPolicyReader(o.stateDir);
  return new WslService({
    settings,
    runner: o.runner ?? spawnRunner({ command: [defaultWslExe(process.env)] }),
    policy: () => policy(o.digest()),
    reporting,
    stateDir: o.stateDir,
    log: o.log,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.onPass ? { onPass: o.onPass } : {}),
  });
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return '';
  }
}
