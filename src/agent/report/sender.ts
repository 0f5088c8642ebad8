/**
 * Delivery of the spool to `POST <server>/v1/reports` (Authorization: Bearer <device token>), oldest first,
 * one report at a time and one delivery round at a time (a call during a round gets one follow-up round).
 * The body is the spooled file's exact bytes, so a resent report is byte-identical (same id: the server
 * stores it once).
 *
 *   2xx (202, 200)       delivered: removed from the spool
 *   401                  the token is refused: enroll again once (enroll.ts renew), resend; a second 401 stops
 *   400 / 413 / 422      a bug — this report will never be accepted: logged with the server's error code,
 *                        removed, counted `rejected` (the dropped count it carried goes back to the spool)
 *   403                  logged, kept; the round stops (the device is blocked until an admin acts)
 *   429, 5xx, 408, network failures, timeouts, other answers
 *                        kept; the round stops
 * A round that stops backs off (src/agent/scheduler.ts Backoff: exponential, full jitter, base 5 s, cap
 * 5 min; at least the server's Retry-After): `retryInMs` says when to try again, and a round called before
 * then (not `force`) is `deferred` without a request — never a busy loop. A round that empties the spool
 * resets the backoff.
 */
import type { Logger } from '../log.js';
import { Backoff } from '../scheduler.js';
import { type DeviceToken, type Enrollment, type EnrollOutcome, serverBase } from './enroll.js';
import { createPostClient, retryAfterMs, serverError, type PostClient, type PostClientOptions, type PostOutcome } from './http-post.js';
import type { Spool, SpooledReport } from './spool.js';

export interface SenderOptions {
  spool: Spool;
  /** The server's base URL (agent config `server`). */
  server: string;
  enrollment: Enrollment;
  /** timeoutMs (per request), ca (agent config caFile), userAgent, gzip. */
  http: Omit<PostClientOptions, 'signal'>;
  log: Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;
  backoff?: Backoff;
  now?: () => number;
}

/**
 * empty: nothing was spooled · done: everything sent (or refused for good) · retry: a transient failure,
 * try again in retryInMs · blocked: the server refuses this device (403, enrollment refused, no secret):
 * retried on the same backoff, but a person has to act · deferred: still backing off, nothing sent.
 */
export type DeliveryOutcome = 'empty' | 'done' | 'retry' | 'blocked' | 'deferred';

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  delivered: string[];
  rejected: string[];
  /** Reports still in the spool after the round. */
  remaining: number;
  retryInMs: number | null;
  /** Why the round stopped (no secret in it). */
  message?: string;
}

const REJECT = new Set([400, 413, 422]);

export class Sender {
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private readonly url: string;
  private retryAt = 0;
  private running: Promise<DeliveryResult> | null = null;
  private followUp: Promise<DeliveryResult> | null = null;
  private readonly abort = new AbortController();

  constructor(private readonly o: SenderOptions) {
    this.backoff = o.backoff ?? new Backoff({ baseMs: 5_000, maxMs: 300_000 });
    this.now = o.now ?? Date.now;
    this.url = `${serverBase(o.server)}/v1/reports`;
  }

  /** One delivery round (see above). `force`: ignore the backoff (ccfleet report). */
  deliver(opts: { force?: boolean } = {}): Promise<DeliveryResult> {
    if (this.running !== null) {
      this.followUp ??= this.running.then(() => {
        this.followUp = null;
        return this.deliver(opts);
      });
      return this.followUp;
    }
    const round = this.round(opts.force === true).finally(() => {
      this.running = null;
    });
    this.running = round;
    return round;
  }

  /** Milliseconds until the backoff allows the next round (0: now). */
  waitMs(): number {
    return Math.max(0, this.retryAt - this.now());
  }

  /** Shutdown: the request in flight is aborted (its report stays spooled) and no further one starts. */
  async stop(): Promise<void> {
    this.abort.abort();
    while (this.running !== null || this.followUp !== null) await (this.followUp ?? this.running);
  }

