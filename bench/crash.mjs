// npm run bench (second part) — crash consistency at scale: writers replacing a file are SIGKILLed at
// random moments (BENCH_CRASH_TRIALS, default 1000; the test suite runs 200). Prints JSON; exits 1 if any
// trial found a file that was neither the old nor the new content.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
// Bundled inside the checkout so its bare imports (esbuild) resolve from node_modules.
fs.mkdirSync(path.join(repo, '.cache'), { recursive: true });
const out = path.join(fs.mkdtempSync(path.join(repo, '.cache', 'crash-bench-')), 'crash-trials.cjs');
await build({ entryPoints: [path.join(repo, 'test/support/crash-trials.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node22', mainFields: ['module', 'main'], logLevel: 'error', packages: 'external' });
const require = createRequire(import.meta.url);
const { runCrashTrials } = require(out);
const trials = Number(process.env.BENCH_CRASH_TRIALS ?? 1000);
const report = await runCrashTrials({ trials, lanes: 2 });
fs.rmSync(path.dirname(out), { recursive: true, force: true });
console.log(JSON.stringify({ bench: 'crash-consistency', node: process.version, ...report, failures: report.failures.slice(0, 10), ok: report.failures.length === 0 && report.tempsAfterCleanWrite === 0 }, null, 2));
process.exit(report.failures.length === 0 ? 0 : 1);
