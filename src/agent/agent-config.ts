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

export const agentConfigSchema = z
  .object({
    $schema: z.string().optional(),
    server: z.url({ protocol: /^https?$/ }).optional().describe('ccfleet server; reports go to <server>/v1/reports'),
    enrollSecret: z.string().min(1).optional(),
    policy: z.string().min(1).optional().describe('a policy file path or http(s) URL instead of <server>/v1/policy'),
    policyPublicKeys: z.array(z.string().min(1)).optional(),
    stateDir: z.string().min(1).optional(),
    logDir: z.string().min(1).optional(),
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
