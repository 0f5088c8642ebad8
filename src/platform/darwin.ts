/**
 * macOS: users are the folders in /Users (minus Shared, Guest and dot-folders), owner taken from the
 * home folder; managed settings in /Library/Application Support/ClaudeCode; the OS policy tier is the
 * managed-preferences plists (per user, then machine-wide), which, when present, make Claude Code
 * ignore the file tier. Root's home (/var/root) is never in /Users, so `includeRoot` has no effect here.
 */
import type { OsPolicySource } from '../core/managed.js';
import { canonicalPosixPath, posixPath } from './path-ops.js';
import type { FsView, HostUser, Platform, UserFilter } from './types.js';
import { applyUserFilter } from './user-filter.js';

const USERS_DIR = '/Users';
const NOT_USERS = new Set(['Shared', 'Guest']);
const PREFS_DIR = '/Library/Managed Preferences';
const PLIST = 'com.anthropic.claudecode.plist';

export function darwinUsers(fs: FsView, filter: UserFilter): HostUser[] {
  const users: HostUser[] = [];
  for (const name of [...(fs.listDir(USERS_DIR) ?? [])].sort()) {
    if (name.startsWith('.') || NOT_USERS.has(name)) continue;
    const home = posixPath.join(USERS_DIR, name);
    if (!fs.isDir(home)) continue;
    const owner = fs.owner(home);
    users.push({ name, home, uid: owner?.uid ?? null, gid: owner?.gid ?? null });
  }
  return applyUserFilter(users, filter);
}

/** Claude Code's order: each user's own managed preferences, then the machine-wide domain. */
export function darwinPolicySources(fs: FsView, users: readonly HostUser[]): OsPolicySource[] {
  const locations = [...users.map((u) => posixPath.join(PREFS_DIR, u.name, PLIST)), posixPath.join(PREFS_DIR, PLIST)];
  return locations.map((location) => ({ kind: 'plist', location, present: fs.exists(location) }));
}

export const darwin: Platform = {
  name: 'darwin',
  path: posixPath,
  listUsers: darwinUsers,
  managedDir: '/Library/Application Support/ClaudeCode',
  osPolicySources: (fs, _facts, users) => darwinPolicySources(fs, users),
  agentPaths: {
    config: '/Library/Application Support/ccfleet/agent.json',
    state: '/Library/Application Support/ccfleet/state',
    logs: '/Library/Logs/ccfleet',
  },
  canonicalProjectPath: canonicalPosixPath,
};
