/**
 * The CLI entry point: the only place that writes to stdout/stderr for a command and sets the exit code.
 * Errors become one line `ccfleet: <CODE>: <message>` on stderr and exit 2 (or the error's own code); an
 * unexpected exception is INTERNAL, with its stack on the following lines only when CCFLEET_DEBUG is set.
 */
import { CcfleetError, isCcfleetError } from '../core/errors.js';
import { errorLine } from './error-line.js';
import type { CommandResult } from './commands/result.js';

async function main(): Promise<void> {
  let result: CommandResult;
  const argv = process.argv.slice(2);
  try {
    // Loaded on demand: the daemon's write child (started per user) needs none of the commands' code.
    if (argv[0] === '__write-as-user') result = await (await import('./write-child-cmd.js')).writeChildCommand(argv);
    else result = await (await import('./run.js')).run(argv);
  } catch (e) {
    const err = isCcfleetError(e) ? e : new CcfleetError('INTERNAL', `${(e as Error)?.message ?? String(e)} (a bug: set CCFLEET_DEBUG=1 for the stack)`);
    process.stderr.write(errorLine(err));
    if (!isCcfleetError(e) && process.env.CCFLEET_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
  if (result.exitNow) process.exit(result.exitCode);
}

void main();
