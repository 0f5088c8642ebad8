/**
 * Judging the models a user really used (a UsageScan from src/agent/facts/transcripts.ts) against the
 * models the policy maps (`mappedModels(policy.env, policy.allowedModels)` from ./model.ts). Pure.
 *
 * - `lastUsedModel(scan, mapped)`: the newest use, with `mapped` true when its served or its requested id
 *   (both without `[1m]`) is one the policy maps; null when the scan found no use.
 * - `usageFindings(scan, mapped, now, windowDays = 7)`: one non-blocking `model-override-used` finding per
 *   distinct model, used within the window, that the policy does not map — judged by `requested` (what
 *   Claude Code asked for: a gateway may serve it under another id), or by `served` when the transcript
 *   has no `requestedModel`. Someone ran `--model`, or the session predates the policy. Newest first.
 *   "N session(s)" counts uses, and a scan keeps one use per (session, served, requested): a session served
 *   two different ids for the same requested model counts twice.
 */
import type { LastUsedModel, ModelUse, UsageScan } from './facts-types.js';
import { stripOneM } from './model.js';
import type { Finding } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

const timeOf = (u: ModelUse): number => {
  const t = Date.parse(u.at);
  return Number.isFinite(t) ? t : Number.NEGATIVE_INFINITY;
};

/** The id a use is judged by: what was requested, else what was served; without `[1m]`. */
export const judgedModel = (u: ModelUse): string => stripOneM(u.requested ?? u.served);

export function lastUsedModel(scan: UsageScan, mapped: ReadonlySet<string>): LastUsedModel | null {
  let newest: ModelUse | null = null;
  for (const u of scan.uses) if (newest === null || timeOf(u) > timeOf(newest)) newest = u;
  if (newest === null) return null;
  const { served, requested, at, cwd } = newest;
  const isMapped = mapped.has(stripOneM(served)) || (requested !== null && mapped.has(stripOneM(requested)));
  return { served, requested, at, cwd, mapped: isMapped };
}

export function usageFindings(scan: UsageScan, mapped: ReadonlySet<string>, now: Date, windowDays = 7): Finding[] {
  const days = Number.isFinite(windowDays) && windowDays > 0 ? windowDays : 7;
  const since = now.getTime() - days * DAY_MS;
  if (!Number.isFinite(since)) return []; // an invalid clock judges nothing
  const byModel = new Map<string, { n: number; last: ModelUse; lastMs: number }>();
  for (const u of scan.uses) {
    const t = timeOf(u);
    if (t < since) continue;
    const id = judgedModel(u);
    if (mapped.has(id)) continue;
    const seen = byModel.get(id);
    if (!seen) byModel.set(id, { n: 1, last: u, lastMs: t });
    else {
      seen.n++;
      if (t > seen.lastMs) Object.assign(seen, { last: u, lastMs: t });
    }
  }
  const sinceDate = new Date(since).toISOString().slice(0, 10);
  return [...byModel.entries()]
    .sort(([a, x], [b, y]) => y.lastMs - x.lastMs || (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, { n, last }]) => ({
      code: 'model-override-used',
      key: id,
      blocking: false,
      message: `${id} requested in ${n} session(s) since ${sinceDate}, last ${last.at} in ${last.cwd ?? 'an unknown folder'}`,
    }));
}
