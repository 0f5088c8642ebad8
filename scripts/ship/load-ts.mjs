// Loads a TypeScript module from a build script: esbuild bundles the entry (with everything it imports)
// into .cache/ship/<name>.mjs, then it is import()ed. Build scripts stay plain .mjs while the logic they
// run lives in src/ship/ (typechecked and tested like the rest). Each call rebundles, so an edit to the
// TypeScript is always picked up; the cache folder only holds the last output.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * Bundles `entry` (a path relative to the repository root, or absolute) and imports it.
 * `name` defaults to the entry's file name without extension; give distinct names to entries that
 * share a base name.
 */
export async function loadTs(entry, name = basename(entry, extname(entry))) {
  const outDir = join(root, '.cache', 'ship');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [resolve(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    packages: 'external',
    logLevel: 'warning',
  });
  // A query string defeats the ESM loader cache when the same name is loaded twice in one process.
  return import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
}
