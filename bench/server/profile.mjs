// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by where the code lives, so the
// bench can say what dominates the server's CPU.
import fs from 'node:fs';
import path from 'node:path';

function where(url) {
  if (url === '') return 'native/builtin';
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').split('/').slice(0, 2).join('/');
  return path.basename(url);
}

/** Module boundaries of an esbuild bundle (its `// src/…` / `// node_modules/…` comment lines). */
function bundleModules(bundle) {
  const starts = [];
  const lines = fs.readFileSync(bundle, 'utf8').split('\n');
  lines.forEach((l, i) => {
    const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(l);
    if (m) starts.push({ line: i, module: m[1].replace(/^node_modules\/((?:@[^/]+\/)?[^/]+)\/.*/, 'npm:$1') });
  });
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle preamble)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid].line <= line) {
        found = starts[mid].module;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/** Where a sample's code lives: a source module of the bundle, an npm package, a node: area or a native call. */
function area(f, moduleOf) {
  if (f.url === '') return `native: ${f.functionName || '(anonymous)'}`;
  if (f.url.startsWith('node:')) return where(f.url);
  if (moduleOf && f.url.endsWith('.cjs')) return moduleOf(f.lineNumber);
  return where(f.url);
}

/**
 * Top `top` functions by self time (percent of the busy samples), the same rolled up by where the code
 * lives (`bundle`: the .cjs the process ran, to name its source modules), and the shares of GC/program.
 */
export function summariseProfile(file, top = 25, bundle = null, lastSeconds = null) {
  const moduleOf = bundle ? bundleModules(bundle) : null;
  const areas = new Map();
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // lastSeconds: only the samples of the profile's last N seconds (a measured window after a long set-up).
  let samples = p.samples;
  if (lastSeconds !== null) {
    let t = p.startTime;
    const times = p.timeDeltas.map((d) => (t += d));
    const from = p.endTime - lastSeconds * 1e6;
    samples = samples.filter((_, i) => times[i] >= from);
  }
  const counts = new Map();
  for (const id of samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  // Inclusive time by function: each sample counts once for every distinct function on its stack.
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map();
  for (const [id, n] of counts) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at).callFrame;
      if (f.functionName.startsWith('(') || (f.url === '' && f.functionName === '')) continue;
      const key = `${f.functionName || '(anonymous)'} ${area(f, moduleOf)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + n);
    }
  }
  const total = samples.length;
  const fns = new Map();
  const special = {};
  for (const [id, n] of counts) {
    const node = byId.get(id);
    const f = node.callFrame;
    if (f.functionName.startsWith('(')) {
      special[f.functionName] = (special[f.functionName] ?? 0) + n;
      continue;
    }
    const a = area(f, moduleOf);
    areas.set(a, (areas.get(a) ?? 0) + n);
    const key = `${f.functionName || '(anonymous)'} ${a}${f.url && !f.url.startsWith('node:') ? `:${f.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + n);
  }
  const pct = (n) => Math.round((n / total) * 1000) / 10;
  const idle = special['(idle)'] ?? 0;
  const busy = total - idle;
  const pctBusy = (n) => Math.round((n / busy) * 1000) / 10;
  return {
    samples: total,
    intervalUs: lastSeconds !== null ? Math.round((lastSeconds * 1e6) / total) : Math.round((p.endTime - p.startTime) / total),
    idlePct: pct(idle),
    note: 'percentages of the samples where the main thread was busy (idle left out)',
    special: Object.fromEntries(Object.entries(special).filter(([k]) => k !== '(idle)').map(([k, v]) => [k, pctBusy(v)])),
    byArea: [...areas.entries()].sort((x, y) => y[1] - x[1]).slice(0, top).map(([at, n]) => ({ at, pct: pctBusy(n) })),
    topSelf: [...fns.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, n]) => ({ fn, pct: pctBusy(n) })),
    topInclusive: [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, n]) => ({ fn, pct: pctBusy(n) })),
  };
}
