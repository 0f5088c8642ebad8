/**
 * The daemon's reporting loop.
 *
 *   const reporter = new Reporter({ spool, sender, identity, policy, log });
 *   const daemon = new Daemon({ …, onPass: reporter.onPass });
 *   reporter.attach(daemon);   // its EventLog (drained into each report) and current()
 *   reporter.start();          // heartbeat, event watch, and delivery of what an earlier run left spooled
 *   …
 *   await reporter.stop();     // a change not yet reported is spooled (not sent); the send in flight is aborted
 *
 * When: after a pass whose picture differs from the last report in what the fleet watches — the device
 * verdict, the policy, a user's verdict, selected or really-used model, a project's verdict or model — or
 * when the daemon recorded events (a repair, a contest, a policy applied or rejected; "policy unreachable"
 * alone waits for the next report), debounced (`debounceMs`, default 5 s; at most `maxWaitMs`, 60 s, however
 * busy); and a heartbeat (default every hour ± 10 %, or a cron with jitter). Events recorded between passes
 * are noticed by a light check every `eventCheckMs` (60 s).
 * Each report: built (build-report.ts, the daemon's events drained into it), spooled (spool.ts), then the
 * spool delivered (sender.ts). A failed delivery is retried when the sender's backoff says so; reports
 * built meanwhile just join the spool. One report at a time (the scheduler's queue).
 */
import type { Logger } from '../log.js';
import type { MachineReport } from '../report-types.js';
import { Scheduler, type Clock, type CronSpec, type DirtyQueue } from '../scheduler.js';
import { buildReport, type BuildContext, type ReportEvent } from './build-report.js';
import type { ReportOptions } from './policy-report-options.js';
import type { DeliveryResult, Sender } from './sender.js';
import type { Spool } from './spool.js';

/** The daemon's event log (src/agent/daemon/events.ts EventLog). */
export interface EventSource {
  drain(): { events: ReportEvent[]; dropped: number };
  recent(n?: number): ReportEvent[];
  add(e: ReportEvent): void;
}

/** What the reporter reads from the daemon. */
export interface ReportSource {
  readonly events: EventSource;
  current(): MachineReport | null;
}

export type Identity = Pick<BuildContext, 'deviceId' | 'hostname' | 'agentVersion' | 'os'>;

export interface ReporterOptions {
  spool: Spool;
  sender: Sender;
  /** Who is reporting (the device id may change when the server assigns one at enrollment). */
  identity: () => Identity;
  /** The policy in force: its digest and its `report` options. */
  policy: () => { digest: string | null } & ReportOptions;
  log: Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;
  /** Default 5 s. */
  debounceMs?: number;
  /** Default 60 s. */
  maxWaitMs?: number;
  /** Default every 60 min ± 10 %. */
  heartbeat?: { cron: CronSpec; jitterSeconds?: number } | { everyMs: number };
  /** Default 60 s. */
  eventCheckMs?: number;
  clock?: Clock;
  now?: () => Date;
}

type Why = 'change' | 'heartbeat';

export class Reporter {
  private readonly scheduler: Scheduler;
  private readonly queue: DirtyQueue<Why>;
  private source: ReportSource | null = null;
  private latest: MachineReport | null = null;
  private lastSignature: string | null = null;
  private stopped = false;

  constructor(private readonly o: ReporterOptions) {
    this.scheduler = new Scheduler({ ...(o.clock ? { clock: o.clock } : {}), onError: (err, source) => o.log.error(`report job ${source} failed`, { error: String(err) }) });
    this.queue = this.scheduler.queue<Why>({
      name: 'report',
      run: () => this.reportNow(),
      debounceMs: o.debounceMs ?? 5_000,
      maxWaitMs: Math.max(o.debounceMs ?? 5_000, o.maxWaitMs ?? 60_000),
    });
  }

  attach(source: ReportSource): void {
    this.source = source;
  }

  /** For DaemonOptions.onPass: remember the picture, queue a report when it changed or there are events. */
  readonly onPass = (report: MachineReport, _targets: readonly string[] | 'all'): void => {
    if (this.stopped) return;
    this.latest = report;
    if (signature(report) !== this.lastSignature || this.hasEvents()) this.queue.add('change');
  };

  start(): void {
    const hb = this.o.heartbeat ?? { everyMs: 3_600_000 };
    if ('cron' in hb) this.scheduler.cron('report-heartbeat', hb.cron, { jitterSeconds: hb.jitterSeconds ?? 300, run: () => void this.queue.add('heartbeat') });
    else this.scheduler.every('report-heartbeat', hb.everyMs, { jitterFraction: 0.1, run: () => void this.queue.add('heartbeat') });
    this.scheduler.every('report-events', this.o.eventCheckMs ?? 60_000, { jitterFraction: 0.1, run: () => void (this.hasEvents() && this.queue.add('change')) });
    void this.deliver(); // what an earlier run left in the spool
  }

  /** Build and spool a report now (nothing before the first pass), then deliver the spool. */
  async reportNow(): Promise<void> {
    if (this.spoolOne()) await this.deliver();
  }

  /** Settles a pending report now (tests). */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Shutdown: spool what was not reported yet (no send), stop the timers, abort the send in flight. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const pending = this.queue.stats().pending > 0;
    await this.o.sender.stop(); // first: a request in flight is aborted at once (its report stays spooled)
    await this.scheduler.stop();
    if (pending || this.hasEvents() || (this.latest !== null && signature(this.latest) !== this.lastSignature)) this.spoolOne();
  }

  // ---------------------------------------------------------------------------------------------------

  private hasEvents(): boolean {
    return this.source?.events.recent().some((e) => e.kind !== 'policy-unreachable') ?? false;
  }

  /** True when a report was spooled. */
  private spoolOne(): boolean {
    const m = this.latest ?? this.source?.current() ?? null;
    if (m === null || this.source === null) return false;
    const { events, dropped } = this.source.events.drain();
    const p = this.o.policy();
    try {
      const report = buildReport(m, {
        ...this.o.identity(),
        policyDigest: p.digest,
        events,
        eventsDropped: dropped,
        spoolDropped: this.o.spool.pendingDropped(),
        now: this.o.now?.() ?? new Date(),
        homePaths: p.homePaths,
        homes: Object.fromEntries(m.users.map((u) => [u.name, u.home])),
      });
      this.o.spool.put(report);
      this.lastSignature = signature(m);
      this.o.log.debug('report spooled', { id: report.id, events: events.length, compliant: report.compliant });
      return true;
    } catch (e) {
      for (const ev of events) this.source.events.add(ev); // not lost: they go in the next report
      this.o.log.error(`could not spool a report: ${(e as Error).message}`);
      return false;
    }
  }

  private async deliver(): Promise<DeliveryResult | null> {
    if (this.stopped) return null;
    const r = await this.o.sender.deliver();
    if (!this.stopped && (r.outcome === 'retry' || r.outcome === 'blocked') && r.retryInMs !== null) {
      this.scheduler.once('report-retry', r.retryInMs, () => void this.deliver());
    }
    return r;
  }
}

/** What a report is sent for when it changes (see the header). */
function signature(m: MachineReport): string {
  return JSON.stringify([
    m.compliant,
    m.managed.compliant,
    m.policy.id,
    m.policy.version,
    m.users.map((u) => [u.name, u.compliant, u.selectedModel.requested, u.selectedModel.resolved, u.lastUsedModel?.served ?? null, u.projects.map((p) => [p.path, p.compliant, p.selectedModel.resolved])]),
  ]);
}
