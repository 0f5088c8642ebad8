/**
 * Where Claude Code is installed, and which version, told from paths and package files only: nothing
 * is ever executed (the agent runs as root; these files are user-writable). Reads go through the FsView
 * (read-only, size-capped, never throws); anything missing, unreadable or garbage is skipped. Work is
 * bounded: only the fixed locations below, and one listDir (first 64 useful entries) per versions,
 * Caskroom, nvm, @anthropic-ai and WinGet folder — never a tree walk. A value read from a user's file is
 * only ever reported when it parses as a version.
 *
 * Per user (`findClaudeInstalls`), with `~` = the user's home:
 * - native: the launcher `~/.local/bin/claude` (Windows `claude.exe`), normally a symlink into
 *   `~/.local/share/claude/versions/<v>`.
 *   · launcher present (a regular file, or a symlink whose target exists): ONE install, the launcher;
 *     version = the link target's last path element when that is a version. A launcher that is a regular
 *     file (a copy, as on Windows) takes the version of the versions folder when it holds exactly one;
 *     otherwise (several, or a target elsewhere) the version is null.
 *   · no launcher, or a dangling one: one install per version entry of the versions folder (newest first).
 * - legacy local: `~/.claude/local/node_modules/@anthropic-ai/claude-code` (method `legacy-local`).
 * - npm global prefixes: `~/.npm-global/lib/node_modules`, `~/.local/lib/node_modules`,
 *   `~/.nvm/versions/node/<each>/lib/node_modules` (Windows: `~\AppData\Roaming\npm\node_modules`).
 * - WinGet (Windows): `~\AppData\Local\Microsoft\WinGet\Packages\Anthropic.ClaudeCode_*`.
 * Machine-wide (`findSystemInstalls`, the same for every user): the system npm prefixes `/usr/local/lib`,
 * `/usr/lib` (+ `/opt/homebrew/lib` on macOS; Windows `C:\Program Files\nodejs`), Homebrew's Caskroom
 * `claude-code/<v>` (macOS), and `C:\Program Files\WinGet\Packages\Anthropic.ClaudeCode_*` (Windows).
 *
 * In every node_modules folder: the wrapper package `@anthropic-ai/claude-code`, plus each platform
 * package `@anthropic-ai/claude-code-<os>-<arch>` found beside it or nested in the wrapper's own
 * node_modules, each its own install. A package counts when its package.json exists; its version comes
 * from the `version` field (a package.json over 1 MiB, unreadable or not JSON gives version null).
 * System npm prefixes are reported as `npm-global` (that is what `.claude.json` → `installMethod: global`
 * means, wherever the prefix lives); `system` is not produced here.
 */
import { normalizeVersion, compareVersions } from '../../core/facts-version.js';
import type { ClaudeInstall, InstallMethod } from '../../core/facts-types.js';
import type { FsView, Platform } from '../../platform/types.js';

/** At most this many entries of any listed folder are considered. */
export const MAX_LISTED = 64;
/** A package.json larger than this is not parsed (its install is still reported, version null). */
export const MAX_PACKAGE_JSON_CHARS = 1024 * 1024;

const PLATFORM_PACKAGE = /^claude-code-(linux|darwin|win32)-[a-z0-9][a-z0-9-]*$/;
const WINGET_PREFIX = 'anthropic.claudecode_';

export function findClaudeInstalls(platform: Platform, fs: FsView, home: string): ClaudeInstall[] {
  const p = platform.path;
  const out = nativeInstalls(platform, fs, home);
  out.push(...packagesIn(platform, fs, p.join(home, '.claude', 'local', 'node_modules'), 'legacy-local'));
  for (const nm of userNodeModules(platform, fs, home)) out.push(...packagesIn(platform, fs, nm, 'npm-global'));
  if (platform.name === 'windows') out.push(...wingetIn(platform, fs, p.join(home, 'AppData', 'Local', 'Microsoft', 'WinGet', 'Packages')));
  return out;
}

export function findSystemInstalls(platform: Platform, fs: FsView): ClaudeInstall[] {
  const out: ClaudeInstall[] = [];
  if (platform.name === 'windows') {
    out.push(...packagesIn(platform, fs, 'C:\\Program Files\\nodejs\\node_modules', 'npm-global'));
    out.push(...wingetIn(platform, fs, 'C:\\Program Files\\WinGet\\Packages'));
    return out;
  }
  const prefixes = ['/usr/local/lib/node_modules', '/usr/lib/node_modules'];
  if (platform.name === 'darwin') prefixes.push('/opt/homebrew/lib/node_modules');
  for (const nm of prefixes) out.push(...packagesIn(platform, fs, nm, 'npm-global'));
  if (platform.name === 'darwin') {
    for (const room of ['/opt/homebrew/Caskroom/claude-code', '/usr/local/Caskroom/claude-code']) out.push(...caskIn(platform, fs, room));
  }
  return out;
}

