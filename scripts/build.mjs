// Bundles the CLI into one CommonJS file: the same file `node dist/ccfleet.cjs` runs from a checkout
// and the single executables embed. jsonc-parser ships a UMD build under "main" that breaks when
// bundled, so module fields come first.
// Start-up is most of a short command's time (and of every as-user write child): whitespace and syntax
// are minified (names kept readable in stacks), and the output must be pure ASCII — one non-ASCII byte
// makes V8 hold the whole 2-3 MB source as a two-byte string, which is slower to compile and costs RSS.
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
  // CCFLEET_BUILD_READABLE=1: one line per source line with `// src/…` module markers (profiling: bench/server.mjs --profile).
  minifyWhitespace: process.env.CCFLEET_BUILD_READABLE !== '1',
  minifySyntax: process.env.CCFLEET_BUILD_READABLE !== '1',
  charset: 'ascii',
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  define: { __CCFLEET_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});

const out = readFileSync('dist/ccfleet.cjs');
const at = out.findIndex((b) => b > 0x7f);
if (at >= 0) {
  const line = out.subarray(Math.max(0, at - 60), at + 20).toString('utf8');
  console.error(`build: dist/ccfleet.cjs has a non-ASCII byte at ${at} (...${line}...): escape it in the source (a tagged template or a regex literal; esbuild cannot)`);
  process.exit(1);
}
