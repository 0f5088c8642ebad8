#!/usr/bin/env node
// The time an agent back online takes to drain a spool of N reports (default 1,000) against a local
// ccfleet server with the default per-device rate limit (60/min, burst 20), before and after report
// batches: `batches: false` is a server without them (limits.reportBatch null: one report a request, as
// before), `batches: true` the default server. The real Sender (backoff 5 s … 5 min, full jitter) and the
// real app (createApp + SQLite file store) on loopback share a fake clock advanced by each round's
// retryInMs, so `simulatedMinutes` is what a real agent would wait; `wallMs` is what it cost here.
//   node bench/server/drain.mjs [--backlog 1000] [--runs 3]      → one JSON document on stdout
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const backlog = arg('backlog', 1000);
const runs = arg('runs', 3);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-drain-'));
try {
  const entry = path.join(work, 'agent-side.cjs');
  await build({ entryPoints: [path.join(repo, 'bench/server/agent-side.ts')], outfile: entry, bundle: true, platform: 'node', format: 'cjs', target: 'node22', mainFields: ['module', 'main'], logLevel: 'error' });
  const side = createRequire(import.meta.url)(entry);
  const secrets = { admin: 'bench-admin-token-0123456789abcdef', enroll: 'bench-enroll-secret-0123456789abcdef' };
  const result = { bench: 'spool-drain', node: process.version, backlog, runs, rateLimit: '60/min, burst 20 per device', modes: {} };
  for (const batches of [false, true]) {
    const all = [];
    for (let i = 0; i < runs; i++) all.push(await side.rateLimitedDrain(work, backlog, secrets, { batches }));
    const pick = (f) => all.map(f).sort((a, b) => a - b);
    const mid = (xs) => xs[Math.floor(xs.length / 2)];
    const minutes = pick((r) => r.simulatedMinutes);
    const wall = pick((r) => r.wallMs);
    result.modes[batches ? 'after (batches)' : 'before (one report a request)'] = {
      simulatedMinutes: { min: minutes[0], median: mid(minutes), max: minutes[minutes.length - 1] },
      wallMs: { min: wall[0], median: mid(wall), max: wall[wall.length - 1] },
      httpRequests: mid(pick((r) => r.httpRequests)),
      rounds: mid(pick((r) => r.rounds)),
      runs: all,
    };
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
