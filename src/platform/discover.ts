/**
 * Discovery: which users, which Claude Code config dirs, which projects and which managed files a
 * machine has. Pure over a platform, a read-only FsView and host facts.
 */
import type { OsPolicySource } from '../core/managed.js';
import { orderDropins } from '../core/managed.js';
import { DROPIN_NAME } from '../core/plan-dropin.js';
import type { Policy } from '../core/policy-schema.js';
import { readClaudeJson, type ClaudeJsonFacts } from '../core/claude-json.js';
import { gitRoot, projectFiles, type ProjectFile } from './projects.js';
import type { FsView, HostFacts, HostUser, Platform } from './types.js';

export interface DiscoveredProject {
  path: string;
  gitRoot: string | null;
  /** Highest precedence first: local at the git root, local in the folder, shared project file. */
  files: ProjectFile[];
}

export interface DiscoveredUser {
  user: HostUser;
  configDir: string;
  /** True when the policy names a CLAUDE_CONFIG_DIR for this user. */
  customConfigDir: boolean;
  claudeJson: string;
  claudeJsonState: 'ok' | 'absent' | 'unreadable';
  /** What else `.claude.json` says (key-prompt answers, OAuth login, install method); read once, here. */
  claudeJsonFacts: ClaudeJsonFacts;
  settingsPath: string;
  projects: DiscoveredProject[];
  /**
   * The home folder as the project a session started there sees (Claude Code reads `~/.claude/settings.local.json`
   * as its local settings, and `~/.claude/settings.json` as its project settings when CLAUDE_CONFIG_DIR moves
   * the user file elsewhere). Null when the home is already one of `projects`.
   */
  homeProject: DiscoveredProject | null;
}

export interface DiscoveredManaged {
  dir: string;
  main: string;
  dropinDir: string;
  /** Every drop-in Claude Code would read, in its merge order, including ours when present. */
  dropins: string[];
  ours: string;
}

export interface Discovery {
  platform: Platform;
  users: DiscoveredUser[];
  managed: DiscoveredManaged;
  osSources: OsPolicySource[];
}

export function configDirFor(platform: Platform, user: HostUser, policy: Policy): { dir: string; custom: boolean } {
  const named = policy.users.configDirs[user.name];
  if (!named) return { dir: platform.path.join(user.home, '.claude'), custom: false };
  const expanded = named === '~' ? user.home : named.startsWith('~/') || named.startsWith('~\\') ? platform.path.join(user.home, named.slice(2)) : named;
  return { dir: platform.path.normalize(expanded), custom: true };
}

export function discover(platform: Platform, fs: FsView, facts: HostFacts, policy: Policy): Discovery {
  const gitMemo = new Map<string, string | null>();
  const users = platform.listUsers(fs, policy.users).map((user) => discoverUser(platform, fs, policy, user, gitMemo));
  const j = platform.path.join;
  const dropinDir = j(platform.managedDir, 'managed-settings.d');
  const ours = j(dropinDir, DROPIN_NAME);
  const names = orderDropins([...(fs.listDir(dropinDir) ?? []), DROPIN_NAME].filter((n, i, a) => a.indexOf(n) === i));
  return {
    platform,
    users,
    managed: { dir: platform.managedDir, main: j(platform.managedDir, 'managed-settings.json'), dropinDir, dropins: names.map((n) => j(dropinDir, n)), ours },
    osSources: platform.osPolicySources(fs, facts, users.map((u) => u.user)),
  };
}

function discoverUser(platform: Platform, fs: FsView, policy: Policy, user: HostUser, gitMemo: Map<string, string | null>): DiscoveredUser {
  const { dir, custom } = configDirFor(platform, user, policy);
  const claudeJson = custom ? platform.path.join(dir, '.claude.json') : platform.path.join(user.home, '.claude.json');
  const facts = readClaudeJson(fs.readText(claudeJson));
  const keys = facts.projectKeys;
  const seen = new Set<string>();
  const projects: DiscoveredProject[] = [];
  const settingsPath = platform.path.join(dir, 'settings.json');
  // A project's shared file that IS the user file (a session in the home without CLAUDE_CONFIG_DIR) is the user level.
  const project = (p: string): DiscoveredProject => {
    const root = gitRoot(fs, platform, p, gitMemo);
    return { path: p, gitRoot: root, files: projectFiles(platform, p, root).filter((f) => f.path !== settingsPath) };
  };
  for (const key of keys) {
    const p = platform.canonicalProjectPath(key);
    if (!p || seen.has(p) || !fs.isDir(p)) continue;
    seen.add(p);
    projects.push(project(p));
  }
  projects.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const homeKey = platform.canonicalProjectPath(user.home);
  const homeProject = homeKey !== null && seen.has(homeKey) ? null : project(user.home);
  return { user, configDir: dir, customConfigDir: custom, claudeJson, claudeJsonState: facts.state, claudeJsonFacts: facts, settingsPath, projects, homeProject };
}
