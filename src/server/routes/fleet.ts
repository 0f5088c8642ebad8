/**
 * The fleet API (admin token or dashboard session), JSON for dashboards, SIEMs and scripts:
 *   GET /v1/fleet/summary            FleetSummary (store/types.ts) + generatedAt
 *   GET /v1/fleet/devices            { devices: DeviceRow[], nextCursor } — filters in fleet-query.ts
 *   GET /v1/fleet/devices/:id        { device, latest, history, events } — 404 for an unknown id
 *   GET /v1/fleet/trend              { since, bucket, points: TrendPoint[] }
 *   GET /v1/fleet/events             { events } — newest first (kind, device, limit)
 */
import { ApiError } from '../errors.js';
import type { Exchange } from '../exchange.js';
import { DEVICE_ID, deviceQuery, devicesQuery, eventsQuery, trendQuery } from '../fleet-query.js';
import { allow, type AppState } from '../state.js';

export async function summaryRoute(ex: Exchange, app: AppState): Promise<void> {
  allow(ex, 'GET');
  app.requireAdmin(ex);
  const summary = await app.stored(app.store.summary());
  ex.json(200, { ...summary, generatedAt: app.now().toISOString() });
}

export async function devicesRoute(ex: Exchange, app: AppState): Promise<void> {
  allow(ex, 'GET');
  app.requireAdmin(ex);
  const q = devicesQuery(ex.query, app.nowMs());
  const page = await app.stored(app.store.devices(q));
  ex.json(200, { devices: page.devices, nextCursor: page.nextCursor });
}

export async function deviceRoute(ex: Exchange, app: AppState, rawId: string): Promise<void> {
  allow(ex, 'GET');
  app.requireAdmin(ex);
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    throw new ApiError('not-found', 'no such device');
  }
  if (!DEVICE_ID.test(id)) throw new ApiError('not-found', 'no such device');
  const q = deviceQuery(ex.query);
  // One snapshot: a report arriving meanwhile is in latest, history and events, or in none of them.
  const d = await app.stored(app.store.device(id, q.history, q.events));
  if (d === null) throw new ApiError('not-found', `no device ${id}`);
  ex.json(200, { device: d.device, latest: d.latest, history: d.history, events: d.events });
}

export async function trendRoute(ex: Exchange, app: AppState): Promise<void> {
  allow(ex, 'GET');
  app.requireAdmin(ex);
  const q = trendQuery(ex.query, app.nowMs());
  const points = await app.stored(app.store.trend(q));
  ex.json(200, { since: q.since, bucket: q.bucket, points });
}

export async function eventsRoute(ex: Exchange, app: AppState): Promise<void> {
  allow(ex, 'GET');
  app.requireAdmin(ex);
  const q = eventsQuery(ex.query);
  const events = await app.stored(app.store.events(q));
  ex.json(200, { events });
}
