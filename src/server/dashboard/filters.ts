/**
 * The device list's filters from the page's query string. Unlike the fleet API (which refuses anything odd
 * with a 400) a form is forgiving: empty fields and unknown parameters are ignored, a value out of range is
 * dropped and named in `ignored`, so the page can say so.
 *   q (hostname or id substring) · state · model · user · silent (hours without a report) · cursor
 */
import type { DeviceQuery, DeviceState } from '../store/types.js';

export const STATES: readonly DeviceState[] = ['compliant', 'noncompliant', 'stale'];
export const SILENT_CHOICES: ReadonlyArray<[string, string]> = [
  ['1', '1 hour'],
  ['6', '6 hours'],
  ['24', '24 hours'],
  ['168', '7 days'],
  ['720', '30 days'],
];

export interface Filters {
  q?: string;
  state?: DeviceState;
  model?: string;
  user?: string;
  silent?: string;
}

export const PAGE_SIZE = 50;

function text(query: URLSearchParams, name: string, max: number, ignored: string[]): string | undefined {
  const v = query.get(name)?.trim();
  if (v === undefined || v === '') return undefined;
  if (v.length > max) {
    ignored.push(name);
    return undefined;
  }
  return v;
}

export function parseFilters(query: URLSearchParams): { filters: Filters; cursor?: string; ignored: string[] } {
  const ignored: string[] = [];
  const filters: Filters = {};
  const q = text(query, 'q', 256, ignored);
  if (q !== undefined) filters.q = q;
  const state = text(query, 'state', 32, ignored);
  if (state !== undefined) {
    if (STATES.includes(state as DeviceState)) filters.state = state as DeviceState;
    else ignored.push('state');
  }
  for (const name of ['model', 'user'] as const) {
    const v = text(query, name, 256, ignored);
    if (v !== undefined) filters[name] = v;
  }
  const silent = text(query, 'silent', 8, ignored);
  if (silent !== undefined) {
    if (SILENT_CHOICES.some(([h]) => h === silent)) filters.silent = silent;
    else ignored.push('silent');
  }
  const cursor = text(query, 'cursor', 1024, ignored);
  return cursor === undefined ? { filters, ignored } : { filters, cursor, ignored };
}

export function storeQuery(f: Filters, cursor: string | undefined, nowMs: number, limit = PAGE_SIZE): DeviceQuery {
  const q: DeviceQuery = { limit };
  if (f.state !== undefined) q.state = f.state;
  if (f.model !== undefined) q.model = f.model;
  if (f.user !== undefined) q.user = f.user;
  if (f.q !== undefined) q.search = f.q;
  if (f.silent !== undefined) q.staleSince = new Date(nowMs - Number(f.silent) * 3_600_000).toISOString();
  if (cursor !== undefined) q.cursor = cursor;
  return q;
}

/** The filters as query parameters (for links that keep them). */
export function filterParams(f: Filters): Record<string, string | undefined> {
  return { q: f.q, state: f.state, model: f.model, user: f.user, silent: f.silent };
}

export const hasFilters = (f: Filters): boolean => Object.values(filterParams(f)).some((v) => v !== undefined);
