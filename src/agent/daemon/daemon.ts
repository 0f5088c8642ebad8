/**
 * `ccfleet daemon`: the same reconcile as `repair`, kept running.
 *
 *   start   last-known-good policy → arm the watchers → one full pass → fetch the policy (→ full pass if new)
 *           → schedule the policy refresh (cron, jittered) and the full resync (interval, jittered)
 *   events  a file event only marks a target dirty (watch-plan.ts); the queue merges and debounces marks and
 *           runs one pass at a time: a user's pass (managed tier + that user), a managed-only pass, or a full
 *           pass with rediscovery (a new user, the resync). Our own write produces an event; that second pass
 *           finds nothing to do.
 *   flapping every write goes through a per-file token bucket; a refused write leaves the file drifted with
 *           a blocking `contested` finding and a look-again when the bucket refills. Until then, events for
 *           that target run a pass at most every `contestedDelayMs` (a file rewritten every 20 ms must not
 *           cost a pass every 20 ms). Never a busy loop.
 *   policy   refreshes go through the queue too (one flight); a rejected or unreachable policy leaves the
 *           last-known-good one in force (fail-static), an expired one is still enforced and reported.
 * All timing (debounce, retries, jitter, intervals) comes from the scheduling module (../scheduler.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isSecretKey } from '../../core/fingerprint.js';
import type { Policy } from '../../core/policy-schema.js';
import { discover, type Discovery } from '../../platform/discover.js';
import { toHostPath } from '../../platform/root-path.js';
import { InspectCache } from '../inspect-cache.js';
import type { Logger } from '../log.js';
import { PolicyClient, type AppliedPolicy, type PolicyClientOptions } from '../policy-client.js';
import { reconcile, type ReconcileDeps } from '../reconcile.js';
import type { FileReport, MachineReport } from '../report-types.js';
import { Backoff, DirtyQueue, RateLimiter, Scheduler, type Clock, type CronSpec } from '../scheduler.js';
import { deviceId } from '../device-id.js';
import { EventLog, type DaemonEvent } from './events.js';
import { mergeReport } from './report-merge.js';
import { writeStatus, type DaemonStatus } from './status-file.js';
import { planWatches, targetsOf, type Target, type WatchSet } from './watch-plan.js';
import { WriterPool } from '../writer-pool.js';
import { closePolicyHttp } from '../policy-fetch.js';
import { createFolderWatcher, type FolderWatcher } from './watcher.js';

export interface DaemonOptions {
  deps: ReconcileDeps;
  stateDir: string;
  policy: PolicyClientOptions;
  log: Logger;
  /** Default every 5 minutes, with up to 60 s of jitter. */
  policyCron?: CronSpec;
  policyJitterSeconds?: number;
  /** As root: how long a user's write child stays up after its last write (default 120 s). */
  writerIdleMs?: number;
  /** Full resync as a cron expression (agent config `resyncCron`; default the policy's, else every 15 min). */
  resyncCron?: CronSpec;
  /** Full resync as an interval instead (agent config `resyncMinutes`, ±10%). */
  resyncMs?: number;
  /** Quiet time after a file event before the pass (default 2 ms) and the longest a mark waits (250 ms). */
  debounceMs?: number;
  maxWaitMs?: number;
  /** While a target holds a contested file, its events wait this long (merged) before a pass. Default 250 ms. */
  contestedDelayMs?: number;
  /** A file not found contested for this long starts a new contest: a new event and log line (default 15 s). */
  contestGapMs?: number;
  /** Repairs per file: burst and refill (default 10, one per 10 s). */
  rateLimit?: { capacity?: number; refillPerSec?: number };
  /** Watch by polling (network homes; tests of the fallback). */
  polling?: boolean;
  clock?: Clock;
  /** --user: only these users (on top of the policy's include/exclude). */
  users?: readonly string[];
  /** Called after every pass with the merged report (tests, the reporter of the server issue). */
  onPass?: (report: MachineReport, targets: readonly string[] | 'all') => void;
}

type Key = Target | 'policy' | 'all';

/** A contested file not seen contested for this long starts a new contest (a new event and log line). */
const CONTEST_GAP_MS = 15_000;

