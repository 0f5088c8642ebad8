/**
 * The ccfleet server as one request handler on node:http (no framework):
 *
 *   const app = createApp({ store, adminTokenHashes: [hashSecret(t)], enrollSecretHashes: [hashSecret(s)], policy });
 *   http.createServer(app).listen(0);
 *
 * Routes (docs: src/server/README.md; the contract: shared CONTRACT.md "HTTP"):
 *   GET  /healthz                 anyone            200 when the store answers, else 503
 *   POST /v1/enroll               enrolment secret  201 { deviceId, token }
 *   GET  /v1/policy               device token      signed policy bytes; ETag / If-None-Match → 304
 *   POST /v1/reports              device token      202 { id, status: stored | duplicate }
 *   GET  /v1/fleet/summary | devices | devices/:id | trend | events      admin
 *   GET  /metrics                 scrapers          Prometheus text, ccfleet_* only
 *   anything else outside /v1/    deps.dashboard (the dashboard page), else 404
 * Every refusal is `{ "error": { "code", "message" } }` (errors.ts) and changes nothing in the store.
 * The returned function also carries the counters (`metrics`), the admin auth the dashboard's login form
 * uses (`admin`), `drain()` (answers close their connections: graceful shutdown) and `close()` (timers).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VERSION } from '../cli/version.js';
import { createAdminAuth, type AdminAuth } from './admin-auth.js';
import { ClientGone } from './body.js';
import { trustedProxies } from './client-address.js';
import { ApiError, isApiError } from './errors.js';
import { Exchange } from './exchange.js';
import { silentLog, type ServerLog } from './log.js';
import { ServerMetrics } from './metrics.js';
import type { PolicySource } from './policy-source.js';
import { enrollRoute } from './routes/enroll.js';
import { deviceRoute, devicesRoute, eventsRoute, summaryRoute, trendRoute } from './routes/fleet.js';
import { healthRoute, metricsRoute } from './routes/health.js';
import { policyRoute } from './routes/policy.js';
import { reportsRoute } from './routes/reports.js';
import { AppState, DEFAULT_LIMITS, systemNow, type AppLimits, type DashboardHandler } from './state.js';
import type { Store } from './store/types.js';

export type { AppLimits, DashboardContext, DashboardHandler } from './state.js';

export interface AppDeps {
  store: Store;
  /** sha256 digests (32 bytes each) of the admin tokens: `hashSecret(token)`. */
  adminTokenHashes: readonly Buffer[];
  /** sha256 digests of the enrolment secrets. */
  enrollSecretHashes: readonly Buffer[];
  policy: PolicySource;
  now?: () => Date;
  limits?: Partial<AppLimits>;
  /** Appends extra exposition lines (each series named ccfleet_…) to every /metrics answer. */
  onMetrics?: (out: string[]) => void;
  /** Another way to be an admin (e.g. a reverse proxy's SSO header you trust); tried after token and cookie. */
  authenticateAdmin?: (req: IncomingMessage) => boolean;
  /** Key of the session cookie's HMAC; default: derived from the admin token digests. */
  sessionKey?: Buffer;
  /** Session lifetime; default 12 h. */
  sessionTtlSeconds?: number;
  /** Answers everything outside /v1/, /metrics and /healthz (the dashboard). */
  dashboard?: DashboardHandler;
  /**
   * Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or CIDR ranges,
   * client-address.ts); default none. Decides the client address of the admin throttle and whether a
   * request came over HTTPS (the dashboard's Secure cookie).
   */
  trustProxy?: readonly string[];
  log?: ServerLog;
}

export interface App {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly metrics: ServerMetrics;
  readonly admin: AdminAuth;
  /** From now on every answer closes its connection (call before server.close()). */
  drain(): void;
  /** Stops the app's timers (rate-limit sweeps). */
  close(): void;
}

