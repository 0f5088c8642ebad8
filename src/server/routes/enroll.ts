/**
 * POST /v1/enroll  { enrollSecret, deviceId?, hostname? } → 201 { deviceId, token }
 * The secret is hashed and compared with every configured enrolment secret (constant time). A device that
 * gives its id (re-enrolment after a 401, or its first enrolment with the id from its state dir) keeps it;
 * otherwise the server picks a UUID. The new token replaces any earlier one of that device; only its
 * sha256 is stored. Anyone holding an enrolment secret can enrol under any id: keep secrets per fleet and
 * rotate them (several may be configured at once).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { hashSecret, matchesAny } from '../admin-auth.js';
import { readJsonBody } from '../body.js';
import { newDeviceToken, tokenHashHex } from '../device-auth.js';
import { ApiError } from '../errors.js';
import type { Exchange } from '../exchange.js';
import { DEVICE_ID } from '../fleet-query.js';
import { allow, type AppState } from '../state.js';
import { firstIssue } from './issues.js';

const enrollSchema = z.object({
  enrollSecret: z.string().min(1).max(1024),
  deviceId: z.string().regex(DEVICE_ID, 'letters, digits and . _ : - (at most 128)').optional(),
  hostname: z.string().max(255).optional(),
});

export async function enrollRoute(ex: Exchange, app: AppState): Promise<void> {
  allow(ex, 'POST');
  const { value } = await readJsonBody(ex, app.limits.enrollBytes);
  // A wrong secret is a 401 whatever else is wrong (and its value is never echoed); a missing one is a 400.
  const secret = typeof value === 'object' && value !== null ? (value as { enrollSecret?: unknown }).enrollSecret : undefined;
  if (typeof secret === 'string' && secret !== '' && !matchesAny(hashSecret(secret), app.enrollSecretHashes)) refuse(app);
  const r = enrollSchema.safeParse(value);
  if (!r.success) throw new ApiError('invalid-body', firstIssue(r.error));
  const deviceId = r.data.deviceId ?? randomUUID();
  const token = newDeviceToken();
  await app.stored(app.store.enroll({ id: deviceId, tokenHash: tokenHashHex(token), hostname: r.data.hostname ?? '', at: app.now().toISOString() }));
  app.devices.forget(deviceId);
  app.metrics.enrollments++;
  ex.json(201, { deviceId, token });
}

function refuse(app: AppState): never {
  app.metrics.authFailure('enroll');
  throw new ApiError('unauthorized', 'the enrolment secret is not valid');
}