function nativeInstalls(platform: Platform, fs: FsView, home: string): ClaudeInstall[] {
  const p = platform.path;
  const launcher = p.join(home, '.local', 'bin', platform.name === 'windows' ? 'claude.exe' : 'claude');
  const versionsDir = p.join(home, '.local', 'share', 'claude', 'versions');
  const versions = listed(fs, versionsDir)
    .map((name) => ({ name, version: normalizeVersion(name) }))
    .filter((e): e is { name: string; version: string } => e.version !== null);
  const target = fs.readLink(launcher);
  const resolved = target === null ? launcher : resolveTarget(platform, launcher, target);
  if (fs.exists(resolved)) {
    let version = target === null ? null : normalizeVersion(lastElement(target));
    if (target === null && versions.length === 1) version = versions[0]!.version;
    return [{ method: 'native', path: launcher, version }];
  }
  return versions.map((e) => ({ method: 'native', path: p.join(versionsDir, e.name), version: e.version }));
}

function userNodeModules(platform: Platform, fs: FsView, home: string): string[] {
  const p = platform.path;
  if (platform.name === 'windows') return [p.join(home, 'AppData', 'Roaming', 'npm', 'node_modules')];
  const nvm = p.join(home, '.nvm', 'versions', 'node');
  return [
    p.join(home, '.npm-global', 'lib', 'node_modules'),
    p.join(home, '.local', 'lib', 'node_modules'),
    ...listed(fs, nvm).map((v) => p.join(nvm, v, 'lib', 'node_modules')),
  ];
}

/** The wrapper package and the platform packages in one node_modules folder. */
function packagesIn(platform: Platform, fs: FsView, nodeModules: string, method: InstallMethod): ClaudeInstall[] {
  const p = platform.path;
  const scope = p.join(nodeModules, '@anthropic-ai');
  const wrapper = p.join(scope, 'claude-code');
  const dirs = [wrapper];
  for (const where of [scope, p.join(wrapper, 'node_modules', '@anthropic-ai')]) {
    for (const name of listed(fs, where, (n) => PLATFORM_PACKAGE.test(n))) dirs.push(p.join(where, name));
  }
  const out: ClaudeInstall[] = [];
  for (const dir of dirs) {
    const pkg = p.join(dir, 'package.json');
    if (!fs.exists(pkg)) continue;
    out.push({ method, path: dir, version: packageVersion(fs.readText(pkg)) });
  }
  return out;
}

function packageVersion(text: string | null): string | null {
  if (text === null || text.length > MAX_PACKAGE_JSON_CHARS) return null;
  try {
    const doc: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
    const v = (doc as { version?: unknown }).version;
    return typeof v === 'string' ? normalizeVersion(v) : null;
  } catch {
    return null;
  }
}

/** Homebrew cask folders: one per installed version (`latest` or another non-version name gives null). */
function caskIn(platform: Platform, fs: FsView, room: string): ClaudeInstall[] {
  return listed(fs, room)
    .map((name) => platform.path.join(room, name))
    .filter((dir) => fs.isDir(dir))
    .map((dir) => ({ method: 'homebrew', path: dir, version: normalizeVersion(platform.path.basename(dir)) }));
}

/** WinGet package folders `Anthropic.ClaudeCode_<source>`; a version only when a `_` part of the name is one. */
function wingetIn(platform: Platform, fs: FsView, packages: string): ClaudeInstall[] {
  return listed(fs, packages, (n) => n.toLowerCase().startsWith(WINGET_PREFIX)).map((name) => ({
    method: 'winget',
    path: platform.path.join(packages, name),
    version: name.split('_').slice(1).map(normalizeVersion).find((v) => v !== null) ?? null,
  }));
}

/**
 * The entries of a folder worth looking at: no dot-entries, those `keep` accepts, versions newest first
 * then the rest as listed, at most MAX_LISTED. Absent or unreadable: none.
 */
function listed(fs: FsView, dir: string, keep: (name: string) => boolean = () => true): string[] {
  const names = (fs.listDir(dir) ?? []).filter((n) => !n.startsWith('.') && keep(n));
  const rank = names.map((name, i) => ({ name, i, v: normalizeVersion(name) }));
  rank.sort((a, b) => {
    if (a.v !== null && b.v !== null) return compareVersions(b.v, a.v)! || a.i - b.i;
    if (a.v !== null || b.v !== null) return a.v !== null ? -1 : 1;
    return a.i - b.i;
  });
  return rank.slice(0, MAX_LISTED).map((e) => e.name);
}

/** The machine path a link's stored target names: absolute as is, relative against the link's folder. */
function resolveTarget(platform: Platform, link: string, target: string): string {
  const t = platform.name === 'windows' ? target.replace(/^[\\/]{2}[?.][\\/](?=[A-Za-z]:)/, '') : target;
  return platform.path.isAbsolute(t) ? platform.path.normalize(t) : platform.path.join(platform.path.dirname(link), t);
}

/** The last element of a stored link target, in either slash (a Windows target may use both). */
function lastElement(target: string): string {
  const parts = target.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? '';
}
