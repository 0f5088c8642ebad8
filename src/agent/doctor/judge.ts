/**
 * Pure verdicts on what a gateway answered: one function per check, status + message. No I/O, no clock
 * (the local time is an argument). Text from the gateway is scrubbed by the caller's `scrub` before it
 * can reach a message.
 */
import type { CheckStatus } from './types.js';

export interface Verdict {
  status: CheckStatus;
  message: string;
}

export interface Answer {
  status: number;
  body: string;
}

/** GET <origin>/health — Bifrost answers 200 {"status":"ok"}. */
export function judgeHealth(a: Answer): Verdict {
  if (a.status === 200) return { status: 'ok', message: `GET /health: 200${statusField(a.body)}` };
  if (a.status === 404) return { status: 'skipped', message: 'GET /health: 404 — not a Bifrost /health' };
  return { status: 'problem', message: `GET /health: ${a.status}${statusField(a.body)} — the gateway says it is not healthy` };
}

/** GET <base>/v1/models with the credential. */
export function judgeModels(a: Answer, credential: string, scrub: (s: string) => string): Verdict {
  const why = errorMessage(a.body, scrub);
  if (a.status === 200) {
    const n = modelCount(a.body);
    return { status: 'ok', message: `GET /v1/models: 200${n === null ? '' : `, ${n} model${n === 1 ? '' : 's'}`} with ${credential}` };
  }
  if (a.status === 401 || a.status === 403) return { status: 'problem', message: `gateway rejects the credential (${credential}): ${a.status}${why}` };
  if (a.status === 429) return { status: 'problem', message: `gateway refuses the credential (${credential}): 429 — budget or rate limit reached${why}` };
  if (a.status === 404) return { status: 'warning', message: `GET /v1/models: 404 under the base URL — is the base path right?${why}` };
  if (a.status >= 500) return { status: 'problem', message: `GET /v1/models: ${a.status}${why}` };
  return { status: 'warning', message: `GET /v1/models: unexpected ${a.status}${why}` };
}

/** Bifrost's self-service quota route (GET <origin>/api/governance/virtual-keys/quota). */
export function judgeQuota(a: Answer, credential: string, scrub: (s: string) => string): Verdict {
  if (a.status === 404 || a.status === 405) return { status: 'skipped', message: `no virtual-key quota route (${a.status}) — not Bifrost, or governance is off` };
  if (a.status === 401 || a.status === 403) return { status: 'problem', message: `quota route rejects the credential (${credential}): ${a.status}${errorMessage(a.body, scrub)}` };
  if (a.status !== 200) return { status: 'problem', message: `quota route: ${a.status}${errorMessage(a.body, scrub)}` };
  const q = parseQuota(a.body);
  if (q === null) return { status: 'skipped', message: 'the quota route did not answer Bifrost\'s JSON — not Bifrost' };
  const name = q.name ? `virtual key "${scrub(q.name)}"` : 'virtual key';
  if (!q.active) return { status: 'problem', message: `${name} is inactive — the gateway refuses it` };
  const notes: string[] = [];
  let status: CheckStatus = 'ok';
  for (const b of q.budgets) {
    if (b.max <= 0) continue;
    const pct = Math.floor((b.used / b.max) * 100);
    const reset = b.reset ? `, resets every ${b.reset}` : '';
    if (b.used >= b.max) {
      status = 'problem';
      notes.push(`budget exhausted: ${b.used} of ${b.max} used${reset}`);
    } else if (pct >= 90) {
      if (status === 'ok') status = 'warning';
      notes.push(`budget ${pct}% used (${b.used} of ${b.max}${reset})`);
    } else notes.push(`budget ${pct}% used`);
  }
  for (const r of q.rateLimits) {
    if (r.used >= r.max) {
      if (status === 'ok') status = 'warning';
      notes.push(`${r.what} rate limit reached (${r.used} of ${r.max}${r.reset ? ` per ${r.reset}` : ''})`);
    }
  }
  if (q.budgets.length === 0) notes.push('no budget');
  return { status, message: `${name} active; ${notes.join('; ')}` };
}

/** The gateway's Date header against the local clock when the answer arrived. */
export function judgeClock(dateHeader: string | undefined, localMs: number): Verdict {
  if (!dateHeader) return { status: 'skipped', message: 'the gateway sent no Date header' };
  const remote = Date.parse(dateHeader);
  if (Number.isNaN(remote)) return { status: 'skipped', message: 'the gateway\'s Date header does not parse' };
  // Date has a one-second resolution: compare with the middle of its second.
  const skew = remote + 500 - localMs;
  const abs = Math.abs(skew);
  const said = `this machine's clock is ${duration(abs)} ${skew > 0 ? 'behind' : 'ahead of'} the gateway's`;
  if (abs > 5 * 60_000) return { status: 'problem', message: `${said} — TLS, tokens and budget resets go wrong; fix the time sync` };
  if (abs > 30_000) return { status: 'warning', message: `${said} — check the time sync` };
  return { status: 'ok', message: abs < 2_000 ? 'in step with the gateway\'s clock' : `within ${duration(abs)} of the gateway's clock` };
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} days`;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function statusField(body: string): string {
  const j = parseJson(body);
  return isRecord(j) && typeof j.status === 'string' ? ` ${JSON.stringify(j.status.slice(0, 40))}` : '';
}

function modelCount(body: string): number | null {
  const j = parseJson(body);
  return isRecord(j) && Array.isArray(j.data) ? j.data.length : null;
}

/** ` — <message>` from an Anthropic/Bifrost/OpenAI error body, scrubbed and shortened; '' when none. */
function errorMessage(body: string, scrub: (s: string) => string): string {
  const j = parseJson(body);
  let m: unknown;
  if (isRecord(j)) m = isRecord(j.error) ? j.error.message : typeof j.error === 'string' ? j.error : j.message;
  if (typeof m !== 'string' || m.trim() === '') return '';
  const one = scrub(m.replace(/\s+/g, ' ').trim());
  return ` — ${one.length > 200 ? `${one.slice(0, 199)}…` : one}`;
}

interface Quota {
  name: string | null;
  active: boolean;
  budgets: { max: number; used: number; reset: string | null }[];
  rateLimits: { what: 'token' | 'request'; max: number; used: number; reset: string | null }[];
}

/** Bifrost's quota JSON (docs.getbifrost.ai/api-reference/governance/get-virtual-key-quota), or null. */
export function parseQuota(body: string): Quota | null {
  const j = parseJson(body);
  if (!isRecord(j) || typeof j.is_active !== 'boolean') return null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const budgets: Quota['budgets'] = [];
  for (const b of Array.isArray(j.budgets) ? j.budgets : []) {
    if (!isRecord(b)) continue;
    const max = num(b.max_limit);
    const used = num(b.current_usage);
    if (max !== null && used !== null) budgets.push({ max, used, reset: str(b.reset_duration) });
  }
  const rateLimits: Quota['rateLimits'] = [];
  if (isRecord(j.rate_limit)) {
    for (const what of ['token', 'request'] as const) {
      const max = num(j.rate_limit[`${what}_max_limit`]);
      const used = num(j.rate_limit[`${what}_current_usage`]);
      if (max !== null && max > 0 && used !== null) rateLimits.push({ what, max, used, reset: str(j.rate_limit[`${what}_reset_duration`]) });
    }
  }
  return { name: str(j.virtual_key_name), active: j.is_active, budgets, rateLimits };
}
