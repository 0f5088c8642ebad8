/**
 * Crash-trial writer: replaces `<target>` over and over through writeFileSafely, alternating between
 * the two texts of `<texts.json>` (["old", "new"]), printing `ready` after its first completed write.
 * It runs until killed. Usage: node crash-writer.cjs <target> <texts.json>
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileSafely } from '../../src/agent/safe-write.js';

async function main(): Promise<void> {
  const [target, textsFile] = process.argv.slice(2);
  if (!target || !textsFile) throw new Error('usage: crash-writer <target> <texts.json>');
  const [a, b] = JSON.parse(fs.readFileSync(textsFile, 'utf8')) as [string, string];
  let ready = false;
  for (;;) {
    const st = fs.lstatSync(target);
    const next = fs.readFileSync(target, 'utf8') === a ? b : a;
    const r = await writeFileSafely(
      { hostPath: target, text: next, owner: null, createMode: 0o644, trustedAncestor: path.dirname(target), expected: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } },
      { helper: null },
    );
    if (!r.ok) {
      process.stderr.write(`${JSON.stringify(r)}\n`);
      process.exit(3);
    }
    if (!ready) {
      ready = true;
      process.stdout.write('ready\n');
    }
  }
}

void main();
