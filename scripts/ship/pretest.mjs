// npm test, before vitest: with CCFLEET_SHIP=require (CI), build the five single executables from the bundle
// `npm run build` just wrote, so the shipping tests (test/ship) run against real binaries rather than skip.
// Otherwise nothing: a developer's `npm test` does not fetch ~200 MB of Node binaries.
import { spawnSync } from 'node:child_process';

if (process.env.CCFLEET_SHIP === 'require') {
  console.log('pretest: CCFLEET_SHIP=require, building the single executables (npm run build:exe)');
  const r = spawnSync(process.execPath, ['scripts/build-exe.mjs', '--no-bundle'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
