/**
 * A user's known projects: the keys of `projects` in their global config (`.claude.json`), read
 * tolerantly (Claude Code rewrites it constantly; a half-written read is no reason to fail) and never
 * written. Each project's settings files: the shared one in the start folder, the local one there
 * (legacy) and at the git repo root (Claude Code 2.1.211+).
 */
import { parse as parseJsonc } from 'jsonc-parser';
import type { FsView, Platform } from './types.js';

export interface ProjectFile {
  role: 'project' | 'local';
  path: string;
}

export function readProjectKeys(fs: FsView, claudeJsonPath: string): { keys: string[]; state: 'ok' | 'absent' | 'unreadable' } {
  const text = fs.readText(claudeJsonPath);
  if (text === null) return { keys: [], state: 'absent' };
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\ufeff/, ''));
  } catch {
    value = parseJsonc(text.replace(/^\ufeff/, ''), [], { allowTrailingComma: true });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { keys: [], state: 'unreadable' };
  const projects = (value as Record<string, unknown>).projects;
  if (typeof projects !== 'object' || projects === null || Array.isArray(projects)) return { keys: [], state: 'ok' };
  return { keys: Object.keys(projects), state: 'ok' };
}

/**
 * The folder holding `.git` (a folder, or a file for worktrees and submodules) at or above `dir`.
 * `memo` (dir → answer) lets the projects of one machine share the walk up their common parents.
 */
export function gitRoot(fs: FsView, platform: Platform, dir: string, memo?: Map<string, string | null>): string | null {
  const walked: string[] = [];
  let cur = dir;
  let found: string | null = null;
  for (let i = 0; i < 256; i++) {
    const known = memo?.get(cur);
    if (known !== undefined) {
      found = known;
      break;
    }
    walked.push(cur);
    if (fs.exists(platform.path.join(cur, '.git'))) {
      found = cur;
      break;
    }
    const up = platform.path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  if (memo) for (const w of walked) memo.set(w, found);
  return found;
}

export function projectFiles(platform: Platform, projectPath: string, root: string | null): ProjectFile[] {
  const j = platform.path.join;
  const files: ProjectFile[] = [];
  if (root && root !== projectPath) files.push({ role: 'local', path: j(root, '.claude', 'settings.local.json') });
  files.push({ role: 'local', path: j(projectPath, '.claude', 'settings.local.json') });
  files.push({ role: 'project', path: j(projectPath, '.claude', 'settings.json') });
  return files;
}
