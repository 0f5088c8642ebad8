/**
 * GET /v1/policy (enrolled device): the policy bytes exactly as signed, `ETag`, the signature in the
 * `ccfleet-signature` header, `cache-control: no-cache`; `If-None-Match` with the current ETag → 304 and no
 * body. No policy configured → 404. The hot path: the answer's headers are built once per policy.
 */
import { SIGNATURE_HEADER } from '../../agent/policy-signing.js';
import type { Device } from '../device-auth.js';
import { ApiError } from '../errors.js';
import type { Exchange } from '../exchange.js';
import type { ServedPolicy } from '../policy-source.js';
import { allow, type AppState } from '../state.js';

interface Heads {
  full: string[];
  notModified: string[];
}

const heads = new WeakMap<ServedPolicy, Heads>();

function headsOf(p: ServedPolicy): Heads {
  let h = heads.get(p);
  if (h === undefined) {
    const common = ['etag', p.etag, 'cache-control', 'no-cache', 'x-content-type-options', 'nosniff', ...(p.signature ? [SIGNATURE_HEADER, p.signature] : [])];
    h = {
      full: [...common, 'content-type', 'application/json; charset=utf-8', 'content-length', String(p.bytes.length)],
      notModified: common,
    };
    heads.set(p, h);
  }
  return h;
}

/** Synchronous when the device token is remembered (the common 304 case): no promise, no store call. */
export function policyRoute(ex: Exchange, app: AppState): Promise<void> | void {
  allow(ex, 'GET');
  const known = app.knownDevice(ex);
  if (known !== undefined) return serve(ex, app, known);
  return app.device(ex).then((d) => serve(ex, app, d));
}

function serve(ex: Exchange, app: AppState, device: Device): void {
  app.rateLimit(app.policyLimiter, device.id, 'policy');
  const p = app.policy.current();
  if (p === null) throw new ApiError('not-found', 'no policy is configured on this server');
  const h = headsOf(p);
  const inm = ex.req.headers['if-none-match'];
  if (inm !== undefined && etagMatches(inm, p.etag)) {
    app.metrics.policyServed.notModified++;
    ex.send(304, h.notModified);
    return;
  }
  app.metrics.policyServed.full++;
  ex.send(200, h.full, p.bytes);
}

/** RFC 9110 weak comparison against a list (`"a", W/"b"`) or `*`. */
export function etagMatches(header: string, etag: string): boolean {
  if (header === etag) return true;
  if (header.trim() === '*') return true;
  for (const part of header.split(',')) {
    const t = part.trim();
    if ((t.startsWith('W/') ? t.slice(2) : t) === etag) return true;
  }
  return false;
}
