/**
 * Turns command-line options into everything a run needs: the platform, the filesystem view (re-rooted
 * under --root), the agent config, the policy, the state dir, backups and the uid-dropping write helper.
 * Every failure here is exit 2 with nothing read beyond what failed, nothing written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CcfleetError } from '../core/errors.js';
import type { Policy } from '../core/policy-schema.js';
import type { AgentConfig } from '../agent/agent-config.js';
import { loadAgentConfigChannels } from '../agent/config-sources/load.js';
import { defaultRegExe, nodeRegistryRunner } from '../agent/config-sources/registry-channel.js';
import { BackupStore } from '../agent/backups.js';
import { loadPolicy } from '../agent/policy-source.js';
import type { ReconcileDeps } from '../agent/reconcile.js';
import { choosePlatform } from '../platform/index.js';
import { createNodeFsView } from '../platform/node-fs-view.js';
import { toHostPath } from '../platform/root-path.js';
import type { Platform } from '../platform/types.js';
import type { CommonOptions } from './args.js';
import { selfCommand } from './self.js';

export interface RunContext {
  platform: Platform;
  root: string | null;
  config: AgentConfig;
  stateDir: string;
  deps: ReconcileDeps;
}

export function baseContext(opts: CommonOptions): RunContext {
  const root = opts.root ? path.resolve(opts.root) : null;
  if (root !== null) {
    let st: fs.Stats;
    try {
      st = fs.statSync(root);
    } catch (e) {
      throw new CcfleetError('ROOT_UNREADABLE', `--root ${opts.root}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!st.isDirectory()) throw new CcfleetError('ROOT_UNREADABLE', `--root ${opts.root}: not a directory`);
  }
  const platform = choosePlatform(opts.platform, { platform: process.platform, osRelease: os.release(), env: process.env });
  const host = (p: string) => toHostPath(root, platform.name, p, path.sep);
  const config = loadConfig(opts, platform, root);
  const stateDir = opts.stateDir ? path.resolve(opts.stateDir) : config.stateDir ? host(config.stateDir) : root === null && !runsAsAdmin() ? perUserStateDir() : host(platform.agentPaths.state);
  const fsView = createNodeFsView(root, platform.name);
  const deps: ReconcileDeps = {
    platform,
    fs: fsView,
    root,
    facts: {},
    backups: new BackupStore(path.join(stateDir, 'backups')),
    writeDeps: { helper: selfCommand() },
    uid: process.getuid?.(),
  };
  return { platform, root, config, stateDir, deps };
}

/**
 * The agent config from --config alone, else the platform's file overlaid by the OS management channel
 * (macOS managed preferences, Windows HKLM policies): the order and merge are src/agent/config-sources/load.ts.
 */
export function loadConfig(opts: CommonOptions, platform: Platform, root: string | null): AgentConfig {
  return loadAgentConfigChannels(opts.config, {
    platform: platform.name,
    configFile: platform.agentPaths.config,
    host: (p) => toHostPath(root, platform.name, p, path.sep),
    registry: nodeRegistryRunner(defaultRegExe(root)),
  }).config;
}

export async function resolvePolicy(opts: CommonOptions, config: AgentConfig): Promise<Policy> {
  const source = opts.policy ?? config.policy;
  if (!source) {
    throw new CcfleetError('POLICY_NOT_FOUND', 'no policy: pass --policy <file-or-url>, or set "policy" or "server" in the agent config');
  }
  const keys = config.policyPublicKeys ?? [];
  if (keys.length === 0) return loadPolicy(source);
  // Pinned keys bind the CLI too (also a --policy given on the command line). Loaded on demand: undici.
  const { loadVerifiedPolicy } = await import('../agent/policy-client.js');
  const signatureUrl = source === config.policy ? config.policySignatureUrl : undefined;
  return loadVerifiedPolicy(source, { publicKeys: keys, signatureUrl, caFile: config.caFile });
}

/** Root (or Windows, where the installer decides) uses the machine state dir; anyone else their own. */
function runsAsAdmin(): boolean {
  const uid = process.getuid?.();
  return uid === undefined || uid === 0;
}

/** A per-user agent (no admin rights, e.g. a LaunchAgent or a systemd user unit) keeps its state in the user's own folders. */
function perUserStateDir(): string {
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'ccfleet', 'state');
  const xdg = process.env.XDG_STATE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'state'), 'ccfleet');
}
