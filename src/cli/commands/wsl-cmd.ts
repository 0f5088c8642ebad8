/**
 * `ccfleet wsl list | check | repair`: the WSL pass by hand (the daemon runs it by itself on Windows:
 * src/agent/wsl/wsl-service.ts). Same listing, same per-distribution run, same outcomes; the output is a
 * table or, with --json, `{ compliant, mode, distributions: [...], skipped, problem }`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { createLogger } from '../../agent/log.js';
import { reportingParts } from '../../agent/report/setup.js';
import { WslReporting } from '../../agent/wsl/distro-reporting.js';
import { CcfleetError } from '../../core/errors.js';
import { defaultWslExe, wslSettings } from '../../agent/wsl/config.js';
import { listDistros, type DistroList } from '../../agent/wsl/distros.js';
import type { DistroOutcome } from '../../agent/wsl/run-distro.js';
import { spawnRunner } from '../../agent/wsl/runner.js';
import { wslPass } from '../../agent/wsl/wsl-pass.js';
import { wslStatusPath, type WslDistroStatus } from '../../agent/wsl/wsl-service.js';
import type { CommonOptions } from '../args.js';
import type { Policy } from '../../core/policy-schema.js';
import { baseContext } from '../context.js';
import { commandPolicy } from '../policy-in-force.js';
import { table } from '../table.js';
import { VERSION } from '../version.js';
import type { CommandResult } from './result.js';

export async function wslCommand(rest: readonly string[], opts: CommonOptions, extra: Record<string, unknown>): Promise<CommandResult> {
  const [sub, ...more] = rest;
  if (sub !== 'list' && sub !== 'check' && sub !== 'repair') throw new CcfleetError('USAGE', `ccfleet wsl needs list, check or repair${sub === undefined ? '' : `, not "${sub}"`} (see ccfleet wsl --help)`);
  if (more.length > 0) throw new CcfleetError('USAGE', `unexpected argument "${more[0]}" (see ccfleet wsl --help)`);
  const distros = (extra.distro as string[] | undefined) ?? [];
  if (sub === 'list' && (distros.length > 0 || extra.report)) throw new CcfleetError('USAGE', `--${distros.length > 0 ? 'distro' : 'report'} applies to check and repair`);
  for (const d of distros) if (!/^[^\s\\/:"]{1,256}$/.test(d)) throw new CcfleetError('USAGE', `--distro "${d}" is not a distribution name`);
  const timeout = extra.timeout as string | undefined;
  if (timeout !== undefined && (!/^[0-9]+$/.test(timeout) || Number(timeout) < 15 || Number(timeout) > 3600)) throw new CcfleetError('USAGE', `--timeout must be whole seconds from 15 to 3600, got "${timeout}"`);

  const ctx = baseContext(opts);
  const s = wslSettings(ctx.config.wsl, process.execPath, process.arch);
  const wslExe = (extra['wsl-exe'] as string | undefined) ?? (process.platform === 'win32' ? defaultWslExe(process.env) : null);
  if (wslExe === null) throw new CcfleetError('USAGE', 'ccfleet wsl runs on Windows, where wsl.exe is (or name one with --wsl-exe)');
  const runner = spawnRunner({ command: [wslExe] });
  const selection = extra.all ? 'all' : s.selection;

  if (sub === 'list') {
    const list = await listDistros(runner, { selection, exclude: s.exclude });
    if (list.problem !== null) throw new CcfleetError('CONFIG_INVALID', `cannot list WSL distributions: ${list.problem}`);
    const last = readStatus(wslStatusPath(ctx.stateDir));
    if (opts.json) return { exitCode: 0, stdout: `${JSON.stringify({ selection, distributions: list.distros.map((name) => ({ name, last: last[name] ?? null })), skipped: list.skipped }, null, 2)}\n` };
    return { exitCode: 0, stdout: renderList(list, last, selection) };
  }

  if (extra.report && !ctx.config.server) throw new CcfleetError('CONFIG_INVALID', '--report needs "server" in the agent config (--config <agent.json>)');
  const policy = await commandPolicy(opts, ctx, sub === 'repair' ? 'repair' : 'check');
  const bytes = Buffer.from(JSON.stringify(policy));
  const r = await wslPass({
    runner,
    selection,
    exclude: s.exclude,
    only: distros,
    mode: sub,
    linuxExe: (extra['linux-exe'] as string | undefined) ?? s.linuxExe,
    policy: bytes,
    timeoutMs: timeout !== undefined ? Number(timeout) * 1000 : s.timeoutMs,
  });
  if (r.list.problem !== null) throw new CcfleetError('CONFIG_INVALID', `cannot list WSL distributions: ${r.list.problem}`);
  const compliant = r.outcomes.every((o) => o.kind === 'ok' && o.report.compliant);
  const sent = extra.report ? await reportOutcomes(r.outcomes, { opts, ctx, policy, bytes, mode: sub }) : null;
  const out = opts.json
    ? `${JSON.stringify({ compliant, mode: sub, distributions: r.outcomes.map(jsonOf), skipped: r.list.skipped, ...(sent ? { reports: sent } : {}) }, null, 2)}\n`
    : renderOutcomes(r.outcomes, r.list, selection);
  const note = sent && sent.pending > 0 ? `ccfleet: ${sent.pending} WSL report(s) spooled for later (the server could not take them now)\n` : '';
  return { exitCode: compliant ? 0 : 1, stdout: out, ...(note ? { stderr: note } : {}) };
}

/**
 * --report: each distribution reported as its own device (src/agent/wsl/distro-reporting.ts), with the
 * state dir's device id as the host's: tokens and spools under <state dir>/wsl/. Run as the Windows user
 * (a scheduled task), give --state-dir a folder of that user's.
 */
