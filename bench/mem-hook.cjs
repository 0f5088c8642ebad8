// Preloaded into the processes bench/daemon.mjs measures: on SIGUSR2, writes process.memoryUsage() and the
// V8 heap spaces (bytes) to $CCFLEET_BENCH_MEM_OUT — as found, then again after a forced full GC (what is
// live, against what was garbage nobody collected), and a second after that. Costs nothing until asked (modules loaded on demand).
process.on('SIGUSR2', () => {
  const out = process.env.CCFLEET_BENCH_MEM_OUT;
  if (!out) return;
  const v8 = require('node:v8');
  const fs = require('node:fs');
  const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
  const picture = () => ({
    rssKiB: rssKiB(),
    memoryUsage: process.memoryUsage(),
    spaces: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }])),
  });
  const asFound = picture();
  v8.setFlagsFromString('--expose-gc');
  const gc = require('node:vm').runInNewContext('gc');
  gc();
  gc();
  const afterFullGc = picture();
  // V8 hands freed pages back to the OS from a background task: look again a second later.
  setTimeout(() => fs.writeFileSync(out, JSON.stringify({ asFound, afterFullGc, aSecondLater: picture() })), 1000).unref();
});
