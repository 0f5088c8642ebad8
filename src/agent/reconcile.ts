/**
 * The one loop every run goes through — `check`, `repair`, and later every daemon event:
 *   discover targets → read each file → plan (pure) → apply (or not) → verdict.
 * Managed files first (the drop-in we own; the others are only read), then every user's user, project
 * and local files, then the effect verdict per session from what Claude Code will read afterwards.
 */
import path from 'node:path';
import { deepEqual } from '../core/deep-equal.js';
import { classify, isObject } from '../core/json-text.js';
import { analyzeManaged, type ManagedFile } from '../core/managed.js';
import type { Layer } from '../core/model.js';
import { planDropin } from '../core/plan-dropin.js';
import { planSettings } from '../core/plan-settings.js';
import type { Policy } from '../core/policy-schema.js';
import type { FileRole, Finding, JsonObject, Scope } from '../core/types.js';
import { evaluateSession } from '../core/verdict.js';
import { discover, type DiscoveredProject, type DiscoveredUser, type Discovery } from '../platform/discover.js';
import { toHostPath } from '../platform/root-path.js';
import type { FsView, HostFacts, Platform } from '../platform/types.js';
import type { BackupStore } from './backups.js';
import { runBatch, type BatchDeps, type FileItem, type Mode } from './file-pass.js';
import type { Owner } from './fs-safety.js';
import type { InspectCache } from './inspect-cache.js';
import type { FileReport, MachineReport, ProjectReport, UserReport } from './report-types.js';
import type { WriteDeps } from './safe-write.js';
import { displayEnv, redactEdits } from './display.js';
import { summarize } from './report-summary.js';
import { authFacts } from '../core/facts-auth.js';
import { findSystemInstalls } from './facts/claude-installs.js';
import { gatherUserFacts, type FactsDeps, type UserFacts } from './user-facts.js';

export interface ReconcileDeps {
  platform: Platform;
  fs: FsView;
  root: string | null;
  facts: HostFacts;
  backups: BackupStore | null;
  writeDeps: WriteDeps;
  /** The uid we run as (undefined on Windows); root writes user files through a uid-dropped child. */
  uid: number | undefined;
  /** Kept by long-running agents between passes; absent for one-shot commands. */
  cache?: InspectCache;
  /** The clock for time-windowed facts (recent model use); default the real one. */
  now?: () => Date;
  /** The daemon's per-file rate limit (file-pass.ts BatchDeps.mayWrite). */
  mayWrite?: (machinePath: string) => true | string;
  /** Told what the pass discovered (the daemon watches exactly that). */
  onDiscovery?: (d: Discovery) => void;
}

export interface ReconcileRequest {
  policy: Policy;
  mode: Mode;
  /** --user: limit to these users (on top of the policy's include/exclude); empty = no limit. */
  users?: readonly string[];
  /**
   * The daemon's targeted pass: exactly these users (on top of the policy's include/exclude); empty = the
   * managed tier alone. The managed tier is always planned (one file) so every pass sees its effect.
   */
  onlyUsers?: readonly string[];
}

interface Tracked {
  report: FileReport;
  text: string | null;
  strict: JsonObject | null;
}

