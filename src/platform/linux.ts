/** Linux: users from /etc/passwd, managed settings in /etc/claude-code, no OS policy tier. */
import { canonicalPosixPath, posixPath } from './path-ops.js';
import { passwdUsers } from './passwd.js';
import type { Platform } from './types.js';

export const linux: Platform = {
  name: 'linux',
  path: posixPath,
  listUsers: passwdUsers,
  managedDir: '/etc/claude-code',
  osPolicySources: () => [],
  agentPaths: { config: '/etc/ccfleet/agent.json', state: '/var/lib/ccfleet', logs: '/var/log/ccfleet' },
  canonicalProjectPath: canonicalPosixPath,
};
