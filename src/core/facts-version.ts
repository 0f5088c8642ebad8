/**
 * Claude Code versions: parse and compare them (semver 2.0 order), pick the version a user's sessions
 * most likely run from the installs found on disk, and judge it against the policy's minimum.
 *
 * Accepted: `2.1.332`, `v2.1.332`, `2.1.332 (Claude Code)` (what `claude --version` prints),
 * `2.1.332-beta.1` (a prerelease sorts below its release), `2.1.332+build.5` (build metadata is
 * ignored when comparing). Anything else — leading zeros, missing parts, extra text — is not a version.
 */
import type { ClaudeFacts, ClaudeInstall, InstallMethod } from './facts-types.js';
import type { Finding } from './types.js';

interface Parsed {
  core: [number, number, number];
  pre: string[];
}

const NUM = '0|[1-9]\\d*';
const PRE_ID = `(?:${NUM}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const VERSION = new RegExp(
  `^v?(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
);
/** `claude --version` appends ` (Claude Code)`; accept one short parenthesised label. */
const LABEL = /\s+\([^()]{0,64}\)$/;
const MAX_LEN = 256;

function parse(s: string): Parsed | null {
  if (typeof s !== 'string' || s.length > MAX_LEN) return null;
  const m = VERSION.exec(s.trim().replace(LABEL, ''));
  if (!m) return null;
  const core = [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number];
  if (!core.every(Number.isSafeInteger)) return null;
  return { core, pre: m[4] ? m[4].split('.') : [] };
}

/** Major, minor, patch of a version string, or null when it is not one. */
export function parseVersion(s: string): [number, number, number] | null {
  return parse(s)?.core ?? null;
}

/** The version in one canonical spelling (`v2.1.3 (Claude Code)` → `2.1.3`, prerelease kept, build dropped). */
export function normalizeVersion(s: string): string | null {
  const p = parse(s);
  if (!p) return null;
  return p.core.join('.') + (p.pre.length > 0 ? `-${p.pre.join('.')}` : '');
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; null when either is not a version. */
export function compareVersions(a: string, b: string): number | null {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return null;
  for (let i = 0; i < 3; i++) {
    const d = pa.core[i]! - pb.core[i]!;
    if (d !== 0) return Math.sign(d);
  }
  return comparePre(pa.pre, pb.pre);
}

/** Semver prerelease order: none > some; numeric ids numerically and below alphanumeric ones; shorter first. */
function comparePre(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return Math.sign(b.length - a.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    // Numeric ids have no leading zeros (the parser rejects them): longer is larger, else by digits.
    if (xn && yn) return x.length !== y.length ? Math.sign(x.length - y.length) : x < y ? -1 : 1;
    if (xn !== yn) return xn ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return Math.sign(a.length - b.length);
}

/** `.claude.json` → `installMethod` values and the install kind each names. */
const METHOD_OF: Readonly<Record<string, InstallMethod>> = { native: 'native', global: 'npm-global', local: 'legacy-local' };

/** The newest parseable version among `installs`, or null. */
function newest(installs: readonly ClaudeInstall[]): string | null {
  let best: string | null = null;
  for (const i of installs) {
    if (i.version === null || parseVersion(i.version) === null) continue;
    if (best === null || compareVersions(i.version, best)! > 0) best = i.version;
  }
  return best;
}

/**
 * The facts about a user's Claude Code. `version`: the newest known version among the installs of the
 * kind `installMethod` names (native → native, global → npm-global, local → legacy-local); when that
 * names none, or none of those installs has a known version, the newest known version of any install;
 * else null. `outdated`: `version` below `minVersion`, null when either is unknown or not a version.
 */
export function claudeFacts(installs: ClaudeInstall[], installMethod: string | null, minVersion: string | null): ClaudeFacts {
  const method = installMethod === null ? undefined : METHOD_OF[installMethod];
  const matching = method === undefined ? null : newest(installs.filter((i) => i.method === method));
  const version = matching ?? newest(installs);
  const cmp = version === null || minVersion === null ? null : compareVersions(version, minVersion);
  return { installs, version, installMethod, minVersion, outdated: cmp === null ? null : cmp < 0 };
}

/**
 * Informational findings (never blocking): `claude-outdated` when the version is below the minimum,
 * `claude-not-found` when no install was found in the usual places (a user may run it from elsewhere).
 */
export function claudeFindings(f: ClaudeFacts): Finding[] {
  const out: Finding[] = [];
  if (f.outdated === true) out.push({ code: 'claude-outdated', blocking: false, message: `${f.version} < minimum ${f.minVersion}` });
  if (f.installs.length === 0) out.push({ code: 'claude-not-found', blocking: false, message: 'no Claude Code install found in the usual places' });
  return out;
}
