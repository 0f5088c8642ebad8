/**
 * Delivery of the spool to `POST <server>/v1/reports` (Authorization: Bearer <device token>), oldest first,
 * one delivery round at a time (a call during a round gets one follow-up round). The body is the spooled
 * file's exact bytes, so a resent report is byte-identical (same id: the server stores it once).
 *
 * Batches: a server that takes them says so on every 2xx (`ccfleet-report-batch: <n>`). From then on a
 * backlog goes as JSON arrays of up to min(n, 100) reports and 1 MiB — each report's exact bytes — and the
 * server answers per report (`{ results: [{ status: stored | duplicate | rejected, error? }] }`): stored
 * and duplicate are removed, a rejection for good (invalid-body, raw-secret, bad-json, too-large) is
 * dropped like a 400, `forbidden` blocks, anything else is kept and the round stops to retry. A batch the
 * server does not understand (400, 404, 405, 415, or an unreadable 2xx: a server from before batches)
 * turns batches off for the rest of the round and until an answer advertises them again; the reports go
 * one by one; 413 sends that batch's reports one by
 * one. Everything else about a batch answer is handled as for one report (below).
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
import type { Spool, SpoolEntry, SpooledReport } from './spool.js';

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
/** Batch item codes that mean "never accepted" (what 400/413/422 mean for one report). */
const DROP_CODES = new Set(['invalid-body', 'raw-secret', 'bad-json', 'too-large']);
/** The server's batch advertisement (routes/reports.ts). */
export const BATCH_HEADER = 'ccfleet-report-batch';
/** Largest batch this agent sends (reports, and bytes before gzip; the server's default limit is 2 MiB). */
export const MAX_BATCH = 100;
export const BATCH_BYTES = 1024 * 1024;
const COMMA = Buffer.from(',');

type ResultOf = (o: DeliveryOutcome, ms?: number | null, m?: string) => DeliveryResult;
type Auth = { token: DeviceToken; renewed: boolean };
/** The round's outcome so far; `noBatch`: a batch was not understood, the rest of the round goes one by one. */
type Tally = { delivered: string[]; rejected: string[]; noBatch: boolean };

/** The per-item answers of a batch, or null when the body is not one for `n` items. */
function batchResults(body: string, n: number): Array<{ status: string; code: string | null; message: string }> | null {
  try {
    const v = JSON.parse(body) as { results?: unknown };
    if (!Array.isArray(v.results) || v.results.length !== n) return null;
    return v.results.map((r: unknown) => {
      const o = (typeof r === 'object' && r !== null ? r : {}) as { status?: unknown; error?: { code?: unknown; message?: unknown } };
      return {
        status: typeof o.status === 'string' ? o.status : 'rejected',
        code: typeof o.error?.code === 'string' ? o.error.code.slice(0, 64) : null,
        message: typeof o.error?.message === 'string' ? o.error.message.slice(0, 300) : '',
      };
    });
  } catch {
    return null;
  }
}

export class Sender {
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private readonly url: string;
  private retryAt = 0;
  /** Reports per batch the server takes: unknown (0) until an answer says (ccfleet-report-batch). */
  private batchMax = 0;
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
    const result: ResultOf = (outcome, retryInMs = null, message) => ({
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
      const auth: Auth = { token: got.token, renewed: false };
      const tally: Tally = { delivered, rejected, noBatch: false };
      let i = 0;
      while (i < entries.length) {
        if (this.abort.signal.aborted) return result('deferred', null, 'stopped');
        if (this.batchMax > 1 && !tally.noBatch && entries.length - i > 1) {
          const b = await this.sendBatch(http, entries, i, auth, tally, result);
          if (typeof b !== 'number') return b;
          if (b > 0) {
            i += b;
            continue;
          }
          // 0: the server does not take batches (or not this one): this report goes alone.
        }
        const stop = await this.sendOne(http, entries[i]!, auth, tally, result);
        if (stop !== null) return stop;
        i++;
      }
      this.succeeded();
      if (delivered.length > 0 || rejected.length > 0) this.o.log.info('reports sent', { delivered: delivered.length, rejected: rejected.length });
      return result('done');
    } finally {
      await http.close();
    }
  }

  /** POST with the token; one re-enrolment on the round's first 401. null: the round stops (returned result). */
  private async post(http: PostClient, body: Buffer, auth: Auth, result: ResultOf): Promise<PostOutcome | DeliveryResult> {
    let res = await http.post(this.url, body, { authorization: `Bearer ${auth.token.token}` });
    if (res.kind === 'response' && res.status === 401 && !auth.renewed) {
      auth.renewed = true;
      this.o.log.warn('the server refused the device token (401): enrolling again');
      const again = await this.o.enrollment.renew(http, auth.token);
      if (again.kind !== 'enrolled') return this.failed(result, again);
      auth.token = again.token;
      res = await http.post(this.url, body, { authorization: `Bearer ${auth.token.token}` });
    }
    return res;
  }

