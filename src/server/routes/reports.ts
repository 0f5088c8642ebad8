/**
 * POST /v1/reports (Bearer device token) → 202 { id, status: 'stored' | 'duplicate' }.
 * Checks, in order, each refusal counted in ccfleet_reports_rejected_total{reason} and changing nothing:
 *   401 unauthorized · 429 rate-limited (per device) · 415 unsupported-media-type · 413 too-large (while
 *   streaming) · 400 bad-json · 400 raw-secret (a raw key or bearer token anywhere in the body) ·
 *   400 invalid-body (ccfleet.report/v1; the first issue's path in the message) · 403 forbidden (the body's
 *   deviceId is not the token's device) · 503 store-unavailable.
 * Idempotent on the report's id: a redelivery is 202 'duplicate' and stores nothing.
 * A JSON array is a batch (report-batch.ts: one answer per report). Every 2xx answer says how many
 * reports a batch may hold, `ccfleet-report-batch: <n>`, so agents learn that batches are welcome.
 */
import { REPORT_SCHEMA, reportSchema } from '../../core/report-schema.js';
import { readJsonBody, ClientGone } from '../body.js';
import { ApiError, isApiError } from '../errors.js';
import type { Exchange } from '../exchange.js';
import { reportHasRawSecret } from '../raw-secret.js';
import { allow, type AppState } from '../state.js';
import { firstIssue } from './issues.js';
import { ingestBatch } from './report-batch.js';

export const BATCH_HEADER = 'ccfleet-report-batch';

export async function reportsRoute(ex: Exchange, app: AppState): Promise<void> {
  try {
    await ingest(ex, app);
  } catch (e) {
    app.metrics.rejectReport(e instanceof ClientGone ? 'client-gone' : isApiError(e) ? e.code : 'internal');
    throw e;
  }
}

async function ingest(ex: Exchange, app: AppState): Promise<void> {
  allow(ex, 'POST');
  const device = await app.device(ex);
  app.rateLimit(app.reportLimiter, device.id, 'reports');
  const { value, text } = await readJsonBody(ex, app.limits.reportBytes);
  const advertise = app.limits.reportBatch ? [BATCH_HEADER, String(app.limits.reportBatch.maxItems)] : [];
  if (Array.isArray(value) && app.limits.reportBatch) {
    ex.json(200, { results: await ingestBatch(app, device.id, value, text, app.limits.reportBatch.maxItems) }, advertise);
    return;
  }
  if (reportHasRawSecret(text, value)) {
    throw new ApiError('raw-secret', 'the report holds what looks like a raw key or bearer token; agents send fingerprints (fp:…) only — refused, nothing stored');
  }
  const r = reportSchema.safeParse(value);
  if (!r.success) throw new ApiError('invalid-body', `not a ${REPORT_SCHEMA} report: ${firstIssue(r.error)}`);
  if (r.data.deviceId !== device.id) throw new ApiError('forbidden', `the report is for device ${r.data.deviceId}, but the token belongs to device ${device.id}`);
  const status = await app.stored(app.store.addReport({ report: r.data, receivedAt: app.now().toISOString() }));
  if (status === 'stored') app.metrics.reportsStored++;
  else app.metrics.reportsDuplicate++;
  ex.json(202, { id: r.data.id, status }, advertise);
}
