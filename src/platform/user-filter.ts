/** The policy's include/exclude lists, applied the same way on every OS. */
import type { HostUser, UserFilter } from './types.js';

export function applyUserFilter(users: HostUser[], filter: UserFilter): HostUser[] {
  return users.filter((u) => (!filter.include || filter.include.includes(u.name)) && !filter.exclude.includes(u.name));
}
