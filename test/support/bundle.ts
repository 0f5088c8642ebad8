/**
 * Bundles a TypeScript entry into one CommonJS file with esbuild (the same settings as scripts/build.mjs),
 * so tests can run pieces of ccfleet as real child processes before the CLI bundle exists. The output
 * folder is 0755 and the file 0644: a child running as another uid must be able to load it.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testNode } from './runtime.js';

/** The checkout holding this package (found upwards from the working folder, as npm and vitest run there). */
function repoRoot(): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ccfleet') return dir;
    if (path.dirname(dir) === dir) throw new Error('run from inside the ccfleet checkout');
  }
}

export const repoFile = (rel: string): string => path.join(repoRoot(), rel);

export interface Bundle {
  file: string;
  /** argv prefix that runs the bundle with this Node. */
  argv: string[];
  cleanup(): void;
}

export async function bundleEntry(entryRel: string): Promise<Bundle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bundle-'));
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, `${path.basename(entryRel).replace(/\.ts$/, '')}.cjs`);
  await build({
    entryPoints: [repoFile(entryRel)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  });
  fs.chmodSync(file, 0o644);
  return { file, argv: [testNode, file], cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The write child (`__write-as-user` body) as a stand-alone helper for WriteDeps.helper. */
export const bundleWriteHelper = (): Promise<Bundle> => bundleEntry('src/agent/write-child-main.ts');
