// Bundles the CLI into one CommonJS file: the same file `node dist/ccfleet.cjs` runs from a checkout
// and the single executables embed. jsonc-parser ships a UMD build under "main" that breaks when
// bundled, so module fields come first.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/ccfleet.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  mainFields: ['module', 'main'],
  sourcemap: false,
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  define: { __CCFLEET_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