  private async round(force: boolean): Promise<DeliveryResult> {
    const { spool } = this.o;
    const delivered: string[] = [];
    const rejected: string[] = [];
    const result = (outcome: DeliveryOutcome, retryInMs: number | null = null, message?: string): DeliveryResult => ({
      outcome, delivered, rejected, remaining: spool.list().length, retryInMs, ...(message !== undefined ? { message } : {}),
    });
    if (this.abort.signal.aborted) return result('deferred', null, 'stopped');
    if (!force && this.now() < this.retryAt) return result('deferred', this.waitMs());
    const entries = spool.list();
    if (entries.length === 0) {
      this.succeeded();
      return result('empty');
    }
    const http = createPostClient({ ...this.o.http, signal: this.abort.signal });
    try {
      const got = await this.o.enrollment.ensure(http);
      if (got.kind !== 'enrolled') return this.failed(result, got);
      let token = got.token;
      let renewed = false;
      for (const entry of entries) {
        if (this.abort.signal.aborted) return result('deferred', null, 'stopped');
        const item = spool.read(entry);
        if (item === null) continue; // sent by another process, or garbage (counted as dropped)
        let res = await this.send(http, item, token);
        if (res.kind === 'response' && res.status === 401 && !renewed) {
          renewed = true;
          this.o.log.warn('the server refused the device token (401): enrolling again');
          const again = await this.o.enrollment.renew(http, token);
          if (again.kind !== 'enrolled') return this.failed(result, again);
          token = again.token;
          res = await this.send(http, item, token);
        }
        if (res.kind === 'failure') return this.stopRound(result, 'retry', `report ${entry.id}: ${res.message}`);
        const s = res.status;
        if (s >= 200 && s < 300) {
          spool.remove(entry.id);
          delivered.push(entry.id);
          this.o.log.debug('report delivered', { id: entry.id, status: s });
          continue;
        }
        const err = serverError(res.body);
        const what = `report ${entry.id}: HTTP ${s}${err.code ? ` ${err.code}` : ''}${err.message ? `: ${err.message}` : ''}`;
        if (REJECT.has(s)) {
          spool.remove(entry.id, { carry: item.spoolDropped });
          rejected.push(entry.id);
          this.o.log.error(`the server refused a report for good; dropped (${what})`, { code: err.code, status: s });
          continue;
        }
        if (s === 401 || s === 403) return this.stopRound(result, 'blocked', `${what} — the server refuses this device; reports stay spooled`);
        const transient = s === 408 || s === 429 || s >= 500;
        return this.stopRound(result, transient ? 'retry' : 'blocked', what, retryAfterMs(res.headers, this.now()));
      }
      this.succeeded();
      if (delivered.length > 0 || rejected.length > 0) this.o.log.info('reports sent', { delivered: delivered.length, rejected: rejected.length });
      return result('done');
    } finally {
      await http.close();
    }
  }

  private send(http: PostClient, item: SpooledReport, token: DeviceToken): Promise<PostOutcome> {
    return http.post(this.url, item.body, { authorization: `Bearer ${token.token}` });
  }

  private failed(result: (o: DeliveryOutcome, ms?: number | null, m?: string) => DeliveryResult, got: Exclude<EnrollOutcome, { kind: 'enrolled' }>): DeliveryResult {
    if (got.kind === 'refused') return this.stopRound(result, 'blocked', `${got.message} — reports stay spooled`);
    return this.stopRound(result, 'retry', got.message, got.retryAfterMs);
  }

  private stopRound(
    result: (o: DeliveryOutcome, ms?: number | null, m?: string) => DeliveryResult,
    outcome: 'retry' | 'blocked',
    message: string,
    serverWait: number | null = null,
  ): DeliveryResult {
    if (this.abort.signal.aborted) return result('deferred', null, 'stopped');
    const ms = Math.max(this.backoff.next(), serverWait ?? 0);
    this.retryAt = this.now() + ms;
    this.o.log.warn(`reports not delivered: ${message}; next try in ${Math.ceil(ms / 1000)} s`);
    return result(outcome, ms, message);
  }

  private succeeded(): void {
    this.backoff.reset();
    this.retryAt = 0;
  }
}