export async function reconcile(req: ReconcileRequest, deps: ReconcileDeps): Promise<MachineReport> {
  const only = req.onlyUsers ?? (req.users && req.users.length > 0 ? req.users : undefined);
  const policy = only ? { ...req.policy, users: { ...req.policy.users, include: intersect(req.policy.users.include, only) } } : req.policy;
  const d = discover(deps.platform, deps.fs, deps.facts, policy);
  deps.onDiscovery?.(d);
  const host = (p: string) => toHostPath(deps.root, deps.platform.name, p, path.sep);
  const asRoot = deps.uid === 0;
  const files: FileReport[] = [];

  // 1. The managed tier.
  const rootOwner: Owner | null = asRoot ? { uid: 0, gid: 0 } : null;
  // System folders above the managed dir are trusted; the nearest existing one anchors the symlink checks
  // (a fresh macOS image may lack /Library/Application Support/ClaudeCode's parent chain under --root).
  const managedAncestor = host(nearestExisting(deps, deps.platform.path.dirname(d.managed.dir)));
  const batch: BatchDeps = { mode: req.mode, backups: deps.backups, writeDeps: deps.writeDeps, ...(deps.cache ? { cache: deps.cache } : {}), ...(deps.mayWrite ? { mayWrite: deps.mayWrite } : {}) };
  const [ours] = await runBatch(
    [{ machinePath: d.managed.ours, hostPath: host(d.managed.ours), trustedAncestor: managedAncestor, owner: rootOwner, createMode: 0o644, plan: (t) => planDropin(policy, t) }],
    batch,
  );
  if (!ours) throw new Error('no result for the drop-in');
  const managedFiles: ManagedFile[] = [];
  const managedReports = new Map<string, FileReport>();
  const addManaged = (p: string, role: ManagedFile['role'], text: string | null, report: FileReport | null) => {
    managedFiles.push({ path: p, role, text });
    if (report) managedReports.set(p, report);
  };
  const mainText = deps.fs.readText(d.managed.main);
  addManaged(d.managed.main, 'managed-main', mainText, mainText === null ? null : fileReport(d.managed.main, 'managed', 'managed-main', null, mainText));
  for (const p of d.managed.dropins) {
    if (p === d.managed.ours) {
      const r: FileReport = { path: p, scope: 'managed', role: 'ccfleet-dropin', user: null, state: ours.state, compliant: true, findings: ours.findings, edits: redactEdits(ours.edits), ...(ours.error ? { error: ours.error } : {}) };
      addManaged(p, 'ccfleet-dropin', ours.effectiveText, r);
    } else {
      const t = deps.fs.readText(p);
      addManaged(p, 'managed-dropin', t, t === null ? null : fileReport(p, 'managed', 'managed-dropin', null, t));
    }
  }
  const analysis = analyzeManaged(policy, managedFiles, d.osSources);
  for (const [p, r] of managedReports) {
    const extra = analysis.perFile.get(p) ?? [];
    r.findings = [...r.findings, ...extra];
    if (r.role !== 'ccfleet-dropin') r.state = foreignManagedState(r);
    r.compliant = fileCompliant(r.state, r.findings);
    files.push(r);
  }
  const managedFindings: Finding[] = [...analysis.findings];
  const managedCompliant = !analysis.broken && [...managedReports.values()].every((r) => r.compliant) && !analysis.findings.some((f) => f.blocking);
  const managedLayer: Layer = { label: 'managed', level: 'managed', settings: analysis.effective };

  // 2. Every user's files and sessions.
  // One batch for every user's files: writes are grouped per owner by the safe writer.
  const planned = d.users.map((du) => ({ du, items: userItems(du, policy, ownerFor(du, deps), deps, host) }));
  const results = await runBatch(planned.flatMap((p) => p.items.map((i) => i.item)), batch);
  const users: UserReport[] = [];
  const factsDeps: FactsDeps = { platform: deps.platform, fs: deps.fs, host, systemInstalls: findSystemInstalls(deps.platform, deps.fs), now: (deps.now ?? (() => new Date()))() };
  let k = 0;
  for (const { du, items } of planned) {
    const tracked: Tracked[] = [];
    for (const { meta } of items) {
      const r = results[k++]!;
      if (meta.role !== 'user' && !r.exists && r.state !== 'error') continue; // project files are never created
      const report: FileReport = {
        path: meta.path, scope: meta.role, role: meta.role, user: du.user.name, ...(meta.project ? { project: meta.project } : {}), state: r.state,
        compliant: fileCompliant(r.state, r.findings), findings: r.findings, edits: redactEdits(r.edits), ...(r.error ? { error: r.error } : {}),
      };
      tracked.push({ report, text: r.effectiveText, strict: strictObject(r.effectiveText) });
    }
    files.push(...tracked.map((t) => t.report));
    const owner = ownerFor(du, deps);
    users.push(userVerdict(du, policy, managedLayer, tracked, gatherUserFacts(du, policy, factsDeps, owner ? { uid: owner.uid } : null), analysis.broken));
  }

  const compliant = managedCompliant && users.every((u) => u.compliant);
  return {
    compliant,
    mode: req.mode,
    policy: { id: policy.id, version: policy.version },
    platform: deps.platform.name,
    managed: { compliant: managedCompliant, dir: d.managed.dir, findings: managedFindings },
    users,
    files,
    summary: summarize(users, files),
  };
}

