/**
 * The policy's include/exclude lists, applied the same way on every OS. Names compare exactly, except
 * on Windows where account names are case-insensitive (`Alice` and `alice` are one account).
 */
import type { HostUser, UserFilter } from './types.js';

export function applyUserFilter(users: HostUser[], filter: UserFilter, opts: { caseInsensitive?: boolean } = {}): HostUser[] {
  const key = opts.caseInsensitive ? (s: string) => s.toLowerCase() : (s: string) => s;
  const include = filter.include ? new Set(filter.include.map(key)) : null;
  const exclude = new Set(filter.exclude.map(key));
  return users.filter((u) => (!include || include.has(key(u.name))) && !exclude.has(key(u.name)));
}
