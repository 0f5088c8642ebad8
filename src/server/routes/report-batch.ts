/**
 * A batch of reports in one `POST /v1/reports`: a JSON array of 1…maxItems `ccfleet.report/v1` reports —
 * how an agent back online drains its spool. The request passed the same checks as one report (token,
 * per-device request limit, content type, body size, JSON); then:
 *   400 invalid-body   not 1…maxItems items (nothing stored)
 *   429 rate-limited   the device's batch allowance (limits.reportBatch) has not room for all of them
 *                      (nothing stored; Retry-After says when it will)
 *   200 { results: [ { id, status: 'stored' | 'duplicate' } | { id, status: 'rejected', error: { code, message } } ] }
 *                      one entry per item, in order. Each item is checked on its own exactly like a single
 *                      report (raw-secret, invalid-body, forbidden): a bad one is rejected, the others stored.
 *   401 / 503          the store refused the batch (device deleted, store down): some items may be stored —
 *                      sending the batch again is safe (idempotent on each report's id).
 */
import { REPORT_SCHEMA, reportSchema } from '../../core/report-schema.js';
import { ApiError, type ApiErrorCode } from '../errors.js';
import { reportHasRawSecret } from '../raw-secret.js';
import type { AppState } from '../state.js';
import { firstIssue } from './issues.js';

export type BatchItemResult =
  | { id: string; status: 'stored' | 'duplicate' }
  | { id: string | null; status: 'rejected'; error: { code: ApiErrorCode; message: string } };

export async function ingestBatch(app: AppState, deviceId: string, items: unknown[], text: string, maxItems: number): Promise<BatchItemResult[]> {
  if (items.length === 0 || items.length > maxItems) throw new ApiError('invalid-body', `a batch holds 1 to ${maxItems} reports, not ${items.length}`);
  if (app.batchItemLimiter !== null) {
    const wait = app.batchItemLimiter.takeMany(deviceId, items.length, app.nowMs());
    if (wait > 0) {
      app.metrics.limited('reports');
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      throw new ApiError('rate-limited', `too many reports in batches from this device; retry in ${seconds} s`, ['retry-after', String(seconds)]);
    }
  }
  // One scan of the whole body rules out a raw secret in every item at once (the usual case).
  const anySecret = reportHasRawSecret(text, items);
  const receivedAt = app.now().toISOString();
  const results = await Promise.all(
    items.map(async (item): Promise<BatchItemResult> => {
      const id = idOf(item);
      const reject = (code: ApiErrorCode, message: string): BatchItemResult => {
        app.metrics.rejectReport(code);
        return { id, status: 'rejected', error: { code, message } };
      };
      if (anySecret && reportHasRawSecret(JSON.stringify(item), item)) return reject('raw-secret', 'the report holds what looks like a raw key or bearer token; agents send fingerprints (fp:…) only — refused, nothing stored');
      const r = reportSchema.safeParse(item);
      if (!r.success) return reject('invalid-body', `not a ${REPORT_SCHEMA} report: ${firstIssue(r.error)}`);
      if (r.data.deviceId !== deviceId) return reject('forbidden', `the report is for device ${r.data.deviceId}, but the token belongs to device ${deviceId}`);
      const status = await app.stored(app.store.addReport({ report: r.data, receivedAt }));
      if (status === 'stored') app.metrics.reportsStored++;
      else app.metrics.reportsDuplicate++;
      return { id: r.data.id, status };
    }),
  );
  return results;
}

function idOf(item: unknown): string | null {
  const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id.slice(0, 200) : null;
}
