/** Stand-alone entry of the write child (tests bundle it; the CLI routes `__write-as-user` to the same body). */
import { createInterface } from 'node:readline';
import { runWriteChild, serveWriteChild } from './write-child.js';

if (process.argv.includes('--serve')) {
  void serveWriteChild(createInterface({ input: process.stdin, crlfDelay: Infinity }), (line) => process.stdout.write(`${line}\n`));
} else {
  const chunks: Buffer[] = [];
  process.stdin.on('data', (c: Buffer) => chunks.push(c));
  process.stdin.on('end', () => {
    void runWriteChild(Buffer.concat(chunks).toString('utf8')).then((r) => {
      process.stdout.write(`${r.output}\n`);
      process.exitCode = r.exitCode;
    });
  });
}
