/**
 * Runs once before the suite. As root with a checkout other uids cannot reach, copies Node and the CLI
 * bundle to a world-readable temp folder (see test/support/runtime.ts) and removes it afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function othersCanReach(file: string): boolean {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return false;
    if (path.dirname(dir) === dir) return true;
  }
}

export default function setup(): (() => void) | undefined {
  const bundle = path.resolve(__dirname, '..', 'dist', 'ccfleet.cjs');
  if (process.getuid?.() !== 0 || (othersCanReach(process.execPath) && othersCanReach(bundle))) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-test-runtime-'));
  fs.chmodSync(dir, 0o755);
  const node = path.join(dir, 'node');
  fs.copyFileSync(process.execPath, node);
  fs.chmodSync(node, 0o755);
  process.env.CCFLEET_TEST_NODE = node;
  if (fs.existsSync(bundle)) {
    const copy = path.join(dir, 'ccfleet.cjs');
    fs.copyFileSync(bundle, copy);
    fs.chmodSync(copy, 0o644);
    process.env.CCFLEET_TEST_BUNDLE = copy;
  }
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
