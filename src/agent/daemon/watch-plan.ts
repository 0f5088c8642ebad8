/**
 * What the daemon watches, from a discovery: folders, not files (editors and Claude Code replace files
 * by rename), each with the targets an event in it makes dirty. Every folder is watched at depth 0: the
 * folder's own entries only — a project's `.claude` folder, never the project tree.
 *
 *   managed dir, its managed-settings.d/          → "managed"
 *   the homes root (/home, /Users, C:\Users)      → "homes"   (a new user: rediscover)
 *   the folder of /etc/passwd (linux, wsl)        → "homes"   (filtered to `passwd` by the event filter)
 *   each user's home (for .claude.json, .claude)  → "user:<name>"
 *   the user's config dir (settings.json)         → "user:<name>"
 *   each project folder and its .claude/          → "user:<name>" (a project shared by two users: both)
 *   the git root's .claude/ (local file there)    → "user:<name>"
 *
 * A folder that does not exist yet is replaced by its nearest existing ancestor below a stop folder (the
 * home, or the managed dir's parent), so its creation is seen. Pure over the discovery and a path mapper.
 */
import type { Discovery } from '../../platform/discover.js';
import type { PathOps } from '../../platform/types.js';

/** What an event marks dirty; `policy` is the folder of a policy delivered as a local file. */
export type Target = 'managed' | 'homes' | 'policy' | `user:${string}`;

export interface WatchSet {
  /** Host folder → the targets an event in it (or on it) marks dirty. */
  folders: Map<string, Set<Target>>;
  /**
   * Host folder → the only entry names that matter in it (others are noise: a home folder's
   * .bash_history, /etc's other files). A folder absent here: every entry matters.
   */
  only: Map<string, Set<string>>;
}

export interface WatchPlanInput {
  discovery: Discovery;
  homesRoot: string;
  /** Machine path of /etc/passwd, or null on platforms without one. */
  passwd: string | null;
  /** Machine path → host path (--root). */
  host: (machinePath: string) => string;
  /** Whether a machine path is an existing folder. */
  isDir: (machinePath: string) => boolean;
  path: PathOps;
}

export function planWatches(input: WatchPlanInput): WatchSet {
  const { discovery: d, host, isDir, path: P } = input;
  const folders = new Map<string, Set<Target>>();
  const only = new Map<string, Set<string>>();
  const add = (machineDir: string, target: Target, stop: string, names?: readonly string[]) => {
    let dir = P.normalize(machineDir);
    // Not there yet: watch the nearest existing ancestor (not above `stop`) so its creation is seen.
    let child: string | null = null;
    while (!isDir(dir) && dir !== stop && P.dirname(dir) !== dir) {
      child = P.basename(dir);
      dir = P.dirname(dir);
    }
    if (!isDir(dir)) return;
    const h = host(dir);
    const set = folders.get(h) ?? new Set<Target>();
    set.add(target);
    folders.set(h, set);
    const wanted = child !== null ? [child] : names;
    if (wanted === undefined) {
      only.set(h, ALL); // every entry of this folder matters
    } else if (only.get(h) !== ALL) {
      const s = only.get(h) ?? new Set<string>();
      for (const n of wanted) s.add(n);
      only.set(h, s);
    }
  };

  const managedParent = P.dirname(d.managed.dir);
  add(d.managed.dir, 'managed', managedParent);
  add(d.managed.dropinDir, 'managed', managedParent);
  add(input.homesRoot, 'homes', P.dirname(input.homesRoot));
  if (input.passwd) add(P.dirname(input.passwd), 'homes', P.dirname(input.passwd), [P.basename(input.passwd)]);

  for (const u of d.users) {
    const t: Target = `user:${u.user.name}`;
    const home = u.user.home;
    add(home, t, home, ['.claude.json', '.claude', '.config']);
    add(u.configDir, t, home);
    if (u.customConfigDir) add(P.dirname(u.claudeJson), t, home, [P.basename(u.claudeJson)]);
    for (const proj of u.homeProject ? [...u.projects, u.homeProject] : u.projects) {
      add(proj.path, t, proj.path, ['.claude']);
      add(P.join(proj.path, '.claude'), t, proj.path);
      if (proj.gitRoot && proj.gitRoot !== proj.path) {
        add(proj.gitRoot, t, proj.gitRoot, ['.claude']);
        add(P.join(proj.gitRoot, '.claude'), t, proj.gitRoot);
      }
    }
  }
  // Folders of the managed tier must see every entry (a new drop-in of any name).
  return { folders, only: new Map([...only].filter(([, v]) => v !== ALL)) };
}

/** Marker for "every entry matters" while building. */
const ALL: Set<string> = new Set<string>();

/**
 * The targets an event at host path `p` marks dirty: the event's folder's targets when the entry is one
 * that matters there, plus the targets of `p` itself when it is a watched folder (its creation or removal).
 */
export function targetsOf(set: WatchSet, p: string, dirname: (p: string) => string, basename: (p: string) => string): Set<Target> {
  const out = new Set<Target>();
  const own = set.folders.get(p);
  if (own) for (const t of own) out.add(t);
  const parent = dirname(p);
  const ts = set.folders.get(parent);
  if (ts) {
    const names = set.only.get(parent);
    if (!names || names.has(basename(p))) for (const t of ts) out.add(t);
  }
  return out;
}
