/**
 * Windows: machine paths in Windows syntax (`C:\Users\a`). Users are the folders in C:\Users minus the
 * system profiles (Public, Default, Default User, All Users — compared case-insensitively, as Windows
 * does) and anything that is not a folder; Windows has no uid/gid, so both are null. Managed settings in
 * `C:\Program Files\ClaudeCode` (Claude Code hard-codes C:). The OS policy tier is the HKLM registry
 * value `HKLM\SOFTWARE\Policies\ClaudeCode` → `Settings`, which this module only judges from HostFacts;
 * reading the registry is the caller's business. HKCU is a user-writable last resort below the file
 * tier, so it shadows nothing and is not listed.
 */
import type { OsPolicySource } from '../core/managed.js';
import { canonicalWinPath, winPath } from './path-ops.js';
import type { FsView, HostFacts, HostUser, Platform, UserFilter } from './types.js';
import { applyUserFilter } from './user-filter.js';

const USERS_DIR = 'C:\\Users';
const NOT_USERS = new Set(['public', 'default', 'default user', 'all users']);

/** Where the HKLM `Settings` value lives (key, then value name), as reported in findings. */
export const HKLM_SETTINGS_LOCATION = 'HKLM\\SOFTWARE\\Policies\\ClaudeCode\\Settings';

export function windowsUsers(fs: FsView, filter: UserFilter): HostUser[] {
  const users: HostUser[] = [];
  for (const name of [...(fs.listDir(USERS_DIR) ?? [])].sort()) {
    if (NOT_USERS.has(name.toLowerCase())) continue;
    const home = winPath.join(USERS_DIR, name);
    if (!fs.isDir(home)) continue;
    users.push({ name, home, uid: null, gid: null });
  }
  return applyUserFilter(users, filter, { caseInsensitive: true });
}

/** A non-empty `Settings` value → present; null (known absent) → not present; undefined → unknown. */
export function windowsPolicySources(facts: HostFacts): OsPolicySource[] {
  const v = facts.hklmClaudeCodeSettings;
  const present = v === undefined ? 'unknown' : typeof v === 'string' && v.trim() !== '';
  return [{ kind: 'registry', location: HKLM_SETTINGS_LOCATION, present }];
}

export const windows: Platform = {
  name: 'windows',
  path: winPath,
  listUsers: windowsUsers,
  managedDir: 'C:\\Program Files\\ClaudeCode',
  osPolicySources: (_fs, facts) => windowsPolicySources(facts),
  agentPaths: {
    config: 'C:\\ProgramData\\ccfleet\\agent.json',
    state: 'C:\\ProgramData\\ccfleet\\state',
    logs: 'C:\\ProgramData\\ccfleet\\logs',
  },
  canonicalProjectPath: canonicalWinPath,
};
