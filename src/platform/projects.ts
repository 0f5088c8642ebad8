/**
 * A user's known projects (the keys of `projects` in `.claude.json` come from src/core/claude-json.ts).
 * Each project's settings files: the shared one in the start folder, the local one there
 * (legacy) and at the git repo root (Claude Code 2.1.211+).
 */
import type { FsView, Platform } from './types.js';

export interface ProjectFile {
  role: 'project' | 'local';
  path: string;
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
