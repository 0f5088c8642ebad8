/**
 * Crash-trial writer: replaces every `<target>` over and over in ONE writeFilesSafely batch per round,
 * each alternating between the two texts of `<texts.json>` (["old", "new"]), printing `ready` after its
 * first completed round. It runs until killed. The trusted folder of every target is `<trusted>`.
 * Usage: node crash-writer.cjs <texts.json> <trusted> <target>...
 */
import fs from 'node:fs';
import { writeFilesSafely, type WriteRequest } from '../../src/agent/safe-write.js';

async function main(): Promise<void> {
  const [textsFile, trusted, ...targets] = process.argv.slice(2);
  if (!textsFile || !trusted || targets.length === 0) throw new Error('usage: crash-writer <texts.json> <trusted> <target>...');
  const [a, b] = JSON.parse(fs.readFileSync(textsFile, 'utf8')) as [string, string];
  let ready = false;
  for (;;) {
    const reqs = targets.map((target): WriteRequest => {
      const st = fs.lstatSync(target);
      const next = fs.readFileSync(target, 'utf8') === a ? b : a;
      return { hostPath: target, text: next, owner: null, createMode: 0o644, trustedAncestor: trusted, expected: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } };
    });
    const results = await writeFilesSafely(reqs, { helper: null });
    const failed = results.find((r) => !r.ok);
    if (failed) {
      process.stderr.write(`${JSON.stringify(failed)}\n`);
      process.exit(3);
    }
    if (!ready) {
      ready = true;
      process.stdout.write('ready\n');
    }
  }
}

void main();
