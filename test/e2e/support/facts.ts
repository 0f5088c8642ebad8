/**
 * Judges ccfleet's per-user facts (`users[].auth`, `users[].lastUsedModel`) against what the real Claude
 * Code did: the headers of its requests and the transcripts its runs left behind.
 *
 * Model really used — `judgeLastUsed`, on a `check` taken after some runs: for each user, the runs that
 * wrote into the config dir ccfleet reads for that user (the policy's `users.configDirs`, else `~/.claude`,
 * as the contract says) are the ones its transcripts can show. A run writes into its own
 * `CLAUDE_CONFIG_DIR` when its environment has one, else into `~/.claude`; a run whose config dir is not the
 * one ccfleet reads is left out of that user's claim (its transcript is elsewhere, on purpose or not). The
 * newest such run decides: `served` is its wire model, `cwd` its folder, `mapped` whether the policy maps
 * that model. No such run (and no transcript in the world to begin with) → `lastUsedModel` is null.
 *
 * Credential — `judgeAuth`, per run, against the `check` of its phase: ccfleet's auth facts describe a
 * session in a folder with no project settings, reading the user level ccfleet reads. So a run is judged
 * only when (a) no project or local settings file exists for its folder (the start folder's
 * `.claude/settings.json` unless that is the user file itself, its `.claude/settings.local.json`, and the
 * git root's `.claude/settings.local.json` — any content, even one Claude Code ignores: we do not second-guess
 * the client here), (b) its config dir is the one ccfleet reads, and (c) its environment carries no
 * `ANTHROPIC_*`/`CLAUDE_CODE_*` variable (a shell credential no settings file shows). Comparing a project's
 * effective credential instead would need the project's auth facts, which ccfleet does not report. Claims:
 * an `authorization` header iff `auth.headers.authorization` is non-null, an `x-api-key` iff
 * `auth.headers.xApiKey` is non-null, and the winning credential's fingerprint is the fingerprint of the
 * header that carries it (`auth-token`: Authorization without "Bearer "; `api-key`: x-api-key).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fingerprint } from '../../../src/core/fingerprint.js';
import type { Claims } from './claims.js';
import type { Report, UserVerdict } from './ccfleet.js';
import { mappedModels, type PolicyDoc } from './policy.js';
import type { Wire } from './wire.js';

export interface FactsSession {
  user: string;
  cwd: string;
  env?: Record<string, string>;
}

/** One `claude -p` that reached a gateway, in run order. */
export interface CompletedRun {
  phase: 'before' | 'after';
  session: FactsSession;
  wire: Wire;
}

export interface FactsWorld {
  policy: PolicyDoc;
  home(user: string): string;
  /** Host path of a machine path. */
  host(machinePath: string): string;
}

/** Where a run writes its transcripts: its own CLAUDE_CONFIG_DIR, else `~/.claude`. */
export const runConfigDir = (w: FactsWorld, s: FactsSession): string => s.env?.CLAUDE_CONFIG_DIR ?? path.posix.join(w.home(s.user), '.claude');

/** The config dir ccfleet reads for a user (CONTRACT.md): the one the policy names, else `~/.claude`. */
export const ccfleetConfigDir = (w: FactsWorld, user: string): string => w.policy.users?.configDirs?.[user] ?? path.posix.join(w.home(user), '.claude');

function userOf(report: Report, name: string): UserVerdict | undefined {
  return report.users.find((u) => u.name === name);
}