  /** One report on its own. null: go on with the next; else the round's result. */
  private async sendOne(http: PostClient, entry: SpoolEntry, auth: Auth, tally: Tally, result: ResultOf): Promise<DeliveryResult | null> {
    const { spool } = this.o;
    const item = spool.read(entry);
    if (item === null) return null; // sent by another process, or garbage (counted as dropped)
    const res = await this.post(http, item.body, auth, result);
    if (!('kind' in res)) return res;
    if (res.kind === 'failure') return this.stopRound(result, 'retry', `report ${entry.id}: ${res.message}`);
    const s = res.status;
    if (s >= 200 && s < 300) {
      this.learnBatch(res.headers);
      spool.remove(entry.id);
      tally.delivered.push(entry.id);
      this.o.log.debug('report delivered', { id: entry.id, status: s });
      return null;
    }
    const err = serverError(res.body);
    const what = `report ${entry.id}: HTTP ${s}${err.code ? ` ${err.code}` : ''}${err.message ? `: ${err.message}` : ''}`;
    if (REJECT.has(s)) {
      spool.remove(entry.id, { carry: item.spoolDropped });
      tally.rejected.push(entry.id);
      this.o.log.error(`the server refused a report for good; dropped (${what})`, { code: err.code, status: s });
      return null;
    }
    if (s === 401 || s === 403) return this.stopRound(result, 'blocked', `${what} — the server refuses this device; reports stay spooled`);
    const transient = s === 408 || s === 429 || s >= 500;
    return this.stopRound(result, transient ? 'retry' : 'blocked', what, retryAfterMs(res.headers, this.now()));
  }

  /**
   * Entries from `from` on, as one JSON array (at most batchMax reports and BATCH_BYTES; each report's exact
   * spooled bytes). Returns how many entries it dealt with (0: send the next one alone), or the round's result.
   */
  private async sendBatch(http: PostClient, entries: readonly SpoolEntry[], from: number, auth: Auth, tally: Tally, result: ResultOf): Promise<number | DeliveryResult> {
    const { spool } = this.o;
    const items: SpooledReport[] = [];
    let bytes = 2;
    let next = from;
    while (next < entries.length && items.length < this.batchMax) {
      const e = entries[next]!;
      if (items.length > 0 && bytes + e.bytes + 1 > BATCH_BYTES) break;
      next++;
      const item = spool.read(e);
      if (item === null) continue;
      items.push(item);
      bytes += item.body.length + 1;
    }
    if (items.length < 2) {
      // Nothing (or one) left worth a batch: the one goes alone, skipped (gone) ones are dealt with.
      return items.length === 0 ? next - from : 0;
    }
    const body = Buffer.concat([Buffer.from('['), ...items.flatMap((it, k) => (k === 0 ? [it.body] : [COMMA, it.body])), Buffer.from(']')]);
    const res = await this.post(http, body, auth, result);
    if (!('kind' in res)) return res;
    if (res.kind === 'failure') return this.stopRound(result, 'retry', `${items.length} reports: ${res.message}`);
    const s = res.status;
    const answers = s >= 200 && s < 300 ? batchResults(res.body, items.length) : null;
    if (answers === null) {
      if (s === 400 || s === 404 || s === 405 || s === 415 || (s >= 200 && s < 300)) {
        // An older server (no batches: it reads the array as one bad report) or an answer we cannot read.
        // Until an answer advertises batches again, and never again in this round (a mixed set of replicas).
        this.batchMax = 0;
        tally.noBatch = true;
        this.o.log.info(`the server does not take reports in batches (HTTP ${s}); sending them one by one`);
        return 0;
      }
      if (s === 413) return 0; // too big for this server: these go one by one (the next batch is tried again)
      const err = serverError(res.body);
      const what = `${items.length} reports: HTTP ${s}${err.code ? ` ${err.code}` : ''}${err.message ? `: ${err.message}` : ''}`;
      if (s === 401 || s === 403) return this.stopRound(result, 'blocked', `${what} — the server refuses this device; reports stay spooled`);
      const transient = s === 408 || s === 429 || s >= 500;
      return this.stopRound(result, transient ? 'retry' : 'blocked', what, retryAfterMs(res.headers, this.now()));
    }
    this.learnBatch(res.headers);
    let stop: { outcome: 'retry' | 'blocked'; what: string } | null = null;
    items.forEach((item, k) => {
      const a = answers[k]!;
      const id = item.entry.id;
      if (a.status === 'stored' || a.status === 'duplicate') {
        spool.remove(id);
        tally.delivered.push(id);
        return;
      }
      const what = `report ${id}: ${a.code ?? 'rejected'}${a.message ? `: ${a.message}` : ''}`;
      if (a.code !== null && DROP_CODES.has(a.code)) {
        spool.remove(id, { carry: item.spoolDropped });
        tally.rejected.push(id);
        this.o.log.error(`the server refused a report for good; dropped (${what})`, { code: a.code });
        return;
      }
      stop ??= { outcome: a.code === 'forbidden' ? 'blocked' : 'retry', what };
    });
    this.o.log.debug('reports delivered in a batch', { count: items.length });
    if (stop !== null) {
      const { outcome, what } = stop as { outcome: 'retry' | 'blocked'; what: string };
      return this.stopRound(result, outcome, outcome === 'blocked' ? `${what} — the server refuses this device; reports stay spooled` : what);
    }
    return next - from;
  }

  /** The server's `ccfleet-report-batch: <n>` (reports per batch it takes); absent: keep what we knew. */
  private learnBatch(headers: Record<string, string>): void {
    const v = headers[BATCH_HEADER];
    if (v === undefined) return;
    const n = /^\d{1,6}$/.test(v.trim()) ? Number(v) : 0;
    this.batchMax = Math.min(n, MAX_BATCH);
  }

  private failed(result: ResultOf, got: Exclude<EnrollOutcome, { kind: 'enrolled' }>): DeliveryResult {
    if (got.kind === 'refused') return this.stopRound(result, 'blocked', `${got.message} — reports stay spooled`);
    return this.stopRound(result, 'retry', got.message, got.retryAfterMs);
  }

  private stopRound(
    result: ResultOf,
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
