// Mach-O ad-hoc signing and signature checks from the command line (src/ship/macho/cli.ts):
//   node scripts/ship/macho.mjs sign <in> <out> [--identifier com.ccfleet.agent]
//   node scripts/ship/macho.mjs verify <file> [--adhoc] [--json]
import { loadTs } from './load-ts.mjs';

const { main } = await loadTs('src/ship/macho/cli.ts', 'macho-cli');
process.exitCode = await main(process.argv.slice(2));
