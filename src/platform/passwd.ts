/** /etc/passwd → human users (uid 1000–59999, plus root when asked), as Linux and WSL define them. */
import type { FsView, HostUser, UserFilter } from './types.js';
import { applyUserFilter } from './user-filter.js';

export function passwdUsers(fs: FsView, filter: UserFilter): HostUser[] {
  const text = fs.readText('/etc/passwd');
  if (text === null) return [];
  const users: HostUser[] = [];
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    const [name, , uidText, gidText, , home] = f as [string, string, string, string, string, string];
    const uid = Number(uidText);
    const gid = Number(gidText);
    if (!name || !Number.isInteger(uid) || !Number.isInteger(gid) || !home.startsWith('/')) continue;
    const human = uid >= 1000 && uid <= 59999;
    if (!human && !(uid === 0 && filter.includeRoot)) continue;
    if (seen.has(name)) continue;
    seen.add(name);
    if (!fs.isDir(home)) continue;
    users.push({ name, home, uid, gid });
  }
  return applyUserFilter(users, filter);
}
