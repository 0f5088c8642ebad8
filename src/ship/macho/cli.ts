/**
 * `sign <in> <out> [--identifier ID]` — ad-hoc sign a Mach-O (thin or universal); the output is
 *   written to a temporary file beside <out> (mode 0755) and renamed over it. Verified before rename.
 * `verify <file> [--adhoc] [--json]` — check the embedded signature; `--adhoc` also requires it to be
 *   ad-hoc. Exit 0 valid, 1 invalid, 2 usage or unreadable input.
 *
 * Build scripts run it through scripts/ship/macho.mjs (bundled by esbuild): `main(args)` returns the exit
 * code and never calls process.exit.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { adhocSign } from './adhoc-sign.js';
import { MachoError } from './errors.js';
import { formatReport } from './report-text.js';
import { verifyAdhoc, verifySignature } from './verify.js';

export const DEFAULT_IDENTIFIER = 'com.ccfleet.agent';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = 'usage: macho sign <in> <out> [--identifier ID] | macho verify <file> [--adhoc] [--json]';

export async function main(args: string[], io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  const flags = new Set(args.filter((a) => a.startsWith('--') && a !== '--identifier'));
  const idAt = args.indexOf('--identifier');
  const identifier = idAt >= 0 ? args[idAt + 1] : DEFAULT_IDENTIFIER;
  const positional = args.filter((a, i) => !a.startsWith('--') && !(idAt >= 0 && i === idAt + 1));
  const [command, ...files] = positional;
  try {
    if (command === 'sign' && files.length === 2 && identifier && [...flags].length === 0) {
      const [input, output] = files as [string, string];
      const unsigned = new Uint8Array(readFileSync(input));
      const t0 = performance.now();
      const signed = adhocSign(unsigned, identifier);
      const ms = performance.now() - t0;
      const report = verifyAdhoc(signed);
      if (!report.ok) {
        io.err(formatReport(output, report));
        return 1;
      }
      writeAtomically(output, signed);
      io.out(`signed ${output} (${signed.byteLength} bytes, ${report.slices.map((s) => s.arch).join('+')}, identifier ${identifier}) in ${ms.toFixed(0)} ms`);
      return 0;
    }
    if (command === 'verify' && files.length === 1 && [...flags].every((f) => f === '--adhoc' || f === '--json') && idAt < 0) {
      const bin = new Uint8Array(readFileSync(files[0]!));
      const report = flags.has('--adhoc') ? verifyAdhoc(bin) : verifySignature(bin);
      io.out(flags.has('--json') ? JSON.stringify(report, null, 2) : formatReport(files[0]!, report));
      return report.ok ? 0 : 1;
    }
    io.err(USAGE);
    return 2;
  } catch (e) {
    if (e instanceof MachoError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`macho: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}

function writeAtomically(path: string, data: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never follows or reuses an existing name; the mode is set explicitly (umask aside).
  const fd = openSync(tmp, 'wx', 0o755);
  let open = true;
  try {
    fchmodSync(fd, 0o755);
    for (let off = 0; off < data.byteLength; ) off += writeSync(fd, data, off);
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    renameSync(tmp, path);
  } catch (e) {
    if (open) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
