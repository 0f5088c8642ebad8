/**
 * `ccfleet policy <lint|keygen|sign|verify>`; keygen, sign and verify live in ./policy-keys-cmd.ts.
 * `ccfleet policy lint <file>`: validate a policy and print what a gateway admin should fix.
 * Exit 0: valid, no findings. Exit 1: valid, with at least one finding (error or warning — as linters
 * do, so a CI step fails until the policy is clean). Exit 2: not a valid policy (or bad usage).
 * `--json`: one document on stdout, also for an invalid policy (with the error's code and message).
 */
import { CcfleetError, isCcfleetError } from '../../core/errors.js';
import { lintPolicy } from '../../core/lint.js';
import { loadPolicy } from '../../agent/policy-source.js';
import type { CommonOptions } from '../args.js';
import { errorLine } from '../error-line.js';
import { table } from '../table.js';
import { keygenCommand, signCommand, USAGE, verifyCommand, type PolicyExtra } from './policy-keys-cmd.js';
import type { CommandResult } from './result.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Which per-command options (args.ts) each subcommand takes; any other given is a usage error. */
const OPTIONS: Record<string, readonly string[]> = {
  lint: [],
  keygen: ['out'],
  sign: ['key', 'out', 'force'],
  verify: ['sig', 'public-key', 'config'],
};

export async function policyCommand(rest: string[], opts: CommonOptions, extra: PolicyExtra = {}): Promise<CommandResult> {
  const [sub, ...args] = rest;
  const allowed = sub !== undefined && Object.hasOwn(OPTIONS, sub) ? OPTIONS[sub] : undefined;
  if (allowed === undefined) {
    const subs = Object.keys(USAGE).join(', ');
    throw new CcfleetError('USAGE', `${sub === undefined ? 'a policy subcommand is needed' : `unknown policy subcommand "${sub}"`}: ${subs} (e.g. ${USAGE.lint}; see ccfleet policy --help)`);
  }
  const given = { ...extra, config: opts.config };
  for (const [k, v] of Object.entries(given)) {
    if (v !== undefined && !(Array.isArray(v) && v.length === 0) && !allowed.includes(k)) throw new CcfleetError('USAGE', `--${k} does not apply to policy ${sub} (usage: ${USAGE[sub!]})`);
  }
  if (sub === 'keygen') return keygenCommand(args, opts, extra);
  if (sub === 'sign') return signCommand(args, opts, extra);
  if (sub === 'verify') return verifyCommand(args, opts, extra);
  const [file, ...more] = args;
  if (!file || more.length) throw new CcfleetError('USAGE', `usage: ${USAGE.lint}`);
  let policy;
  try {
    policy = await loadPolicy(file);
  } catch (e) {
    if (!opts.json || !isCcfleetError(e)) throw e;
    const doc = { file, valid: false, error: { code: e.code, message: e.message } };
    return { exitCode: e.exitCode, stdout: JSON.stringify(doc, null, 2) + '\n', stderr: errorLine(e) };
  }
  const findings = lintPolicy(policy);
  const errors = findings.filter((w) => w.severity === 'error').length;
  const warnings = findings.length - errors;
  const exitCode = findings.length === 0 ? 0 : 1;
  if (opts.json) {
    // `warnings` keeps its first meaning (every finding, errors included); `counts` tells them apart.
    const doc = { file, policy: { id: policy.id, version: policy.version }, valid: true, counts: { errors, warnings }, warnings: findings };
    return { exitCode, stdout: JSON.stringify(doc, null, 2) + '\n' };
  }
  const counts = findings.length === 0 ? 'valid, no findings' : `valid, with ${plural(errors, 'error')} and ${plural(warnings, 'warning')}`;
  const head = `${file}: policy ${policy.id} v${policy.version} — ${counts}`;
  if (findings.length === 0) return { exitCode, stdout: head + '\n' };
  const rows = findings.map((w) => [w.severity, w.code, w.field ?? '', w.message]);
  return { exitCode, stdout: `${head}\n\n${table(['SEVERITY', 'CODE', 'FIELD', 'MESSAGE'], rows)}\n` };
}
