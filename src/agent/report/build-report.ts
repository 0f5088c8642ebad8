/**
 * One compliance report for the server (`ccfleet.report/v1`, src/core/report-schema.ts) from what reconcile
 * returned (MachineReport) and the daemon's events: a new report id each time (the server's idempotency
 * key), only what the schema carries (no edits, env views, homes, config dirs or transcript counts).
 *
 * The result always passes the server's validation (`reportSchema.parse`): strings are cut to the schema's
 * lengths, lists to its sizes (events that do not fit are added to `eventsDropped`), anything that looks
 * like a raw key or bearer token (the server refuses those) becomes its fingerprint, a fingerprint or digest
 * of the wrong shape becomes null. With `homePaths: 'tilde'` every path under a user's home is reported as
 * `~/…` (./home-paths.ts). Pure apart from the random id.
 */
import { randomUUID } from 'node:crypto';
import { fingerprint } from '../../core/fingerprint.js';
import { RAW_SECRET, REPORT_SCHEMA, type WireReport } from '../../core/report-schema.js';
import type { Finding, SelectedModel } from '../../core/types.js';
import type { MachineReport, UserReport } from '../report-types.js';
import { homeRewriter, type HomeRewriter } from './home-paths.js';

export type WirePlatform = WireReport['os']['platform'];

/** An event as the daemon records it (src/agent/daemon/events.ts DaemonEvent). */
export interface ReportEvent {
  at: string;
  kind: string;
  user?: string | null;
  path?: string;
  codes?: string[];
  message?: string;
}

export interface BuildContext {
  deviceId: string;
  hostname: string;
  agentVersion: string;
  os: { platform: WirePlatform; arch: string; release: string };
  /** sha256 (hex) of the policy's bytes, when known. */
  policyDigest: string | null;
  /** What happened since the last report, oldest first. */
  events: readonly ReportEvent[];
  /** Events the daemon could not keep (its ring overflowed). */
  eventsDropped: number;
  /** Reports the spool had to drop since the last delivered report (spool.ts pendingDropped()). */
  spoolDropped: number;
  now: Date;
  /** The policy's `report.homePaths` (default 'full'). */
  homePaths: 'full' | 'tilde';
  /** User name → machine path of the home (for `tilde`). */
  homes: Readonly<Record<string, string>>;
}

/** The schema's bounds (src/core/report-schema.ts): a report within them is never refused for its size. */
const MAX = {
  users: 2000,
  files: 50_000,
  projects: 5000,
  findings: 200,
  events: 1000,
  installs: 64,
  codes: 50,
  path: 4096,
  name: 256,
  model: 256,
  source: 1024,
  message: 2000,
  key: 512,
  code: 64,
  kind: 64,
  short: 32,
  version: 64,
  hostname: 255,
  policyId: 128,
  release: 128,
} as const;

