/** Dispatches a command line to its command; returns what to print and the exit code (testable, no process I/O). */
import { CcfleetError } from '../core/errors.js';
import { parseCommandLine } from './args.js';
import { HELP } from './help.js';
import { guardForeignPlatform } from './platform-guard.js';
import { VERSION } from './version.js';
import { reconcileCommand } from './commands/reconcile-cmd.js';
import { policyCommand } from './commands/policy-cmd.js';
import { restoreCommand } from './commands/restore-cmd.js';
import type { CommandResult } from './commands/result.js';

export async function run(argv: readonly string[]): Promise<CommandResult> {
  if (argv[0] === '__write-as-user') return (await import('./write-child-cmd.js')).writeChildCommand(argv);
  const p = parseCommandLine(argv);
  if (p.opts.help) return { exitCode: 0, stdout: (HELP[p.command] ?? HELP.main) + '\n' };
  if (p.command === 'help') {
    const [topic, ...more] = p.rest;
    if (more.length > 0 || (topic !== undefined && HELP[topic] === undefined)) throw new CcfleetError('USAGE', `no help on "${p.rest.join(' ')}" (see ccfleet --help)`);
    return { exitCode: 0, stdout: HELP[topic ?? 'main'] + '\n' };
  }
  if (p.command !== 'policy' && p.command !== 'version') guardForeignPlatform(p.opts);
  switch (p.command) {
    case 'version':
      return { exitCode: 0, stdout: `ccfleet ${VERSION}\n` };
    case 'check':
    case 'repair':
    case 'status':
      return reconcileCommand(p.command, p.opts);
    case 'doctor': {
      // Loaded on demand: its HTTP client (undici) would cost every other command ~50 ms of start-up.
      const { doctorCommand } = await import('./commands/doctor-cmd.js');
      return doctorCommand(p.opts, p.extra);
    }
    case 'policy':
      return policyCommand(p.rest, p.opts, p.extra);
    case 'report': {
      // Loaded on demand, like doctor and daemon (undici).
      const { reportCommand } = await import('./commands/report-cmd.js');
      return reportCommand(p.opts, p.extra);
    }
    case 'daemon': {
      const { daemonCommand } = await import('./commands/daemon-cmd.js');
      return daemonCommand(p.opts, p.extra);
    }
    case 'server': {
      // Loaded on demand: the server's code (and node:sqlite or pg) is for this command only.
      const { serverCommand } = await import('./commands/server-cmd.js');
      return serverCommand(p.opts, p.extra);
    }
    case 'service': {
      const { serviceCommand } = await import('./commands/service-cmd.js');
      return serviceCommand(p.rest, p.opts, p.extra);
    }
    case 'wsl': {
      const { wslCommand } = await import('./commands/wsl-cmd.js');
      return wslCommand(p.rest, p.opts, p.extra);
    }
    case 'restore':
      return restoreCommand(p.opts, p.extra);
    default:
      throw new CcfleetError('USAGE', `unknown command "${p.command}" (see ccfleet --help)`);
  }
}