export class Daemon {
  readonly events = new EventLog();
  private readonly log: Logger;
  private readonly scheduler: Scheduler;
  private readonly queue: DirtyQueue<Key>;
  private readonly limiter: RateLimiter<string>;
  private readonly policyBackoff = new Backoff({ baseMs: 2_000, maxMs: 300_000 });
  private readonly cache = new InspectCache();
  private readonly watcher: FolderWatcher;
  /** As root: long-lived as-user write children, so a repair does not pay a process start-up. */
  private readonly writers: WriterPool | null;
  private client: PolicyClient;
  private applied: AppliedPolicy | null = null;
  private discovery: Discovery | null = null;
  private watchSet: WatchSet = { folders: new Map(), only: new Map() };
  private report: MachineReport | null = null;
  private readonly lookedAgain = new Map<string, number>();
  private degradedReported = false;
  /** Targets holding a contested file → until when (clock ms) their events are slowed down. */
  private readonly held = new Map<Key, number>();
  /** File → when a pass last found it contested (episodes for the event and log line). */
  private readonly lastContested = new Map<string, number>();
  /** A watched-for folder appeared (onPath): recompute the watch plan before the next pass. */
  private replan = false;
  private expiredReported: string | null = null;
  private stopping = false;
  private readonly startedAt = new Date().toISOString();
  private passes = 0;
  private started = false;
  private lock: Promise<void> = Promise.resolve();
  private device: string | null = null;
  private cadence = '';
  private statusAt = 0;
  private statusPending = false;

  constructor(private readonly o: DaemonOptions) {
    this.log = o.log;
    this.client = new PolicyClient(o.policy);
    this.scheduler = new Scheduler({ ...(o.clock ? { clock: o.clock } : {}), onError: (err, source) => this.log.error(`scheduled job ${source} failed`, { error: String(err) }) });
    this.queue = new DirtyQueue<Key>({
      run: (keys) => this.exclusive(() => this.run(keys)),
      // Short: Claude Code's temp-file + rename land within a millisecond; every ms here is drift latency.
      debounceMs: o.debounceMs ?? 2,
      maxWaitMs: o.maxWaitMs ?? 250,
      ...(o.clock ? { clock: o.clock } : {}),
      onError: (err, keys) => {
        this.log.error('reconcile pass failed', { targets: [...keys], error: err instanceof Error ? err.message : String(err) });
        for (const k of keys) this.queue.addLater(k, 5_000);
      },
    });
    const helper = o.deps.writeDeps.helper;
    this.writers = process.getuid?.() === 0 && helper && helper.length > 0 ? new WriterPool({ helper, ...(o.writerIdleMs !== undefined ? { idleMs: o.writerIdleMs } : {}) }) : null;
    this.limiter = new RateLimiter<string>({ capacity: o.rateLimit?.capacity ?? 10, refillPerSec: o.rateLimit?.refillPerSec ?? 0.1, ...(o.clock ? { clock: o.clock } : {}) });
    this.watcher = createFolderWatcher({
      onPath: (p, ev) => this.onPath(p, ev),
      onError: (err) => this.log.warn('file watcher error', { error: err.message, code: (err as NodeJS.ErrnoException).code }),
      ...(o.polling ? { polling: true } : {}),
    });
  }

  /** Start-up: everything armed and one full pass done (with the cached policy, then the fetched one). */
  async start(): Promise<void> {
    this.device = deviceId(this.o.stateDir);
    const cached = this.client.loadLastKnownGood();
    if (this.client.lastCacheProblem) this.log.warn(this.client.lastCacheProblem);
    // One pass at a time, start-up included: events of the watchers armed here queue behind these passes.
    await this.exclusive(async () => {
      if (cached) {
        this.adopt(cached);
        this.log.info('enforcing the last-known-good policy', { id: cached.policy.id, version: cached.policy.version, digest: cached.digest.slice(0, 12) });
        await this.rewatch(); // arm before reading: nothing changed in between is missed
        await this.pass('all');
      }
      await this.refreshPolicy();
    });
    this.started = true;
    this.schedule();
    this.log.info('daemon started', { watching: this.watchSet.folders.size, policy: this.applied ? `${this.applied.policy.id} v${this.applied.policy.version}` : null });
  }

  /** Runs `fn` after every earlier exclusive section has settled (the queue's runs and start-up share it). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /** SIGHUP: fetch the policy now and resync everything. */
  reload(policy?: PolicyClientOptions): void {
    if (policy) this.client = new PolicyClient(policy);
    this.queue.add('policy');
    this.queue.add('all');
  }

