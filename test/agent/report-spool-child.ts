/**
 * Crash-trial spool writer: puts reports into `<stateDir>/spool` forever (bounds large enough that none is
 * dropped), printing each report's id once put() returned. Killed with SIGKILL by report-spool.test.ts.
 * Usage: node report-spool-child.cjs <stateDir>
 */
import { Spool } from '../../src/agent/report/spool.js';
import { sampleReport } from './report-sample.js';

const stateDir = process.argv[2];
if (!stateDir) throw new Error('usage: report-spool-child <stateDir>');
const spool = Spool.open(stateDir, { maxCount: 100_000, maxBytes: 1 << 30 });
for (;;) {
  const r = sampleReport();
  spool.put(r);
  process.stdout.write(`${r.id}\n`);
}
