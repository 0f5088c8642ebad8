/**
 * The CLI entry point: the only place that writes to stdout/stderr for a command and sets the exit code.
 * Errors become one line `ccfleet: <CODE>: <message>` on stderr and exit 2 (or the error's own code).
 */
import { CcfleetError, isCcfleetError } from '../core/errors.js';
import { run } from './run.js';
import type { CommandResult } from './commands/result.js';

async function main(): Promise<void> {
  let result: CommandResult;
  try {
    result = await run(process.argv.slice(2));
  } catch (e) {
    const err = isCcfleetError(e) ? e : new CcfleetError('INTERNAL', (e as Error)?.stack ?? String(e));
    process.stderr.write(`ccfleet: ${err.code}: ${err.message}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}

void main();
