/**
 * What the routes share: dependencies, limits, counters, auth and rate limiters — built once by createApp.
 * Also the small checks every route uses (method, device token, admin, rate limit, store calls).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminAuth } from './admin-auth.js';
import { DeviceAuth, type Device } from './device-auth.js';
import { isCcfleetError } from '../core/errors.js';
import { ApiError } from './errors.js';
import type { Exchange } from './exchange.js';
import { bearerToken } from './admin-auth.js';
import type { ServerLog } from './log.js';
import type { RouteId, ServerMetrics } from './metrics.js';
import type { PolicySource } from './policy-source.js';
import { RateLimiter, perMinute } from './rate-limit.js';
import { clientKey, clientOf, type ClientInfo, type TrustedProxies } from './client-address.js';
import { LOGIN_THROTTLE_DEFAULTS, LoginThrottle } from './login-throttle.js';
import type { Store } from './store/types.js';

export interface AppLimits {
  /** Largest report body (bytes); default 2 MiB. */
  reportBytes: number;
  /** Largest enrolment body; default 16 KiB. */
  enrollBytes: number;
  /** Per device, reports: per minute and burst; null: no limit. Default 60/min, burst 20. */
  reportRate: { perMinute: number; burst: number } | null;
  /**
   * `POST /v1/reports` with a JSON array (an agent draining its spool): at most `maxItems` reports a request
   * (default 100; the body limit is still `reportBytes`). The request counts once against `reportRate`;
   * its reports are charged to a second per-device bucket, `itemsPerMinute` (default 600) with
   * `itemsBurst` (default 1,000: a day offline at 1 a minute drains at once) — only when `reportRate` is set:
   * a server with per-device report limits off (`--rate-limit off`) charges batches nothing either.
   * null: arrays are refused (400 invalid-body, as before batches existed).
   */
  reportBatch: { maxItems: number; itemsPerMinute: number; itemsBurst: number } | null;
  /** Per device, policy requests (304s included). Default 60/min, burst 20. */
  policyRate: { perMinute: number; burst: number } | null;
  /**
   * How long a device token lookup is remembered (ms); default 10 minutes — longer than an agent's 5-minute
   * policy cadence (plus its jitter), so a fleet at cadence is answered from memory instead of one store
   * lookup per request. A re-enrolment through this replica forgets the old token at once; through another
   * replica, the old token keeps working here until its entry expires (device-auth.ts).
   */
  tokenCacheMs: number;
  /**
   * Per client (IP, or IPv6 /64), failed admin credentials — the dashboard's login form and admin Bearer
   * tokens: `burst` failures, then one every `refillSeconds` (login-throttle.ts). Default 5 / 30 s; null: off.
   */
  adminAuthThrottle: { burst: number; refillSeconds: number } | null;
}

/** The app's clock unless a test sets one. */
export const systemNow = (): Date => new Date();

export const DEFAULT_LIMITS: AppLimits = {
  reportBytes: 2 * 1024 * 1024,
  enrollBytes: 16 * 1024,
  reportRate: { perMinute: 60, burst: 20 },
  policyRate: { perMinute: 60, burst: 20 },
  reportBatch: { maxItems: 100, itemsPerMinute: 600, itemsBurst: 1000 },
  tokenCacheMs: 600_000,
  adminAuthThrottle: { burst: LOGIN_THROTTLE_DEFAULTS.burst, refillSeconds: LOGIN_THROTTLE_DEFAULTS.refillSeconds },
};

/** Called for every request outside /v1/, /metrics and /healthz. true: answered; false: 404. */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse, ctx: DashboardContext) => boolean | Promise<boolean>;

export interface DashboardContext {
  admin: AdminAuth;
  store: Store;
  /** Request path (no query) and the parsed query. */
  path: string;
  query: URLSearchParams;
  now: () => Date;
  /** The client's address and whether it came over HTTPS (trusted proxies' X-Forwarded-* believed). */
  client: ClientInfo;
  /**
   * The admin-credential throttle for this client: `check(via)` → 0 when it may present a token now, else
   * the seconds to wait (the refusal counted in /metrics); `failed()` after a wrong token.
   */
  adminThrottle: { check(via: 'login' | 'bearer'): number; failed(): void };
  /** The app's JSON error answer (`{ error: { code, message } }` with the API headers). */
  sendError: (code: import('./errors.js').ApiErrorCode, message: string, headers?: readonly string[]) => void;
}

export class AppState {
  readonly devices: DeviceAuth;
  readonly reportLimiter: RateLimiter | null;
  readonly policyLimiter: RateLimiter | null;
  /** Reports sent in batches, per device (limits.reportBatch). */
  readonly batchItemLimiter: RateLimiter | null;
  readonly adminThrottle: LoginThrottle | null;
  draining = false;
  private lastStoreError = 0;
  private suppressed = 0;

  constructor(
    readonly store: Store,
    readonly policy: PolicySource,
    readonly admin: AdminAuth,
    readonly enrollSecretHashes: readonly Buffer[],
    readonly metrics: ServerMetrics,
    readonly limits: AppLimits,
    readonly now: () => Date,
    readonly log: ServerLog,
    readonly version: string,
    readonly onMetrics: ((out: string[]) => void) | undefined,
    readonly dashboard: DashboardHandler | undefined,
    readonly trust: TrustedProxies,
  ) {
    const b = limits.reportBatch;
    if (b !== null && !(Number.isInteger(b.maxItems) && b.maxItems >= 2 && b.maxItems <= b.itemsBurst && b.itemsPerMinute > 0)) throw new RangeError('limits.reportBatch: maxItems must be an integer from 2 to itemsBurst, itemsPerMinute above 0');
    this.batchItemLimiter = b && limits.reportRate ? new RateLimiter(perMinute(b.itemsPerMinute, b.itemsBurst)) : null;
    this.adminThrottle = limits.adminAuthThrottle ? new LoginThrottle(limits.adminAuthThrottle) : null;
    this.devices = new DeviceAuth(store, limits.tokenCacheMs);
    this.reportLimiter = limits.reportRate ? new RateLimiter(perMinute(limits.reportRate.perMinute, limits.reportRate.burst)) : null;
    this.policyLimiter = limits.policyRate ? new RateLimiter(perMinute(limits.policyRate.perMinute, limits.policyRate.burst)) : null;
  }

