/**
 * Reporting for WSL distributions, each as its own device (identity.ts): per distribution a folder
 * `<state dir>/wsl/<slug>/` (0700) with its own device token (enrolled with the agent config's
 * `enrollSecret`, like any device), its own spool and its own sender — the same parts as the Windows
 * device's (../report/*), so delivery, backoff, re-enrollment on 401 and the spool bounds are the same.
 *
 * When: a distribution's report is spooled and sent after a pass when what the fleet watches changed
 * (verdict, policy, users' verdicts and models, the error code), when the pass repaired something or
 * failed, and otherwise at least every `heartbeatMs` (the agent config's heartbeatMinutes, default 60) —
 * as long as the distribution is seen at all (a stopped one is not looked at, so it goes quiet and the
 * server shows when it was last seen). Reports left in a spool are retried on each `retry()`.
 */
import path from 'node:path';
import type { Logger } from '../log.js';
import { ensurePrivateDir } from '../private-file.js';
import { buildReport, type ReportEvent } from '../report/build-report.js';
import { Enrollment } from '../report/enroll.js';
import type { PostClientOptions } from '../report/http-post.js';
import { Sender, type DeliveryResult } from '../report/sender.js';
import { Spool } from '../report/spool.js';
import type { MachineReport } from '../report-types.js';
import { outcomeEvents, outcomeMachine } from './distro-report.js';
import { distroDeviceId, distroHostname, distroSlug } from './identity.js';
import type { DistroOutcome } from './run-distro.js';

export interface HostIdentity {
  deviceId: string;
  hostname: string;
  agentVersion: string;
  /** Of the Linux executable (x64 or arm64). */
  arch: string;
}

export interface WslReportingOptions {
  server: string;
  enrollSecret: string | undefined;
  stateDir: string;
  http: Omit<PostClientOptions, 'signal'>;
  host: () => HostIdentity;
  log: Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;
  /** Default 60 minutes. */
  heartbeatMs?: number;
  now?: () => Date;
}

export interface PassContext {
  policy: { id: string; version: number };
  digest: string | null;
  homePaths: 'full' | 'tilde';
  mode: 'check' | 'repair';
}

export type ReportDecision = 'spooled' | 'unchanged' | 'failed';

interface Channel {
  name: string;
  enrollment: Enrollment;
  spool: Spool;
  sender: Sender;
  derivedId: string;
  signature: string | null;
  lastAt: number;
  pending: ReportEvent[];
}

export class WslReporting {
  private readonly channels = new Map<string, Channel>();
  private stopped = false;

  constructor(private readonly o: WslReportingOptions) {}

  /**
   * Spools a report for each outcome that calls for one, then delivers every spool that has something.
   * `remaining`: reports still spooled afterwards, over all distributions.
   */
  async report(outcomes: readonly DistroOutcome[], ctx: PassContext): Promise<{ decisions: Map<string, ReportDecision>; remaining: number }> {
    const decisions = new Map<string, ReportDecision>();
    const now = this.now();
    for (const o of outcomes) {
      try {
        decisions.set(o.distro, this.spoolOne(o, ctx, now));
      } catch (e) {
        decisions.set(o.distro, 'failed');
        this.o.log.error(`WSL ${o.distro}: could not spool a report: ${(e as Error).message}`);
      }
    }
    const rounds = await this.retry();
    return { decisions, remaining: rounds.reduce((n, r) => n + r.remaining, 0) };
  }

  /** Delivers what any distribution's spool holds (each sender keeps its own backoff). */
  async retry(): Promise<DeliveryResult[]> {
    const out: DeliveryResult[] = [];
    for (const c of this.channels.values()) {
      if (this.stopped) break;
      if (c.spool.list().length > 0) out.push(await c.sender.deliver());
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.channels.values()].map((c) => c.sender.stop()));
  }

  private spoolOne(o: DistroOutcome, ctx: PassContext, now: Date): ReportDecision {
    const c = this.channel(o.distro);
    const machine = outcomeMachine(o, ctx.policy, ctx.mode);
    c.pending.push(...outcomeEvents(o, now.toISOString()));
    const sig = signature(machine, o, ctx.digest);
    const heartbeat = this.o.heartbeatMs ?? 3_600_000;
    if (sig === c.signature && c.pending.length === 0 && now.getTime() - c.lastAt < heartbeat) return 'unchanged';
    const host = this.o.host();
    const events = c.pending.splice(0);
    const report = buildReport(machine, {
      deviceId: c.enrollment.token()?.deviceId ?? c.derivedId,
      hostname: distroHostname(host.hostname, o.distro),
      agentVersion: host.agentVersion,
      os: { platform: 'wsl', arch: host.arch, release: o.kernel ?? 'unknown' },
      policyDigest: ctx.digest,
      events,
      eventsDropped: 0,
      spoolDropped: c.spool.pendingDropped(),
      now,
      homePaths: ctx.homePaths,
      homes: Object.fromEntries(machine.users.map((u) => [u.name, u.home])),
    });
    try {
      c.spool.put(report);
    } catch (e) {
      c.pending.unshift(...events); // not lost: they go in the next report
      throw e;
    }
    c.signature = sig;
    c.lastAt = now.getTime();
    this.o.log.debug('WSL report spooled', { distro: o.distro, id: report.id, compliant: report.compliant });
    return 'spooled';
  }

  private channel(name: string): Channel {
    const slug = distroSlug(name);
    const known = this.channels.get(slug);
    if (known) return known;
    const dir = path.join(this.o.stateDir, 'wsl', slug);
    ensurePrivateDir(dir);
    const host = this.o.host();
    const derivedId = distroDeviceId(host.deviceId, name);
    const enrollment = new Enrollment({ stateDir: dir, server: this.o.server, enrollSecret: this.o.enrollSecret, deviceId: derivedId, hostname: distroHostname(host.hostname, name) });
    const spool = Spool.open(dir, {
      onDrop: (d) => this.o.log.warn(d.reason === 'full' ? `WSL ${name}: report spool full: the oldest report was dropped` : `WSL ${name}: a damaged report file in the spool was discarded`, { file: d.name }),
    });
    const sender = new Sender({ spool, server: this.o.server, enrollment, http: this.o.http, log: this.o.log });
    const c: Channel = { name, enrollment, spool, sender, derivedId, signature: null, lastAt: 0, pending: [] };
    this.channels.set(slug, c);
    return c;
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }
}

/** What a report is sent for when it changes (like the Windows device's reporter, plus the error code). */
function signature(m: MachineReport, o: DistroOutcome, digest: string | null): string {
  return JSON.stringify([
    o.kind === 'error' ? o.code : null,
    digest,
    m.compliant,
    m.managed.compliant,
    m.policy.id,
    m.policy.version,
    m.users.map((u) => [u.name, u.compliant, u.selectedModel.requested, u.selectedModel.resolved, u.lastUsedModel?.served ?? null, u.projects.map((p) => [p.path, p.compliant, p.selectedModel.resolved])]),
  ]);
}
