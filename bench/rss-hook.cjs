// Preloaded into a benchmarked process: on exit, writes its peak RSS (KiB) and CPU time to $CCFLEET_BENCH_OUT.
process.on('exit', () => {
  const out = process.env.CCFLEET_BENCH_OUT;
  if (!out) return;
  const r = process.resourceUsage();
  require('node:fs').writeFileSync(out, JSON.stringify({ maxRssKiB: r.maxRSS, userMs: r.userCPUTime / 1000, systemMs: r.systemCPUTime / 1000 }));
});
