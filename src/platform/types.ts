/**
 * One interface over the four operating systems ccfleet manages. Every implementation is a pure
 * function of a read-only view of the machine (FsView) plus host facts, so all four are tested on any
 * CI host against fixture trees. Paths here are the machine's own (`/home/a`, `C:\Users\a`); mapping
 * them under `--root` is the FsView's business (see root-path.ts).
 */
import type { OsPolicySource } from '../core/managed.js';

export type PlatformName = 'linux' | 'darwin' | 'windows' | 'wsl';
export const PLATFORM_NAMES: readonly PlatformName[] = ['linux', 'darwin', 'windows', 'wsl'];

/** Read-only access to the machine, in machine paths. Never throws: absent or unreadable is null/false. */
export interface FsView {
  readText(path: string): string | null;
  listDir(path: string): string[] | null;
  isDir(path: string): boolean;
  exists(path: string): boolean;
  /** Owner of a path (following symlinks), or null when unknown or absent. */
  owner(path: string): { uid: number; gid: number } | null;
  /** The target of a symbolic link as stored (not resolved), or null when `path` is not a symlink. */
  readLink(path: string): string | null;
}

/** Facts about the host that are not files: registry values on Windows, later more. */
export interface HostFacts {
  /** HKLM\SOFTWARE\Policies\ClaudeCode value `Settings`: the text, null when absent, undefined when unknown. */
  hklmClaudeCodeSettings?: string | null;
}

export interface HostUser {
  name: string;
  home: string;
  uid: number | null;
  gid: number | null;
}

export interface UserFilter {
  include?: readonly string[];
  exclude: readonly string[];
  includeRoot: boolean;
}

/** Minimal path operations in the platform's own syntax (posix or win32). */
export interface PathOps {
  sep: '/' | '\\';
  join(...parts: string[]): string;
  dirname(p: string): string;
  basename(p: string): string;
  isAbsolute(p: string): boolean;
  normalize(p: string): string;
}

export interface AgentPaths {
  config: string;
  state: string;
  logs: string;
}

export interface Platform {
  name: PlatformName;
  path: PathOps;
  /** Human users of the machine with a home that exists. */
  listUsers(fs: FsView, filter: UserFilter): HostUser[];
  /** Claude Code's managed settings folder (holding managed-settings.json and managed-settings.d/). */
  managedDir: string;
  /** OS-level policy sources that, when present, shadow the managed file tier. */
  osPolicySources(fs: FsView, facts: HostFacts, users: readonly HostUser[]): OsPolicySource[];
  /** Where the agent keeps its config, state and logs (the contract's table). */
  agentPaths: AgentPaths;
  /** A project key from `.claude.json` in canonical form for this OS, or null if it is not a usable absolute path. */
  canonicalProjectPath(key: string): string | null;
}
