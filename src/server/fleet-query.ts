/**
 * Query strings of the fleet API, validated: an unknown parameter, a bad value or a limit out of range is a
 * 400 `invalid-query` naming the parameter (a typo never silently widens a query).
 *   devices  state=compliant|noncompliant|stale, model, user, stale-since=<ISO time | hours>, q (search),
 *            limit (1–500, default 100), cursor
 *   trend    since=<ISO time | hours> (default 168 h), bucket=hour|day (default hour up to 72 h, else day)
 *   events   kind, device, limit (1–500, default 100)
 *   device   history (1–500, default 50), events (1–500, default 50)
 */
import { ApiError } from './errors.js';
import type { DeviceQuery, DeviceState } from './store/types.js';

const STATES: readonly DeviceState[] = ['compliant', 'noncompliant', 'stale'];
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const HOURS = /^\d{1,7}(\.\d{1,6})?$/;
export const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const MAX_LIMIT = 500;
const MAX_TREND_POINTS = 5000;

type Params = Map<string, string>;

/** Parameters by name; a repeated or unknown parameter is refused. */
export function params(query: string, allowed: readonly string[]): Params {
  const out: Params = new Map();
  for (const [k, v] of new URLSearchParams(query)) {
    if (!allowed.includes(k)) throw bad(`unknown parameter "${k.slice(0, 64)}" (allowed: ${allowed.join(', ') || 'none'})`);
    if (out.has(k)) throw bad(`parameter "${k}" given twice`);
    out.set(k, v);
  }
  return out;
}

export function devicesQuery(query: string, nowMs: number): DeviceQuery {
  const p = params(query, ['state', 'model', 'user', 'stale-since', 'q', 'limit', 'cursor']);
  const q: DeviceQuery = { limit: limit(p, 'limit', 100) };
  const state = p.get('state');
  if (state !== undefined) {
    if (!STATES.includes(state as DeviceState)) throw bad(`state must be one of ${STATES.join(', ')}`);
    q.state = state as DeviceState;
  }
  for (const [name, key] of [['model', 'model'], ['user', 'user'], ['q', 'search']] as const) {
    const v = text(p, name, 256);
    if (v !== undefined) q[key] = v;
  }
  const since = time(p, 'stale-since', nowMs);
  if (since !== undefined) q.staleSince = since;
  const cursor = text(p, 'cursor', 1024);
  if (cursor !== undefined) q.cursor = cursor;
  return q;
}

export function trendQuery(query: string, nowMs: number): { since: string; bucket: 'hour' | 'day' } {
  const p = params(query, ['since', 'bucket']);
  const since = time(p, 'since', nowMs) ?? new Date(nowMs - 168 * 3_600_000).toISOString();
  const spanHours = Math.max(0, (nowMs - Date.parse(since)) / 3_600_000);
  const b = p.get('bucket');
  if (b !== undefined && b !== 'hour' && b !== 'day') throw bad('bucket must be hour or day');
  const bucket = b ?? (spanHours <= 72 ? 'hour' : 'day');
  if (spanHours / (bucket === 'hour' ? 1 : 24) > MAX_TREND_POINTS) throw bad(`since is too far back for ${bucket} buckets (at most ${MAX_TREND_POINTS} points)`);
  return { since, bucket };
}

export function eventsQuery(query: string): { kind?: string; deviceId?: string; limit: number } {
  const p = params(query, ['kind', 'device', 'limit']);
  const out: { kind?: string; deviceId?: string; limit: number } = { limit: limit(p, 'limit', 100) };
  const kind = text(p, 'kind', 64);
  if (kind !== undefined) out.kind = kind;
  const device = p.get('device');
  if (device !== undefined) {
    if (!DEVICE_ID.test(device)) throw bad('device is not a device id');
    out.deviceId = device;
  }
  return out;
}

export function deviceQuery(query: string): { history: number; events: number } {
  const p = params(query, ['history', 'events']);
  return { history: limit(p, 'history', 50), events: limit(p, 'events', 50) };
}

function limit(p: Params, name: string, dflt: number): number {
  const v = p.get(name);
  if (v === undefined) return dflt;
  if (!/^[0-9]{1,6}$/.test(v) || Number(v) < 1 || Number(v) > MAX_LIMIT) throw bad(`${name} must be a whole number from 1 to ${MAX_LIMIT}`);
  return Number(v);
}

function text(p: Params, name: string, max: number): string | undefined {
  const v = p.get(name);
  if (v === undefined) return undefined;
  if (v === '' || v.length > max) throw bad(`${name} must be 1 to ${max} characters`);
  return v;
}

/** An ISO time, or a number of hours before now; as an ISO string. */
function time(p: Params, name: string, nowMs: number): string | undefined {
  const v = p.get(name);
  if (v === undefined) return undefined;
  if (HOURS.test(v)) return new Date(nowMs - Number(v) * 3_600_000).toISOString();
  const t = ISO.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) throw bad(`${name} must be an ISO time (2025-01-31T12:00:00Z) or a number of hours`);
  return new Date(t).toISOString();
}

const bad = (message: string): ApiError => new ApiError('invalid-query', message);
