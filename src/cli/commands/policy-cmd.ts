/** `ccfleet policy lint <file>`: validate a policy and print what a gateway admin should fix. */
import { CcfleetError } from '../../core/errors.js';
import { lintPolicy } from '../../core/lint.js';
import { loadPolicy } from '../../agent/policy-source.js';
import type { CommonOptions } from '../args.js';
import { table } from '../table.js';
import type { CommandResult } from './result.js';

export async function policyCommand(rest: string[], opts: CommonOptions): Promise<CommandResult> {
  const [sub, file, ...more] = rest;
  if (sub !== 'lint') throw new CcfleetError('USAGE', `unknown policy subcommand "${sub ?? ''}" (try: ccfleet policy lint <file>)`);
  if (!file || more.length) throw new CcfleetError('USAGE', 'usage: ccfleet policy lint <file>');
  const policy = await loadPolicy(file);
  const warnings = lintPolicy(policy);
  const exitCode = warnings.length === 0 ? 0 : 1;
  if (opts.json) return { exitCode, stdout: JSON.stringify({ policy: { id: policy.id, version: policy.version }, valid: true, warnings }, null, 2) + '\n' };
  if (warnings.length === 0) return { exitCode, stdout: `${file}: policy ${policy.id} v${policy.version} is valid; no warnings\n` };
  const rows = warnings.map((w) => [w.severity, w.code, w.field ?? '', w.message]);
  return { exitCode, stdout: `${file}: policy ${policy.id} v${policy.version} is valid; ${warnings.length} warning(s)\n\n${table(['SEVERITY', 'CODE', 'FIELD', 'MESSAGE'], rows)}\n` };
}