  /** SIGTERM/SIGINT: let the pass in flight finish its writes (bounded), close everything. */
  async stop(graceMs = 800): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const stopped = Promise.all([this.scheduler.stop(), this.queue.stop()]);
    await Promise.race([stopped, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.watcher.close();
    this.writers?.close();
    await closePolicyHttp();
    this.saveStatus(true);
    this.log.info('daemon stopped');
  }

  /** The merged picture of the machine after the last pass (null before the first). */
  current(): MachineReport | null {
    return this.report;
  }

  status(): DaemonStatus {
    const a = this.applied;
    const degraded = this.watcher.degraded();
    return {
      pid: process.pid,
      deviceId: this.device,
      startedAt: this.startedAt,
      at: new Date().toISOString(),
      passes: this.passes,
      policy: a ? { id: a.policy.id, version: a.policy.version, digest: a.digest, keyId: a.keyId, source: a.source, expired: this.client.current()?.expired ?? false } : null,
      compliant: this.report?.compliant ?? null,
      summary: this.report?.summary ?? null,
      watch: { folders: this.watchSet.folders.size, degraded },
      contested: this.limiter.contested(),
      ...(this.writers ? { writeChildren: { alive: this.writers.size(), started: this.writers.spawned } } : {}),
      events: this.events.recent(100),
    };
  }

  /** Settles pending work now (tests, benchmarks). */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  // --- events -------------------------------------------------------------------------------------

  private onPath(hostPath: string, event?: string): void {
    if (this.stopping) return;
    const targets = targetsOf(this.watchSet, hostPath, path.dirname, path.basename);
    for (const t of targets) {
      const until = this.held.get(t);
      if (until !== undefined && until > this.scheduler.clock.now()) {
        this.queue.addLater(t, this.o.contestedDelayMs ?? 250); // merged: one pass per delay, not per event
        continue;
      }
      if (until !== undefined) this.held.delete(t);
      this.queue.add(t);
    }
    if (event === 'addDir' && targets.size > 0 && !this.replan && this.appeared(hostPath)) this.replan = true;
  }

  /**
   * A folder appeared that the watch plan could only watch through an ancestor (a `.claude` created later
   * in a known project, a user's first `~/.claude`): the plan must now watch the folder itself.
   */
  private appeared(hostPath: string): boolean {
    if (this.watchSet.folders.has(hostPath)) return false;
    const names = this.watchSet.only.get(path.dirname(hostPath));
    if (names && !names.has(path.basename(hostPath))) return false;
    try {
      return fs.lstatSync(hostPath).isDirectory();
    } catch {
      return false;
    }
  }

  private async run(keys: Set<Key>): Promise<void> {
    if (this.stopping) return;
    if (keys.delete('policy')) {
      const changed = await this.refreshPolicy();
      if (changed) return; // refreshPolicy ran a full pass
    }
    if (!this.applied) return;
    if (this.replan) {
      this.replan = false;
      await this.rewatch(false); // arm the new folder before reading it
    }
    if (keys.has('all') || keys.has('homes')) {
      await this.rewatch(); // a new user's folders armed before they are read: nothing in between is missed
      await this.pass('all');
      return;
    }
    const users = [...keys].filter((k): k is `user:${string}` => k.startsWith('user:')).map((k) => k.slice(5));
    if (users.length === 0 && !keys.has('managed')) return;
    await this.pass(users);
  }

  // --- policy ---------------------------------------------------------------------------------------

  private adopt(a: AppliedPolicy): void {
    this.applied = a;
    try {
      this.schedule();
    } catch (e) {
      this.log.error(`the policy's schedule cannot be used, keeping the current one: ${(e as Error).message}`);
    }
    const secrets: string[] = [];
    for (const [k, v] of Object.entries(a.policy.env)) if (isSecretKey(k) || /^(sk-|Bearer\s)/i.test(v)) secrets.push(v);
    this.log.addSecrets(secrets);
    if (a.expired && this.expiredReported !== a.digest) {
      this.expiredReported = a.digest;
      this.event({ kind: 'policy-expired', message: `policy ${a.policy.id} v${a.policy.version} expired at ${a.policy.expiresAt}; still enforced (fail-static)` });
      this.log.warn('the policy has expired; it stays enforced until a newer one arrives', { id: a.policy.id, version: a.policy.version, expiresAt: a.policy.expiresAt });
    }
  }

  /** Fetches the policy; on a new one adopts it, rewatches and runs a full pass. True when it changed. */
  private async refreshPolicy(): Promise<boolean> {
    const r = await this.client.refresh();
    switch (r.kind) {
      case 'updated': {
        this.policyBackoff.reset();
        this.adopt(r.applied);
        for (const w of r.warnings ?? []) this.log.warn(w);
        this.event({ kind: 'policy-applied', message: `policy ${r.applied.policy.id} v${r.applied.policy.version} (${r.applied.digest.slice(0, 12)})${r.applied.keyId ? ` signed by ${r.applied.keyId}` : ' unsigned'}` });
        this.log.info('policy applied', { id: r.applied.policy.id, version: r.applied.policy.version, previous: r.previousVersion, digest: r.applied.digest.slice(0, 12), keyId: r.applied.keyId });
        await this.rewatch();
        await this.pass('all');
        return true;
      }
      case 'unchanged':
        this.policyBackoff.reset();
        if (!this.applied) {
          this.adopt(r.applied);
          await this.rewatch();
          await this.pass('all');
          return true;
        }
        this.adopt(r.applied); // re-checks expiry
        return false;
      case 'rejected':
        this.event({ kind: 'policy-rejected', codes: [r.code], message: r.message });
        this.log.error(`policy rejected (${r.code}): ${r.message}; ${this.applied ? 'the last-known-good policy stays in force' : 'nothing is enforced until a valid policy arrives'}`);
        if (!this.applied) this.retryPolicyLater();
        return false;
      case 'unreachable':
        this.event({ kind: 'policy-unreachable', message: r.message });
        this.log.warn(`policy source unreachable: ${r.message}; ${this.applied ? 'the last-known-good policy stays in force' : 'nothing is enforced until a policy arrives'}`);
        if (!this.applied || r.retryable) this.retryPolicyLater();
        return false;
    }
  }

  /**
   * The policy refresh and the full resync, on node-schedule cron with jitter: the agent config's choice,
   * else the policy's `schedule`, else every 5 and every 15 minutes. Re-armed when a new policy changes it.
   */
  private schedule(): void {
    if (!this.started || this.stopping) return;
    const s = this.applied?.policy.schedule;
    const refresh = this.o.policyCron ?? s?.policyRefresh ?? '*/5 * * * *';
    const jitterSeconds = this.o.policyJitterSeconds ?? s?.jitterSeconds ?? 60;
    const resync = this.o.resyncCron ?? (this.o.resyncMs ? null : s?.resync ?? '*/15 * * * *');
    const key = JSON.stringify([refresh, jitterSeconds, resync, this.o.resyncMs]);
    if (key === this.cadence) return;
    this.cadence = key;
    this.scheduler.cron('policy-refresh', refresh, { jitterSeconds, run: () => void this.queue.add('policy') });
    if (resync !== null) this.scheduler.cron('resync', resync, { jitterSeconds: Math.max(jitterSeconds, 1), run: () => void this.queue.add('all') });
    else this.scheduler.every('resync', this.o.resyncMs!, { jitterFraction: 0.1, run: () => void this.queue.add('all') });
    this.log.info('schedule', { policyRefresh: refresh, resync: resync ?? `every ${Math.round(this.o.resyncMs! / 1000)} s`, jitterSeconds });
  }

  private retryPolicyLater(): void {
    if (this.stopping) return;
    const ms = this.policyBackoff.next();
    this.scheduler.once('policy-retry', ms, () => void this.queue.add('policy'));
  }

  // --- passes ---------------------------------------------------------------------------------------

  /** The applied policy, limited to --user when given. */
  private policy(): Policy | undefined {
    const p = this.applied?.policy;
    const only = this.o.users;
    if (!p || !only || only.length === 0) return p;
    return { ...p, users: { ...p.users, include: p.users.include ? only.filter((u) => p.users.include!.includes(u)) : [...only] } };
  }

  private async pass(users: readonly string[] | 'all'): Promise<void> {
    const policy = this.policy();
    if (!policy) return;
    const targets: Key[] = users === 'all' ? ['all'] : users.length === 0 ? ['managed'] : users.map((u) => `user:${u}` as const);
    const deps: ReconcileDeps = {
      ...this.o.deps,
      cache: this.cache,
      ...(this.writers ? { writeDeps: { ...this.o.deps.writeDeps, pool: this.writers } } : {}),
      mayWrite: (p) => this.mayWrite(p, targets),
      onDiscovery: (d) => this.learn(d, users),
    };
    const t0 = performance.now();
    const pass = await reconcile({ policy, mode: 'repair', ...(users === 'all' ? {} : { onlyUsers: users }) }, deps);
    this.passes++;
    this.report = mergeReport(this.report, pass, users);
    this.afterPass(pass, performance.now() - t0);
    this.noteDegraded();
    this.saveStatus();
    this.o.onPass?.(this.report, users);
  }

  private mayWrite(machinePath: string, targets: readonly Key[]): true | string {
    if (this.limiter.take(machinePath)) return true;
    const s = this.limiter.stats(machinePath);
    const retry = s?.retryInMs ?? 10_000;
    for (const t of targets) this.queue.addLater(t, retry + 5);
    const since = s ? new Date(s.since).toISOString() : 'recently';
    return `rewritten by something else: ${s?.taken ?? '?'} repair attempt(s) since ${since}, ${s?.refused ?? 1} repair(s) held back; next try in ${Math.ceil(retry / 1000)} s`;
  }

  /** A pass's discovery: a full one replaces ours; a user pass replaces those users (their projects may be new). */
  private learn(d: Discovery, users: readonly string[] | 'all'): void {
    if (users === 'all' || this.discovery === null) {
      this.discovery = d;
      return;
    }
    const mine = new Set(users);
    const before = projectsOf(this.discovery.users.filter((u) => mine.has(u.user.name)));
    const after = projectsOf(d.users);
    this.discovery = { ...d, users: [...this.discovery.users.filter((u) => !mine.has(u.user.name)), ...d.users] };
    if (before !== after) void this.rewatch(false);
  }

  private afterPass(pass: MachineReport, ms: number): void {
    const repaired = pass.files.filter((f) => f.state === 'repaired');
    for (const f of repaired) {
      const codes = [...new Set(f.findings.map((x) => (x.key ? `${x.code}:${x.key}` : x.code)))];
      this.event({ kind: 'drift-repaired', user: f.user, path: f.path, codes });
      this.log.info('repaired', { path: f.path, user: f.user, findings: codes });
    }
    for (const f of pass.files) {
      const contested = f.findings.find((x) => x.code === 'contested');
      if (contested) {
        const s = this.limiter.stats(f.path);
        const t: Key = f.user === null ? 'managed' : `user:${f.user}`;
        this.held.set(t, Math.max(this.held.get(t) ?? 0, this.scheduler.clock.now() + (s?.retryInMs ?? 1_000)));
        // One event and one log line per contest (an episode: no contested finding for this file in the
        // last CONTEST_GAP_MS), not per held-back repair. Not the limiter's refusal count: its window
        // outlives a contest (a full refill takes 100 s), so a second burst on the same file would go unseen.
        const now = this.scheduler.clock.now();
        const last = this.lastContested.get(f.path);
        this.lastContested.set(f.path, now);
        if (this.lastContested.size > 10_000) this.lastContested.delete(this.lastContested.keys().next().value!);
        if (last === undefined || now - last > (this.o.contestGapMs ?? CONTEST_GAP_MS)) {
          this.event({ kind: 'contested', user: f.user, path: f.path, codes: f.findings.filter((x) => x.code !== 'contested').map((x) => x.key ?? x.code), message: contested.message ?? '' });
          this.log.warn('contested: something keeps rewriting this file; repairs are rate-limited', { path: f.path, user: f.user, detail: contested.message });
        }
      }
      if (f.state === 'error') {
        this.event({ kind: 'repair-failed', user: f.user, path: f.path, message: f.error ?? '' });
        this.log.error('could not repair', { path: f.path, user: f.user, error: f.error });
      }
      if (f.state === 'unparseable' && f.scope !== 'managed') this.lookAgainIfFresh(f);
    }
    this.log.debug('pass done', { ms: Math.round(ms), files: pass.summary.files, repaired: repaired.length, compliant: pass.compliant });
  }

  /**
   * A file caught half-written reads as unparseable: when it changed in the last two seconds, look again
   * shortly (once per version of the file) rather than take that as the verdict.
   */
  private lookAgainIfFresh(f: FileReport): void {
    const host = toHostPath(this.o.deps.root, this.o.deps.platform.name, f.path, path.sep);
    let mtime: number;
    try {
      mtime = fs.statSync(host).mtimeMs;
    } catch {
      return;
    }
    if (Date.now() - mtime > 2_000 || this.lookedAgain.get(f.path) === mtime) return;
    this.lookedAgain.set(f.path, mtime);
    if (this.lookedAgain.size > 10_000) this.lookedAgain.clear();
    this.queue.addLater(f.user ? `user:${f.user}` : 'managed', 100);
  }

  // --- watching -------------------------------------------------------------------------------------

  /** Recomputes the watch set from the current discovery (discovering first when asked or unknown). */
  private async rewatch(rediscover = true): Promise<void> {
    const policy = this.policy();
    if (!policy || this.stopping) return;
    const { platform, fs: view, facts, root } = this.o.deps;
    if (rediscover || !this.discovery) this.discovery = discover(platform, view, facts, policy);
    const host = (p: string) => toHostPath(root, platform.name, p, path.sep);
    const set = planWatches({ discovery: this.discovery, homesRoot: homesRootOf(platform.name), passwd: platform.name === 'linux' || platform.name === 'wsl' ? '/etc/passwd' : null, host, isDir: (p) => view.isDir(p), path: platform.path });
    this.addPolicyFile(set);
    this.watchSet = set;
    await this.watcher.update(set);
  }

  /** A policy delivered as a local file (MDM drops it) is applied as soon as it changes. */
  private addPolicyFile(set: WatchSet): void {
    const src = this.o.policy.source;
    if (/^https?:\/\//i.test(src)) return;
    const dir = path.resolve(path.dirname(src));
    const mine = [path.basename(src), `${path.basename(src)}.sig`];
    const known = set.folders.get(dir);
    if (known) {
      known.add('policy');
      const names = set.only.get(dir);
      if (names) for (const n of mine) names.add(n); // else: every entry of that folder matters already
    } else {
      set.folders.set(dir, new Set<Target>(['policy']));
      set.only.set(dir, new Set(mine));
    }
  }

  /** While degraded, every report carries the finding; the event and the log line come once. */
  private noteDegraded(): void {
    const d = this.watcher.degraded();
    if (!d) return;
    const findings = this.report?.managed.findings;
    if (findings && !findings.some((f) => f.code === 'watch-degraded')) findings.push({ code: 'watch-degraded', blocking: false, message: d.reason });
    if (this.degradedReported) return;
    this.degradedReported = true;
    this.event({ kind: 'watch-degraded', message: `${d.reason}; ${d.folders.length} folder(s) polled instead` });
    this.log.warn('file watching degraded: polling instead', { reason: d.reason, folders: d.folders.length });
  }

  /** Recorded, and in status.json soon (a rejected or unreachable policy runs no pass that would write it). */
  private event(e: Omit<DaemonEvent, 'at'>): void {
    this.events.add({ at: new Date().toISOString(), ...e });
    if (this.device !== null) this.saveStatus();
  }

  /** At most one status write a second (each is an fsync'd atomic write): later ones are folded into one. */
  private saveStatus(force = false): void {
    const now = Date.now();
    if (!force && now - this.statusAt < 1_000) {
      if (!this.statusPending && !this.stopping) {
        this.statusPending = true;
        this.scheduler.once('status', 1_000 - (now - this.statusAt), () => {
          this.statusPending = false;
          this.saveStatus(true);
        });
      }
      return;
    }
    this.statusAt = now;
    try {
      writeStatus(this.o.stateDir, this.status());
    } catch (e) {
      this.log.warn('could not write the daemon status file', { error: (e as Error).message });
    }
  }
}

/**
 * The users' project folders, by user name: the same whatever the order of `users` (the merged discovery
 * moves a pass's users to the end, so comparing in list order saw a change on every pass of 2+ users
 * and re-planned every watch of the machine each time).
 */
function projectsOf(users: Discovery['users']): string {
  return JSON.stringify(users.map((u) => [u.user.name, u.projects.map((p) => p.path)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function homesRootOf(platform: string): string {
  return platform === 'darwin' ? '/Users' : platform === 'windows' ? 'C:\\Users' : '/home';
}