  /** Milliseconds now: Date.now() itself with the system clock (no Date per call on the hot paths). */
  nowMs(): number {
    return this.now === systemNow ? Date.now() : this.now().getTime();
  }

  observe(route: RouteId, seconds: number): void {
    this.metrics.observe(route, seconds);
  }

  /**
   * A store call. A query the store refuses (INVALID_QUERY: a bad cursor) is 400 invalid-query; a report for
   * a device it does not know (DEVICE_UNKNOWN: deleted meanwhile) is 401; any other failure is 503
   * store-unavailable, logged (at most one line per 5 s).
   */
  async stored<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (isCcfleetError(e) && e.code === 'INVALID_QUERY') throw new ApiError('invalid-query', e.message);
      if (isCcfleetError(e) && e.code === 'DEVICE_UNKNOWN') throw new ApiError('unauthorized', 'this device is not enrolled (enroll again)');
      const now = Date.now();
      if (now - this.lastStoreError >= 5000) {
        this.log.error(`store error: ${(e as Error)?.message ?? String(e)}${this.suppressed ? ` (and ${this.suppressed} more since the last line)` : ''}`);
        this.lastStoreError = now;
        this.suppressed = 0;
      } else this.suppressed++;
      throw new ApiError('store-unavailable', 'the store is not available; try again later', ['retry-after', '5']);
    }
  }

  /** The device of the request's Bearer token when it is remembered (no store call), else undefined. */
  knownDevice(ex: Exchange): Device | undefined {
    const token = bearerToken(ex.req);
    return token === null ? undefined : this.devices.cached(token, this.nowMs());
  }

  /** The device of the request's Bearer token, or 401. */
  async device(ex: Exchange): Promise<Device> {
    const token = bearerToken(ex.req);
    const d = token === null ? null : await this.stored(this.devices.device(token, this.nowMs()));
    if (d === null) {
      this.metrics.authFailure('device');
      throw new ApiError('unauthorized', token === null ? 'a device token is required (Authorization: Bearer <token>)' : 'the device token is not valid (enroll again)', WWW_AUTH);
    }
    return d;
  }

  /** The request's client (cached on the exchange). */
  client(ex: Exchange): ClientInfo {
    return (ex.client ??= clientOf(ex.req, this.trust));
  }

  /** 0 when this client may present an admin token now, else the seconds to wait (counted). */
  adminWait(ex: Exchange, via: 'login' | 'bearer'): number {
    if (this.adminThrottle === null) return 0;
    const ms = this.adminThrottle.wait(clientKey(this.client(ex).ip), this.nowMs());
    if (ms === 0) return 0;
    this.metrics.throttledAdmin(via);
    return Math.max(1, Math.ceil(ms / 1000));
  }

  /** A wrong admin token from this client (logged once when its allowance runs out). */
  adminFailed(ex: Exchange): void {
    if (this.adminThrottle === null) return;
    const ip = this.client(ex).ip;
    const key = clientKey(ip);
    this.adminThrottle.failed(key, this.nowMs());
    if (this.adminThrottle.wait(key, this.nowMs()) > 0) this.log.warn(`admin credentials: too many wrong tokens from ${ip || 'an unknown address'}; its next attempts are refused (429) for a while`);
  }

  requireAdmin(ex: Exchange): void {
    const what = this.admin.presented(ex.req);
    if (what === 'bearer') {
      const wait = this.adminWait(ex, 'bearer');
      if (wait > 0) throw new ApiError('rate-limited', `too many wrong admin tokens from this address; retry in ${wait} s`, ['retry-after', String(wait)]);
    }
    if (this.admin.authenticate(ex.req)) return;
    this.metrics.authFailure('admin');
    if (what === 'bearer') this.adminFailed(ex);
    throw new ApiError('unauthorized', what === 'none' ? 'an admin token is required (Authorization: Bearer <token>, or the dashboard login)' : `the admin ${what === 'bearer' ? 'token' : 'session'} is not valid`, WWW_AUTH);
  }

  /** 429 with Retry-After when the device has used its allowance. */
  rateLimit(limiter: RateLimiter | null, deviceId: string, route: 'reports' | 'policy'): void {
    if (limiter === null) return;
    const wait = limiter.take(deviceId, this.nowMs());
    if (wait === 0) return;
    this.metrics.limited(route);
    const seconds = Math.max(1, Math.ceil(wait / 1000));
    throw new ApiError('rate-limited', `too many ${route === 'reports' ? 'reports' : 'policy requests'} from this device; retry in ${seconds} s`, ['retry-after', String(seconds)]);
  }
}

const WWW_AUTH = ['www-authenticate', 'Bearer realm="ccfleet"'] as const;

/** 405 unless the method is one of `methods` (HEAD is allowed wherever GET is). */
export function allow(ex: Exchange, ...methods: string[]): void {
  const m = ex.req.method ?? 'GET';
  if (m === methods[0] || methods.includes(m) || (m === 'HEAD' && methods.includes('GET'))) return;
  const list = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
  throw new ApiError('method-not-allowed', `${m} is not allowed here (allowed: ${list.join(', ')})`, ['allow', list.join(', ')]);
}
