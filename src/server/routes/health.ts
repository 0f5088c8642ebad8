/**
 * GET /healthz (anyone): 200 { status: 'ok', store } when the store answers a ping, else 503
 * store-unavailable. GET /metrics (scrapers, no token): the Prometheus text (metrics.ts); the fleet gauges
 * are left out, and ccfleet_store_up is 0, when the store does not answer.
 */
import { API_HEADERS, type Exchange } from '../exchange.js';
import { ApiError } from '../errors.js';
import { allow, type AppState } from '../state.js';

export async function healthRoute(ex: Exchange, app: AppState): Promise<void> {
  allow(ex, 'GET');
  const ok = await app.store.ping().catch(() => false);
  if (!ok) throw new ApiError('store-unavailable', 'the store does not answer', ['retry-after', '5']);
  ex.json(200, { status: 'ok', store: app.store.kind });
}

export async function metricsRoute(ex: Exchange, app: AppState): Promise<void> {
  allow(ex, 'GET');
  const summary = await app.store.summary().catch((e: unknown) => {
    app.log.warn(`metrics: the store did not answer (${(e as Error)?.message ?? String(e)})`);
    return null;
  });
  const extra: string[] = [];
  try {
    app.onMetrics?.(extra);
  } catch (e) {
    app.log.warn(`metrics: onMetrics failed (${(e as Error).message})`);
    extra.length = 0;
  }
  const p = app.policy.current();
  const body = app.metrics.render({ summary, storeKind: app.store.kind, policy: p ? { id: p.id, version: p.version } : null, version: app.version, extra });
  ex.send(200, [...API_HEADERS, 'content-type', 'text/plain; version=0.0.4; charset=utf-8', 'content-length', String(Buffer.byteLength(body))], body);
}
