/**
 * `ccfleet.report/v1`: what an agent sends to the server (`POST /v1/reports`), shared by both sides. It is the
 * `check --json` document (src/agent/report-types.ts MachineReport) plus who sent it and when, the policy's
 * digest, and what happened since the last report. Validated with zod on the server: unknown fields are
 * dropped (newer agents may send more), known fields must have their shape, and every string and list is
 * bounded so one report cannot exhaust the store. Never a key or token: credentials are fingerprints
 * (`fp:…`) by construction on the agent, and the server refuses anything that looks like a raw key.
 */
import { z } from 'zod';

export const REPORT_SCHEMA = 'ccfleet.report/v1';

const str = (max: number) => z.string().max(max);
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits and . _ : - (at most 128)');
const iso = z.iso.datetime({ offset: true });

export const findingSchema = z.object({
  code: str(64),
  key: str(512).optional(),
  message: str(2000).optional(),
  blocking: z.boolean().optional(),
});

export const selectedModelSchema = z.object({
  requested: str(256).nullable(),
  resolved: str(256).nullable(),
  source: str(1024),
});

const claudeSchema = z.object({
  installs: z.array(z.object({ method: str(32), path: str(4096), version: str(64).nullable() })).max(64),
  version: str(64).nullable(),
  installMethod: str(32).nullable(),
  minVersion: str(64).nullable(),
  outdated: z.boolean().nullable(),
});

const authSchema = z.object({
  credential: str(32),
  source: str(1024).nullable(),
  fingerprint: z.string().regex(/^fp:[0-9a-f]{6,64}$/).nullable(),
  apiKeyHelper: str(4096).optional(),
  apiKeyResponse: z.enum(['approved', 'rejected', 'unanswered']).nullable(),
  oauthLogin: z.boolean(),
  headers: z.object({ authorization: str(32).nullable(), xApiKey: str(32).nullable() }),
  claudeJson: z.enum(['ok', 'absent', 'unreadable']),
});

const lastUsedSchema = z.object({
  served: str(256),
  requested: str(256).nullable(),
  at: str(64),
  cwd: str(4096).nullable(),
  mapped: z.boolean(),
});

export const projectReportSchema = z.object({
  path: str(4096),
  compliant: z.boolean(),
  selectedModel: selectedModelSchema,
  findings: z.array(findingSchema).max(200),
});

export const userReportSchema = z.object({
  name: str(256),
  compliant: z.boolean(),
  selectedModel: selectedModelSchema,
  findings: z.array(findingSchema).max(200),
  projects: z.array(projectReportSchema).max(5000),
  claude: claudeSchema.optional(),
  auth: authSchema.optional(),
  lastUsedModel: lastUsedSchema.nullable().optional(),
});

export const fileReportSchema = z.object({
  path: str(4096),
  scope: z.enum(['managed', 'user', 'project', 'local']),
  user: str(256).nullable(),
  project: str(4096).optional(),
  state: z.enum(['compliant', 'drifted', 'repaired', 'missing', 'unparseable', 'unsafe', 'error']),
  compliant: z.boolean().optional(),
  findings: z.array(findingSchema).max(200),
});

export const reportEventSchema = z.object({
  at: iso,
  kind: str(64),
  user: str(256).nullable().optional(),
  path: str(4096).optional(),
  codes: z.array(str(512)).max(50).optional(),
  message: str(2000).optional(),
});

export const reportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  /** Unique per report: the idempotency key (a redelivered report is stored once). */
  id,
  deviceId: id,
  createdAt: iso,
  hostname: str(255),
  agentVersion: str(64),
  os: z.object({ platform: z.enum(['linux', 'darwin', 'windows', 'wsl']), arch: str(32), release: str(128).optional() }),
  policy: z.object({ id: str(128), version: z.number().int().min(0), digest: z.string().regex(/^[0-9a-f]{64}$/).nullable().optional() }).nullable(),
  compliant: z.boolean(),
  managed: z.object({ compliant: z.boolean(), dir: str(4096), findings: z.array(findingSchema).max(200) }),
  users: z.array(userReportSchema).max(2000),
  files: z.array(fileReportSchema).max(50_000),
  /** What happened since the last delivered report (drift repaired, policy applied or rejected, contested…). */
  events: z.array(reportEventSchema).max(1000).default([]),
  /** Events that did not fit, and reports the spool had to drop (oldest first) since the last delivery. */
  eventsDropped: z.number().int().min(0).default(0),
  spoolDropped: z.number().int().min(0).default(0),
});

export type WireReport = z.output<typeof reportSchema>;
export type WireReportInput = z.input<typeof reportSchema>;

/** A raw gateway key in a report is a bug on the sending side: refused rather than stored. */
// `sk-` only where a key can start: not inside a word ("desk-organizer-project" is a folder, not a key).
export const RAW_SECRET = /((?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}|Bearer\s+[A-Za-z0-9._~+/-]{16,})/;