/**
 * A file is compliant when nothing blocking is left on it. A repaired file was re-read and re-planned to
 * an empty plan after the write, so the findings it carries describe what was fixed, not what is wrong.
 */
function fileCompliant(state: FileReport['state'], findings: readonly Finding[]): boolean {
  if (state === 'error') return false;
  if (state === 'repaired') return !findings.some((f) => f.blocking && (f.code === 'managed-conflict' || f.code === 'managed-invalid'));
  return !findings.some((f) => f.blocking);
}

function nearestExisting(deps: ReconcileDeps, dir: string): string {
  let cur = dir;
  while (!deps.fs.isDir(cur)) {
    const up = deps.platform.path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return cur;
}

function intersect(include: readonly string[] | undefined, only: readonly string[]): string[] {
  return include ? only.filter((u) => include.includes(u)) : [...only];
}

/** As root, user-side files must belong to the owner of the user's home; otherwise nobody is checked. */
function ownerFor(du: DiscoveredUser, deps: ReconcileDeps): Owner | null {
  if (deps.uid !== 0) return null;
  return deps.fs.owner(du.user.home) ?? (du.user.uid !== null && du.user.gid !== null ? { uid: du.user.uid, gid: du.user.gid } : null);
}

function fileReport(p: string, scope: Scope, role: FileRole, user: string | null, text: string): FileReport {
  const c = classify(text);
  const findings: Finding[] = [];
  let state: FileReport['state'] = 'compliant';
  if (c.kind === 'jsonc') {
    findings.push({ code: 'not-strict-json', blocking: false });
    state = 'unparseable';
  } else if (c.kind === 'invalid') {
    findings.push({ code: 'invalid-json', blocking: false });
    state = 'unparseable';
  }
  return { path: p, scope, role, user, state, compliant: true, findings };
}

/** A managed file we do not own is never written; with a blocking finding it is not as the policy wants. */
function foreignManagedState(r: FileReport): FileReport['state'] {
  if (r.state === 'unparseable' || r.findings.some((f) => f.code === 'managed-invalid')) return 'unparseable';
  return r.findings.some((f) => f.blocking) ? 'drifted' : r.state;
}

function strictObject(text: string | null): JsonObject | null {
  const c = classify(text);
  return c.kind === 'strict' && isObject(c.value) ? c.value : null;
}

interface UserItem {
  item: FileItem;
  meta: { path: string; role: 'user' | 'project' | 'local'; project?: string };
}

/** A user's files in the order they are reported: the user file, then each project's local and shared files. */
function userItems(du: DiscoveredUser, policy: Policy, owner: Owner | null, deps: ReconcileDeps, host: (p: string) => string): UserItem[] {
  const P = deps.platform.path;
  const homeAncestor = isUnder(P, du.configDir, du.user.home) ? du.user.home : P.dirname(du.configDir);
  const make = (path: string, role: UserItem['meta']['role'], ancestor: string, project?: string): UserItem => ({
    // A user file ccfleet creates (user mode) holds the policy's env, credential included: owner-only.
    item: { machinePath: path, hostPath: host(path), trustedAncestor: host(ancestor), owner, createMode: 0o600, plan: (t) => planSettings(policy, { role }, t), planKey: { policy, role } },
    meta: { path, role, ...(project ? { project } : {}) },
  });
  const out: UserItem[] = [make(du.settingsPath, 'user', homeAncestor)];
  for (const proj of du.homeProject ? [...du.projects, du.homeProject] : du.projects) {
    for (const f of proj.files) {
      const ancestor = f.role === 'local' && proj.gitRoot && !isUnder(P, f.path, proj.path) ? proj.gitRoot : proj.path;
      out.push(make(f.path, f.role, ancestor, proj.path));
    }
  }
  return out;
}

function isUnder(P: Platform['path'], child: string, parent: string): boolean {
  const c = P.normalize(child);
  const p = P.normalize(parent).replace(/[\\/]+$/, '');
  return c === p || c.startsWith(p + P.sep);
}

/**
 * A managed file Claude Code cannot parse makes every session on the machine refuse to start (`claude -p`
 * exits 1, seen on the wire): no session of any user is compliant then, whatever its settings say.
 */
const REFUSES: Finding = { code: 'managed-invalid', blocking: true, message: 'a managed settings file is not valid JSON: Claude Code refuses to start' };

function userVerdict(du: DiscoveredUser, policy: Policy, managed: Layer, tracked: Tracked[], facts: UserFacts, managedBroken: boolean): UserReport {
  const userFile = tracked.find((t) => t.report.role === 'user');
  const userLayer: Layer[] = userFile?.strict ? [{ label: 'user', level: 'user', settings: userFile.strict }] : [];
  // users[].selectedModel: a session in a folder with no project settings.
  const evaluate = (layers: Layer[]) => {
    const v = evaluateSession(policy, layers);
    return managedBroken ? { ...v, compliant: false, findings: [REFUSES, ...v.findings] } : v;
  };
  const bare = evaluate([managed, ...userLayer]);
  const auth = authFacts([managed, ...userLayer], du.claudeJsonFacts);
  const fileBlocking = (ts: Tracked[]) => ts.some((t) => !t.report.compliant && (t.strict !== null || t.report.state === 'error'));
  const session = (proj: DiscoveredProject) => {
    const mine = tracked.filter((t) => t.report.project === proj.path);
    const layers: Layer[] = [managed];
    for (const f of proj.files) {
      const t = mine.find((m) => m.report.path === f.path);
      if (!t?.strict) continue;
      const label = `${f.role}:${f.role === 'local' ? ownerFolder(f.path) : proj.path}`;
      layers.push({ label, level: f.role, settings: t.strict });
    }
    layers.push(...userLayer);
    const v = evaluate(layers);
    return { v, compliant: v.compliant && !fileBlocking(mine) };
  };
  const projects: ProjectReport[] = du.projects.map((proj) => {
    const { v, compliant } = session(proj);
    return { path: proj.path, selectedModel: v.selectedModel, compliant, findings: v.findings, ...(deepEqual(v.env, bare.env) ? {} : { env: displayEnv(v.env) }) };
  });
  // A session in the home folder also reads the home's own project files (when the home is not a listed
  // project); when it has any, the home is reported among the projects so its session's model is visible.
  const home = du.homeProject ? session(du.homeProject) : null;
  if (du.homeProject && home && tracked.some((t) => t.report.project === du.homeProject!.path)) {
    const { v, compliant } = home;
    projects.push({ path: du.homeProject.path, selectedModel: v.selectedModel, compliant, findings: v.findings, ...(deepEqual(v.env, bare.env) ? {} : { env: displayEnv(v.env) }) });
    projects.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  const homeFindings = home && !home.compliant ? home.v.findings.filter((f) => f.blocking).map((f) => ({ ...f, message: `session in the home folder: ${f.message ?? f.code}` })) : [];
  const compliant = bare.compliant && (home?.compliant ?? true) && projects.every((p) => p.compliant) && !fileBlocking(userFile ? [userFile] : []);
  return {
    name: du.user.name, home: du.user.home, configDir: du.configDir, compliant,
    selectedModel: bare.selectedModel, findings: [...bare.findings, ...homeFindings, ...auth.findings, ...facts.findings], env: displayEnv(bare.env), projects,
    claude: facts.claude, auth: auth.auth, lastUsedModel: facts.lastUsedModel, usage: facts.usage,
  };
}

/** `/p/.claude/settings.local.json` → `/p` (the folder a local file belongs to), in either path syntax. */
function ownerFolder(p: string): string {
  return p.replace(/[\\/]\.claude[\\/][^\\/]+$/, '');
}

export type { Discovery };
