/**
 * `ccfleet __write-as-user [--serve]`: the uid-dropped write child (write-child.ts). Its own module, loaded on
 * demand before anything else of the CLI, so a child starts without the rest of the program (it is started
 * once per user by the daemon's writer pool, and again whenever the pool had to end it).
 */
import { createInterface } from 'node:readline';
import { runWriteChild, serveWriteChild } from '../agent/write-child.js';
import type { CommandResult } from './commands/result.js';

export async function writeChildCommand(argv: readonly string[]): Promise<CommandResult> {
  if (argv[1] === '--serve') {
    // The long-lived form (writer-pool.ts): batches on stdin lines until stdin ends.
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    await serveWriteChild(lines, (line) => process.stdout.write(`${line}\n`));
    return { exitCode: 0, stdout: '' };
  }
  const r = await runWriteChild(await readStdin());
  return { exitCode: r.exitCode, stdout: r.output + '\n' };
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}