const SECRET_G = new RegExp(RAW_SECRET.source, 'g');
const FINGERPRINT = /^fp:[0-9a-f]{6,64}$/;
const DIGEST = /^[0-9a-f]{64}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function buildReport(m: MachineReport, ctx: BuildContext): WireReport {
  const events = ctx.events.slice(-MAX.events);
  const overflow = ctx.events.length - events.length;
  const rewrite: HomeRewriter = ctx.homePaths === 'tilde' ? homeRewriter(ctx.homes, ctx.os.platform === 'windows') : (t) => t;
  // Every string goes through cut → home rewrite → secret scrub (each step only shortens).
  const text = (v: string, max: number, own: string | null): string => scrub(rewrite(cut(v, max), own));
  const opt = (v: string | null | undefined, max: number, own: string | null): string | null => (v === null || v === undefined ? null : text(v, max, own));
  const findings = (fs: readonly Finding[], own: string | null) => fs.slice(0, MAX.findings).map((f) => finding(f, own));
  const finding = (f: Finding, own: string | null) => ({
    code: text(f.code, MAX.code, own),
    ...(f.key !== undefined ? { key: text(f.key, MAX.key, own) } : {}),
    ...(f.message !== undefined ? { message: text(f.message, MAX.message, own) } : {}),
    ...(f.blocking !== undefined ? { blocking: f.blocking } : {}),
  });
  const model = (s: SelectedModel, own: string | null) => ({
    requested: opt(s.requested, MAX.model, own),
    resolved: opt(s.resolved, MAX.model, own),
    source: text(s.source, MAX.source, own),
  });
  const user = (u: UserReport) => {
    const own = u.name;
    const last = u.lastUsedModel;
    return {
      name: text(u.name, MAX.name, null),
      compliant: u.compliant,
      selectedModel: model(u.selectedModel, own),
      findings: findings(u.findings, own),
      projects: u.projects.slice(0, MAX.projects).map((p) => ({
        path: text(p.path, MAX.path, own),
        compliant: p.compliant,
        selectedModel: model(p.selectedModel, own),
        findings: findings(p.findings, own),
      })),
      claude: {
        installs: u.claude.installs.slice(0, MAX.installs).map((i) => ({ method: text(i.method, MAX.short, own), path: text(i.path, MAX.path, own), version: opt(i.version, MAX.version, own) })),
        version: opt(u.claude.version, MAX.version, own),
        installMethod: opt(u.claude.installMethod, MAX.short, own),
        minVersion: opt(u.claude.minVersion, MAX.version, own),
        outdated: u.claude.outdated,
      },
      auth: {
        credential: text(u.auth.credential, MAX.short, own),
        source: opt(u.auth.source, MAX.source, own),
        fingerprint: u.auth.fingerprint !== null && FINGERPRINT.test(u.auth.fingerprint) ? u.auth.fingerprint : null,
        ...(u.auth.apiKeyHelper !== undefined ? { apiKeyHelper: text(u.auth.apiKeyHelper, MAX.path, own) } : {}),
        apiKeyResponse: u.auth.apiKeyResponse,
        oauthLogin: u.auth.oauthLogin,
        headers: { authorization: opt(u.auth.headers.authorization, MAX.short, own), xApiKey: opt(u.auth.headers.xApiKey, MAX.short, own) },
        claudeJson: u.auth.claudeJson,
      },
      lastUsedModel:
        last === null
          ? null
          : { served: text(last.served, MAX.model, own), requested: opt(last.requested, MAX.model, own), at: text(last.at, MAX.version, own), cwd: opt(last.cwd, MAX.path, own), mapped: last.mapped },
    };
  };

  return {
    schema: REPORT_SCHEMA,
    id: randomUUID(),
    deviceId: ctx.deviceId,
    createdAt: ctx.now.toISOString(),
    hostname: text(ctx.hostname, MAX.hostname, null),
    agentVersion: text(ctx.agentVersion, MAX.version, null),
    os: { platform: ctx.os.platform, arch: text(ctx.os.arch, MAX.short, null), release: text(ctx.os.release, MAX.release, null) },
    policy: {
      id: text(m.policy.id, MAX.policyId, null),
      version: m.policy.version,
      digest: ctx.policyDigest !== null && DIGEST.test(ctx.policyDigest) ? ctx.policyDigest : null,
    },
    compliant: m.compliant,
    managed: { compliant: m.managed.compliant, dir: text(m.managed.dir, MAX.path, null), findings: findings(m.managed.findings, null) },
    users: m.users.slice(0, MAX.users).map(user),
    files: m.files.slice(0, MAX.files).map((f) => ({
      path: text(f.path, MAX.path, f.user),
      scope: f.scope,
      user: opt(f.user, MAX.name, null),
      ...(f.project !== undefined ? { project: text(f.project, MAX.path, f.user) } : {}),
      state: f.state,
      compliant: f.compliant,
      findings: findings(f.findings, f.user),
    })),
    events: events.map((e) => {
      const own = e.user ?? null;
      return {
        at: ISO.test(e.at) ? e.at : ctx.now.toISOString(),
        kind: text(e.kind, MAX.kind, own),
        ...(e.user !== undefined ? { user: opt(e.user, MAX.name, null) } : {}),
        ...(e.path !== undefined ? { path: text(e.path, MAX.path, own) } : {}),
        ...(e.codes !== undefined ? { codes: e.codes.slice(0, MAX.codes).map((c) => text(c, MAX.key, own)) } : {}),
        ...(e.message !== undefined ? { message: text(e.message, MAX.message, own) } : {}),
      };
    }),
    eventsDropped: count(ctx.eventsDropped) + overflow,
    spoolDropped: count(ctx.spoolDropped),
  };
}

/** Cuts a string to `max` UTF-16 units without leaving half a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = /[\ud800-\udbff]/.test(s[max - 1] ?? '') ? max - 1 : max;
  return s.slice(0, end);
}

const scrub = (s: string): string => (RAW_SECRET.test(s) ? s.replace(SECRET_G, (m) => fingerprint(m)) : s);

const count = (n: number): number => (Number.isInteger(n) && n > 0 ? n : 0);
