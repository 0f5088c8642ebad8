/**
 * The policy's `report.homePaths: 'tilde'`: a path under a user's home is reported relative to it — `~/…`
 * in that user's own entries (their projects, files, installs, sessions), `~name/…` when it is another
 * user's home (a project shared by two users, a managed finding naming a home). Any string may hold such a
 * path (a `source` like "project:/home/a/p.model", a finding's message), so whole strings are rewritten
 * wherever a home appears as a path: at the start or after a space, quote, colon, "=", "(" or ",", and
 * followed by a separator or the end. Windows homes match in either case and with either slash
 * (`C:\Users\a`, `c:/Users/a`). Pure.
 */

export type HomeRewriter = (text: string, ownUser: string | null) => string;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `homes`: user name → machine path of the home. `windows`: Windows paths (case and slash folding). */
export function homeRewriter(homes: Readonly<Record<string, string>>, windows: boolean): HomeRewriter {
  const key = (p: string) => (windows ? p.replace(/\\/g, '/').toLowerCase() : p);
  const byKey = new Map<string, string>();
  const alternatives: string[] = [];
  // Longest first, so a home inside another home (rare, but /home/a and /home/a/b) wins.
  const entries = Object.entries(homes)
    .map(([user, home]) => [user, trimSeparators(home, windows)] as const)
    .filter(([, home]) => home.length > 1)
    .sort((a, b) => b[1].length - a[1].length);
  for (const [user, home] of entries) {
    if (byKey.has(key(home))) continue;
    byKey.set(key(home), user);
    alternatives.push(windows ? home.split(/[\\/]/).map(escapeRe).join('[\\\\/]') : escapeRe(home));
  }
  if (alternatives.length === 0) return (text) => text;
  const sep = windows ? '[\\\\/]' : '/';
  const re = new RegExp(`(?<![^\\s"':=(,])(${alternatives.join('|')})(?=${sep}|$|[\\s"')])`, windows ? 'gi' : 'g');
  return (text, ownUser) =>
    text.replace(re, (home: string) => {
      const user = byKey.get(key(home));
      if (user === undefined) return home;
      return user === ownUser ? '~' : `~${user}`;
    });
}

function trimSeparators(p: string, windows: boolean): string {
  const trimmed = p.replace(windows ? /[\\/]+$/ : /\/+$/, '');
  return trimmed === '' ? p : trimmed;
}
