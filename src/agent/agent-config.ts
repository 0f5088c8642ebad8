/**
 * The agent configuration MDM admins write (`agent.json`): where the policy comes from, which server to
 * report to, which keys may sign a policy. JSONC; unknown keys are errors (a typo must not silently
 * disable something). Errors name the file, line, column and field (code CONFIG_INVALID, exit 2).
 */
import fs from 'node:fs';
import { parse as parseJsonc, parseTree, findNodeAtLocation, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import { CcfleetError } from '../core/errors.js';
import { lineCol } from '../core/text-position.js';
import { parsePublicKey } from './policy-signing.js';
import { parseCronSpec } from '../core/cron-spec.js';
import { wslConfigSchema } from './wsl/config.js';

/** A public key as given (base64 raw or PEM SPKI), normalised to base64 of the raw 32 bytes. */
const publicKeySchema = z.string().min(1).transform((s, ctx) => {
  try {
    return parsePublicKey(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

/**
 * The shape of a cron string: five or six fields (seconds optional) of digits, names and * , - / ? L W #, or
 * an @-macro. Field values are checked where the schedule is built (src/core/cron-spec.ts, cron-parser).
 */
const CRON = /^\s*(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9A-Za-z*?,/#-]+(\s+[0-9A-Za-z*?,/#-]+){4,5})\s*$/;

export const agentConfigSchema = z
  .object({
    $schema: z.string().optional(),
    server: z.url({ protocol: /^https?$/ }).optional().describe('ccfleet server; reports go to <server>/v1/reports'),
    enrollSecret: z.string().min(1).optional(),
    policy: z.string().min(1).optional().describe('a policy file path or http(s) URL instead of <server>/v1/policy'),
    policySignatureUrl: z
      .string()
      .min(1)
      .optional()
      .describe('where the policy signature is fetched (file path or http(s) URL) instead of the ccfleet-signature header or <policy>.sig'),
    policyPublicKeys: z.array(publicKeySchema).optional().describe('when present and not empty, only policies signed by one of these ed25519 keys apply'),
    caFile: z.string().min(1).optional().describe('extra trusted CA certificates (PEM) for the policy and report HTTPS connections'),
    policyRefresh: z
      .object({
        cron: z
          .string()
          .regex(CRON, 'must be a cron expression of 5 or 6 fields (e.g. "*/5 * * * *") or an @-macro ("@hourly")')
          .superRefine((s, ctx) => {
            const r = parseCronSpec(s);
            if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
          })
          .optional(),
        jitterSeconds: z.number().int().min(0).max(86_400).optional(),
      })
      .strict()
      .optional()
      .describe('when the daemon pulls the policy (default every 5 minutes) and the random delay added to each pull'),
    resyncCron: z
      .string()
      .superRefine((v, ctx) => {
        const r = parseCronSpec(v);
        if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
      })
      .optional()
      .describe('when the daemon re-checks every user in full, as a cron expression (default: the policy\'s schedule.resync, else every 15 minutes)'),
    resyncMinutes: z.number().min(1).max(24 * 60).optional().describe('the full resync as a plain interval in minutes instead of a cron expression (±10% jitter)'),
    repairRateLimit: z
      .object({ burst: z.number().int().min(1).max(1000).optional(), perMinute: z.number().min(0.01).max(600).optional(), contestGapSeconds: z.number().min(0.1).max(3600).optional() })
      .strict()
      .optional()
      .describe('repairs of one file the daemon may make in a burst, then per minute, before it reports the file contested (default 10, then 6 per minute); a file not found contested for contestGapSeconds (default 15) starts a new contest: a new event and log line'),
    reportCron: z
      .string()
      .superRefine((v, ctx) => {
        const r = parseCronSpec(v);
        if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
      })
      .optional()
      .describe('the heartbeat report as a cron expression (with reportJitterSeconds of random delay), instead of heartbeatMinutes'),
    reportJitterSeconds: z.number().int().min(0).max(86_400).optional().describe('random delay added to each reportCron heartbeat (default 300)'),
    heartbeatMinutes: z.number().min(1).max(7 * 24 * 60).optional().describe('a report at least this often even when nothing changed (default 60, ±10%)'),
    reportDebounceSeconds: z
      .number()
      .min(0)
      .max(3600)
      .optional()
      .describe('a change (verdict, model, events) is reported after this many seconds of quiet (default 5)'),
    watch: z.enum(['native', 'polling']).optional().describe('"polling" for homes on network filesystems where native watches are not delivered'),
    logLevel: z.enum(['error', 'warn', 'info', 'debug']).optional(),
    stateDir: z.string().min(1).optional(),
    logDir: z.string().min(1).optional(),
    wsl: wslConfigSchema.optional(),
  })
  .strict();

export type AgentConfig = z.output<typeof agentConfigSchema>;

/** Reads an agent config. `required` false: an absent file at the default path is an empty config. */
export function loadAgentConfig(file: string, required: boolean): AgentConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return {};
    throw new CcfleetError('CONFIG_INVALID', `${file}: cannot read agent config (${code ?? (e as Error).message})`);
  }
  const body = text.replace(/^\ufeff/, '');
  const errors: ParseError[] = [];
  const raw: unknown = parseJsonc(body, errors, { allowTrailingComma: true });
  if (errors.length) {
    const at = lineCol(body, errors[0]!.offset);
    throw new CcfleetError('CONFIG_INVALID', `${file}:${at.line}:${at.column}: agent config is not valid JSONC (${printParseErrorCode(errors[0]!.error)})`);
  }
  const r = agentConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  const tree = parseTree(body, [], { allowTrailingComma: true });
  const issue = r.error.issues[0]!;
  // An unknown key is reported at the key itself, named as a field ("polcy: unknown key").
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const p = [...issue.path.map((x) => (typeof x === 'symbol' ? String(x) : x)), ...(unknown !== undefined ? [unknown] : [])];
  const node = tree ? findNodeAtLocation(tree, p) ?? tree : undefined;
  const at = lineCol(body, (unknown !== undefined ? node?.parent?.offset : undefined) ?? node?.offset ?? 0);
  const message = unknown !== undefined ? `unknown key${issue.code === 'unrecognized_keys' && issue.keys.length > 1 ? ` (also: ${issue.keys.slice(1).join(', ')})` : ''}` : issue.message;
  throw new CcfleetError('CONFIG_INVALID', `${file}:${at.line}:${at.column}: ${p.join('.') || '(top level)'}: ${message}`);
}
