// Entry bundled by bench/run.mjs: a reconcile loop as the daemon runs it, in one process, so repeated
// passes can use the inspect cache (what "warm" means for a long-running agent).
import { parsePolicyText } from '../src/core/policy-load.js';
import { InspectCache } from '../src/agent/inspect-cache.js';
import { reconcile } from '../src/agent/reconcile.js';
import { platformFor } from '../src/platform/index.js';
import { createNodeFsView } from '../src/platform/node-fs-view.js';
import fs from 'node:fs';

export async function passes(root: string, policyFile: string, n: number): Promise<{ ms: number; files: number; compliant: boolean }[]> {
  const policy = parsePolicyText(fs.readFileSync(policyFile, 'utf8'), policyFile);
  const platform = platformFor('linux');
  const cache = new InspectCache();
  const deps = { platform, fs: createNodeFsView(root, 'linux'), root, facts: {}, backups: null, writeDeps: { helper: null }, uid: process.getuid?.(), cache };
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await reconcile({ policy, mode: 'check' }, deps);
    out.push({ ms: Math.round((performance.now() - t) * 10) / 10, files: r.files.length, compliant: r.compliant });
  }
  return out;
}