async function reportOutcomes(
  outcomes: readonly DistroOutcome[],
  o: { opts: CommonOptions; ctx: ReturnType<typeof baseContext>; policy: Policy; bytes: Buffer; mode: 'check' | 'repair' },
): Promise<{ built: number; pending: number }> {
  const log = createLogger({ logDir: null, console: o.opts.json ? 'json' : 'plain', level: 'warn' });
  const parts = reportingParts({ config: o.ctx.config, stateDir: o.ctx.stateDir, platform: 'windows', agentVersion: VERSION, userAgent: `ccfleet/${VERSION} (${os.platform()}; wsl)`, log });
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const reporting = new WslReporting({ server: parts.server, enrollSecret: o.ctx.config.enrollSecret, stateDir: o.ctx.stateDir, http: parts.http, host: () => ({ ...parts.identity(), agentVersion: VERSION, arch }), log });
  try {
    const digest = createHash('sha256').update(o.bytes).digest('hex');
    const r = await reporting.report(outcomes, { policy: { id: o.policy.id, version: o.policy.version }, digest, homePaths: o.policy.report?.homePaths ?? 'full', mode: o.mode });
    return { built: [...r.decisions.values()].filter((d) => d === 'spooled').length, pending: r.remaining };
  } finally {
    await reporting.stop();
    await log.close();
  }
}

const jsonOf = (o: DistroOutcome) =>
  o.kind === 'ok'
    ? { name: o.distro, outcome: 'ok', compliant: o.report.compliant, exitCode: o.exitCode, kernel: o.kernel, ms: o.ms, report: o.report }
    : { name: o.distro, outcome: 'error', compliant: false, code: o.code, message: o.message, exitCode: o.exitCode, kernel: o.kernel, ms: o.ms };

function renderOutcomes(outcomes: readonly DistroOutcome[], list: DistroList, selection: string): string {
  if (outcomes.length === 0) return `No ${selection === 'running' ? 'running ' : ''}WSL distribution to look at${skippedNote(list)}.\n`;
  const rows = outcomes.map((o) => {
    if (o.kind === 'error') return [o.distro, 'ERROR', `${o.code}: ${o.message}`];
    const m = o.report;
    const repaired = m.files.filter((f) => f.state === 'repaired').length;
    const bad = m.users.filter((u) => !u.compliant).map((u) => u.name);
    const note = [repaired > 0 ? `${repaired} file(s) repaired` : '', bad.length > 0 ? `not compliant: ${bad.join(', ')}` : '', !m.managed.compliant ? 'managed tier not compliant' : ''].filter(Boolean).join('; ');
    return [o.distro, m.compliant ? 'compliant' : 'NOT COMPLIANT', note || `${m.users.length} user(s)`];
  });
  return `${table(['DISTRIBUTION', 'VERDICT', 'DETAIL'], rows)}\n${skippedNote(list) ? `Skipped${skippedNote(list)}.\n` : ''}`;
}

function renderList(list: DistroList, last: Record<string, WslDistroStatus>, selection: string): string {
  if (list.distros.length === 0) return `No ${selection === 'running' ? 'running ' : ''}WSL distribution${skippedNote(list)}.\n`;
  const rows = list.distros.map((n) => {
    const l = last[n];
    return [n, l ? (l.kind === 'error' ? `error ${l.code ?? ''}` : l.compliant ? 'compliant' : 'NOT COMPLIANT') : '-', l?.at ?? '-'];
  });
  return `${table(['DISTRIBUTION', 'LAST VERDICT (service)', 'AT'], rows)}\n${skippedNote(list) ? `Skipped${skippedNote(list)}.\n` : ''}`;
}

const skippedNote = (list: DistroList): string => (list.skipped.length === 0 ? '' : `: ${list.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}`);

/** The service's last results; absent or unreadable: none. */
function readStatus(file: string): Record<string, WslDistroStatus> {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as { distributions?: Record<string, WslDistroStatus> };
    return v.distributions && typeof v.distributions === 'object' ? v.distributions : {};
  } catch {
    return {};
  }
}