/** `label`: which check this is (e.g. "check after the BEFORE runs"). `runs`: every completed run so far, in order. */
export function judgeLastUsed(claims: Claims, o: { label: string; report: Report; world: FactsWorld; runs: readonly CompletedRun[]; seeded: ReadonlySet<string> }): void {
  const mapped = mappedModels(o.world.policy);
  for (const user of o.report.users) {
    const dir = ccfleetConfigDir(o.world, user.name);
    const where = `${o.label}, ${user.name} (config dir ${dir})`;
    claims.equal(user.configDir, dir, `${where}: the config dir ccfleet reads`);
    const mine = o.runs.filter((r) => r.session.user === user.name && runConfigDir(o.world, r.session) === dir);
    const last = mine[mine.length - 1];
    const ctx = `\n    ccfleet: ${JSON.stringify({ lastUsedModel: user.lastUsedModel, usage: user.usage })}\n    last run: ${last ? JSON.stringify({ phase: last.phase, cwd: last.session.cwd, wire: last.wire.model }) : 'none'}`;
    if (!last) {
      if (!o.seeded.has(dir)) claims.equal(user.lastUsedModel, null, `${where}: lastUsedModel with no session run`, ctx);
      continue;
    }
    const got = user.lastUsedModel;
    claims.equal(
      got && { served: got.served, cwd: got.cwd, mapped: got.mapped },
      { served: last.wire.model, cwd: last.session.cwd, mapped: mapped.has(last.wire.model ?? '') },
      `${where}: lastUsedModel vs the wire of the user's last ${last.phase}-repair session`,
      ctx,
    );
  }
}

/** The project and local settings files a session started in `cwd` reads, that exist (any content). */
export function projectSettingsFiles(w: FactsWorld, cwd: string, configDir: string): string[] {
  const candidates = [path.posix.join(cwd, '.claude', 'settings.local.json')];
  const shared = path.posix.join(cwd, '.claude', 'settings.json');
  if (shared !== path.posix.join(configDir, 'settings.json')) candidates.push(shared);
  for (let d = cwd; ; d = path.posix.dirname(d)) {
    if (fs.existsSync(w.host(path.posix.join(d, '.git')))) {
      candidates.push(path.posix.join(d, '.claude', 'settings.local.json'));
      break;
    }
    if (d === '/') break;
  }
  return [...new Set(candidates)].filter((p) => fs.existsSync(w.host(p)));
}

/** Why a run's credential cannot be compared with ccfleet's auth facts; null when it can. */
export function authSkip(w: FactsWorld, s: FactsSession): string | null {
  const shellCredential = Object.keys(s.env ?? {}).filter((k) => /^(ANTHROPIC_|CLAUDE_CODE_)/.test(k));
  if (shellCredential.length) return `the run's environment sets ${shellCredential.join(', ')}`;
  const dir = runConfigDir(w, s);
  if (dir !== ccfleetConfigDir(w, s.user)) return `the run reads the user level in ${dir}, ccfleet in ${ccfleetConfigDir(w, s.user)}`;
  const files = projectSettingsFiles(w, s.cwd, dir);
  if (files.length) return `project settings: ${files.join(', ')}`;
  return null;
}

/** Judges one run's credential headers against the auth facts of the `check` of its phase; returns whether it was judged. */
export function judgeAuth(claims: Claims, o: { phase: 'before' | 'after'; world: FactsWorld; session: FactsSession; report: Report; wire: Wire }): boolean {
  const { session: s, wire } = o;
  if (authSkip(o.world, s) !== null) return false;
  const user = userOf(o.report, s.user);
  const where = `${o.phase} repair, ${s.user} in ${s.cwd}: auth facts vs the wire`;
  if (!user) {
    claims.equal(undefined, s.user, `${where}: the user in ccfleet's report`);
    return true;
  }
  const a = user.auth;
  const sent = { authorization: wire.authorization !== undefined, xApiKey: wire.apiKey !== undefined };
  const ctx = `\n    headers sent: ${JSON.stringify(sent)}\n    ccfleet auth: ${JSON.stringify({ credential: a.credential, source: a.source, fingerprint: a.fingerprint, headers: a.headers })}`;
  claims.equal({ authorization: a.headers.authorization !== null, xApiKey: a.headers.xApiKey !== null }, sent, `${where}: which headers carry a credential`, ctx);
  if (a.credential === 'auth-token') {
    const token = wire.authorization?.replace(/^Bearer /, '');
    claims.equal(a.fingerprint, token === undefined ? null : fingerprint(token), `${where}: fingerprint of the Authorization token`, ctx);
  } else if (a.credential === 'api-key') {
    claims.equal(a.fingerprint, wire.apiKey === undefined ? null : fingerprint(wire.apiKey), `${where}: fingerprint of x-api-key`, ctx);
  }
  return true;
}