export function createApp(deps: AppDeps): App {
  for (const h of deps.enrollSecretHashes) if (h.length !== 32) throw new TypeError('enrolment secret hashes must be sha256 digests (32 bytes): use hashSecret');
  const now = deps.now ?? systemNow;
  const log = deps.log ?? silentLog;
  const admin = createAdminAuth({
    tokenHashes: deps.adminTokenHashes,
    nowMs: () => now().getTime(),
    ...(deps.sessionKey ? { sessionKey: deps.sessionKey } : {}),
    ...(deps.sessionTtlSeconds ? { ttlSeconds: deps.sessionTtlSeconds } : {}),
    ...(deps.authenticateAdmin ? { extra: deps.authenticateAdmin } : {}),
  });
  const metrics = new ServerMetrics();
  const limits: AppLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const trust = trustedProxies(deps.trustProxy ?? []);
  const app = new AppState(deps.store, deps.policy, admin, deps.enrollSecretHashes, metrics, limits, now, log, VERSION, deps.onMetrics, deps.dashboard, trust);

  const sweep = setInterval(() => {
    const t = app.nowMs();
    app.reportLimiter?.sweep(t);
    app.policyLimiter?.sweep(t);
    app.adminThrottle?.sweep(t);
    app.batchItemLimiter?.sweep(t);
  }, 60_000);
  sweep.unref();

  const onError = (ex: Exchange, e: unknown): void => {
    if (isApiError(e)) return ex.fail(e);
    if (e instanceof ClientGone) {
      ex.res.destroy();
      return;
    }
    log.error(`${ex.req.method ?? '?'} ${ex.path}: internal error: ${(e as Error)?.stack ?? String(e)}`);
    ex.error('internal', 'internal error');
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const t0 = performance.now();
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.slice(0, qi);
    const ex = new Exchange(req, res, app, 'not_found', t0, path, qi < 0 ? '' : url.slice(qi + 1));
    let p: Promise<void> | void;
    try {
      p = route(ex, path);
    } catch (e) {
      onError(ex, e);
      return;
    }
    if (p !== undefined) p.then(undefined, (e: unknown) => onError(ex, e));
  };

  /** Dispatches by path; a route answers synchronously (void) or later (a promise). */
  const route = (ex: Exchange, path: string): Promise<void> | void => {
    switch (path) {
      case '/v1/reports':
        ex.route = 'reports';
        return reportsRoute(ex, app);
      case '/v1/policy':
        ex.route = 'policy';
        return policyRoute(ex, app);
      case '/v1/enroll':
        ex.route = 'enroll';
        return enrollRoute(ex, app);
      case '/healthz':
        ex.route = 'healthz';
        return healthRoute(ex, app);
      case '/metrics':
        ex.route = 'metrics';
        return metricsRoute(ex, app);
      case '/v1/fleet/summary':
        ex.route = 'fleet_summary';
        return summaryRoute(ex, app);
      case '/v1/fleet/devices':
        ex.route = 'fleet_devices';
        return devicesRoute(ex, app);
      case '/v1/fleet/trend':
        ex.route = 'fleet_trend';
        return trendRoute(ex, app);
      case '/v1/fleet/events':
        ex.route = 'fleet_events';
        return eventsRoute(ex, app);
      default:
        if (path.startsWith('/v1/fleet/devices/') && path.length > 18 && path.indexOf('/', 18) < 0) {
          ex.route = 'fleet_device';
          return deviceRoute(ex, app, path.slice(18));
        }
        if (path === '/v1' || path.startsWith('/v1/') || !app.dashboard) {
          throw new ApiError('not-found', `no route ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`);
        }
        ex.route = 'dashboard';
        return dashboardRoute(ex, app, app.dashboard);
    }
  };

  return Object.assign(handler, {
    metrics,
    admin,
    drain: () => {
      app.draining = true;
    },
    close: () => clearInterval(sweep),
  });
}

async function dashboardRoute(ex: Exchange, app: AppState, dashboard: DashboardHandler): Promise<void> {
  const handled = await dashboard(ex.req, ex.res, {
    admin: app.admin,
    store: app.store,
    path: ex.path,
    query: new URLSearchParams(ex.query),
    now: app.now,
    client: app.client(ex),
    adminThrottle: { check: (via) => app.adminWait(ex, via), failed: () => app.adminFailed(ex) },
    sendError: (code, message, headers) => ex.error(code, message, headers),
  });
  if (!handled) throw new ApiError('not-found', 'no such page');
  if (!ex.answered) app.observe('dashboard', (performance.now() - ex.t0) / 1000);
}
