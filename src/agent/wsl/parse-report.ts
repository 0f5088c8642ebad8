/**
 * The Linux executable's `repair --json` / `check --json` document, read back on the Windows side. Only
 * its shape is checked here — the fields the report builder and the human output read — and the parsed
 * document itself is kept whole (newer Linux agents may add fields). Anything else (not JSON, a JSON of
 * another shape, a second document) is `null` with the reason: the distribution's result is then an
 * error, never a verdict.
 */
import { z } from 'zod';
import type { MachineReport } from '../report-types.js';

const finding = z.object({ code: z.string() }).loose();
const model = z.object({ requested: z.string().nullable(), resolved: z.string().nullable(), source: z.string() }).loose();
const user = z
  .object({
    name: z.string(),
    home: z.string(),
    compliant: z.boolean(),
    selectedModel: model,
    findings: z.array(finding),
    projects: z.array(z.object({ path: z.string(), compliant: z.boolean(), selectedModel: model, findings: z.array(finding) }).loose()),
    claude: z.object({ installs: z.array(z.object({}).loose()) }).loose(),
    auth: z.object({ credential: z.string(), headers: z.object({}).loose() }).loose(),
    lastUsedModel: z.object({ served: z.string() }).loose().nullable(),
  })
  .loose();
const machine = z
  .object({
    compliant: z.boolean(),
    mode: z.enum(['check', 'repair', 'dry-run']),
    policy: z.object({ id: z.string(), version: z.number() }).loose(),
    managed: z.object({ compliant: z.boolean(), dir: z.string(), findings: z.array(finding) }).loose(),
    users: z.array(user),
    files: z.array(z.object({ path: z.string(), scope: z.string(), user: z.string().nullable(), state: z.string(), findings: z.array(finding) }).loose()),
    summary: z.object({}).loose(),
  })
  .loose();

export type ParsedMachine = { ok: true; report: MachineReport } | { ok: false; reason: string };

export function parseMachineReport(text: string): ParsedMachine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON (${(e as Error).message.slice(0, 120)})` };
  }
  const r = machine.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, reason: `not a ccfleet report: ${i.path.join('.') || '(top level)'}: ${i.message}` };
  }
  return { ok: true, report: raw as MachineReport };
}
