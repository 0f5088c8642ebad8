/** Stand-alone entry of the write child (tests bundle it; the CLI routes `__write-as-user` to the same body). */
import { runWriteChild } from './write-child.js';

const chunks: Buffer[] = [];
process.stdin.on('data', (c: Buffer) => chunks.push(c));
process.stdin.on('end', () => {
  void runWriteChild(Buffer.concat(chunks).toString('utf8')).then((r) => {
    process.stdout.write(`${r.output}\n`);
    process.exitCode = r.exitCode;
  });
});
