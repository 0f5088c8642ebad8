// node bench/transcripts.mjs — prints one JSON document: what finding "the model really used" costs for a
// heavy user. A synthetic config dir with 10,000 transcripts in 500 project folders (a few KB of realistic
// lines each; file and folder mtimes as Claude Code leaves them), scanned by scanTranscripts (bundled from
// the TypeScript source with esbuild, as bench/run.mjs does): the first call in the process ("cold-ish": code
// cold, the page cache warm from writing the tree) and the median of warm calls; against, in the same run,
// a naive listing that stats every transcript, and reading one whole transcript. A second, skewed layout puts
// 2,000 transcripts in the most recent folder (the cost grows with the files in recent folders).
// BENCH_FILES / BENCH_FOLDERS change the size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const FOLDERS = Number(process.env.BENCH_FOLDERS ?? 500);
const round = (n) => Math.round(n * 100) / 100;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let s = 7;
const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
const NOW = Date.now();
const DAY = 86_400_000;

function lines(cwd, session, startMs, endMs, model) {
  const out = [];
  let lastAssistantMs = -1;
  const n = 6 + Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) {
    const ms = Math.round(startMs + ((endMs - startMs) * i) / (n - 1));
    const at = new Date(ms).toISOString();
    const base = { parentUuid: `p${i}`, isSidechain: false, userType: 'external', cwd, sessionId: session, version: '2.1.332', gitBranch: 'main', uuid: `${session}-${i}`, timestamp: at };
    if (i % 2 === 0) {
      out.push(JSON.stringify({ ...base, type: 'user', message: { role: 'user', content: `Please look at src/module${i}.ts and fix the failing test. `.repeat(3) } }));
    } else {
      lastAssistantMs = ms;
      out.push(JSON.stringify({ ...base, type: 'assistant', requestedModel: model.requested, requestId: `req_${session}_${i}`, message: { id: `msg_${i}`, type: 'message', role: 'assistant', model: model.served, content: [{ type: 'text', text: 'Here is what I changed and why. '.repeat(8) }, { type: 'tool_use', id: `tu_${i}`, name: 'Edit', input: { file_path: `${cwd}/src/module${i}.ts`, old_string: 'a'.repeat(120), new_string: 'b'.repeat(120) } }], stop_reason: 'tool_use', usage: { input_tokens: 1200, output_tokens: 300, cache_read_input_tokens: 9000 } } }));
    }
  }
  return { text: out.join('\n') + '\n', lastAssistantMs };
}

const MODELS = [
  { served: 'claude-sonnet-4-5-20250929', requested: 'sonnet-model' },
  { served: 'claude-haiku-4-5-20251001', requested: 'haiku-model' },
  { served: 'claude-opus-5-5', requested: 'claude-opus-5-5[1m]' },
];

/** Builds `<config>/projects/…`: `perFolder(i)` transcripts in folder i; returns the truth (newest use). */
function buildUser(config, perFolder) {
  let newest = { ms: -1, at: null };
  let files = 0;
  let bytes = 0;
  for (let f = 0; f < FOLDERS; f++) {
    const cwd = `/home/dev/src/project-${f}`;
    const dir = path.join(config, 'projects', cwd.replace(/[^a-zA-Z0-9]/g, '-'));
    fs.mkdirSync(dir, { recursive: true });
    let folderMtime = 0;
    for (let k = 0; k < perFolder(f); k++) {
      const session = `${f.toString(16).padStart(4, '0')}${k.toString(16).padStart(4, '0')}-7e57-4bad-8c0d-000000000000`;
      const created = NOW - rand() * 90 * DAY;
      const last = Math.min(NOW, created + rand() * 2 * 3600_000);
      const { text, lastAssistantMs } = lines(cwd, session, created, last, MODELS[Math.floor(rand() * MODELS.length)]);
      const file = path.join(dir, `${session}.jsonl`);
      fs.writeFileSync(file, text);
      fs.utimesSync(file, last / 1000, last / 1000);
      folderMtime = Math.max(folderMtime, created);
      files++;
      bytes += text.length;
      if (lastAssistantMs > newest.ms) newest = { ms: lastAssistantMs, at: new Date(lastAssistantMs).toISOString() };
    }
    fs.utimesSync(dir, folderMtime / 1000, folderMtime / 1000);
  }
  return { files, folders: FOLDERS, avgFileBytes: Math.round(bytes / files), newestUseAt: newest.at };
}

/** The naive way: list every folder and stat every transcript, then take the 8 newest. */
function statEverything(config) {
  const projects = path.join(config, 'projects');
  const all = [];
  for (const d of fs.readdirSync(projects)) {
    const dir = path.join(projects, d);
    for (const n of fs.readdirSync(dir)) if (n.endsWith('.jsonl')) all.push({ f: path.join(dir, n), m: fs.lstatSync(path.join(dir, n)).mtimeMs });
  }
  all.sort((a, b) => b.m - a.m);
  return all.slice(0, 8).length;
}

function time(fn, runs) {
  const ms = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = fn();
    ms.push(performance.now() - t);
  }
  return { medianMs: round(median(ms)), minMs: round(Math.min(...ms)), maxMs: round(Math.max(...ms)), runs, last };
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-bench-transcripts-'));
fs.mkdirSync(path.join(repo, '.cache'), { recursive: true });
const outDir = fs.mkdtempSync(path.join(repo, '.cache', 'bench-'));
try {
  const out = path.join(outDir, 'transcripts.cjs');
  await build({ entryPoints: [path.join(repo, 'src/agent/facts/transcripts.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node22', mainFields: ['module', 'main'], logLevel: 'error' });
  const { scanTranscripts } = createRequire(import.meta.url)(out);
  const owner = process.getuid ? { uid: process.getuid() } : null;

  const layouts = {
    even: (f) => Math.floor(FILES / FOLDERS) + (f < FILES % FOLDERS ? 1 : 0),
    skewed: (f) => (f === 0 ? 2000 : Math.floor((FILES - 2000) / (FOLDERS - 1))),
  };
  const result = { bench: 'transcripts-model-really-used', node: process.version, cpus: os.cpus().length, platform: process.platform, owner: owner ? 'set (safe mode, as the root agent runs)' : null, layouts: {} };
  for (const [name, perFolder] of Object.entries(layouts)) {
    const config = path.join(root, name, '.claude');
    const t0 = performance.now();
    const user = buildUser(config, perFolder);
    if (name === 'skewed') {
      // the hot project is the one changed most recently
      fs.utimesSync(path.join(config, 'projects', fs.readdirSync(path.join(config, 'projects')).sort()[0]), NOW / 1000, NOW / 1000);
    }
    user.buildMs = Math.round(performance.now() - t0);
    const opts = { owner };
    const first = time(() => scanTranscripts(config, opts), 1);
    const warm = time(() => scanTranscripts(config, opts), 21);
    const naive = time(() => statEverything(config), 5);
    const someFile = path.join(config, 'projects', fs.readdirSync(path.join(config, 'projects'))[0]);
    const oneFile = path.join(someFile, fs.readdirSync(someFile)[0]);
    const readOne = time(() => fs.readFileSync(oneFile).length, 21);
    const scan = warm.last;
    result.layouts[name] = {
      user,
      scan: { filesSeen: scan.filesSeen, filesRead: scan.filesRead, uses: scan.uses.length, note: scan.note ?? null, newestUseAt: scan.uses[0]?.at ?? null, foundTheNewestUse: scan.uses[0]?.at === user.newestUseAt },
      scanTranscripts: { firstCallMs: first.medianMs, warm: { medianMs: warm.medianMs, minMs: warm.minMs, maxMs: warm.maxMs, runs: warm.runs } },
      baseline: {
        statEveryTranscript: { medianMs: naive.medianMs, minMs: naive.minMs, runs: naive.runs, note: `readdir ${FOLDERS} folders + lstat ${user.files} files, no reading` },
        readOneWholeTranscript: { medianMs: readOne.medianMs, runs: readOne.runs, bytes: readOne.last },
      },
      speedupOverStatEverything: round(naive.medianMs / warm.medianMs),
    };
  }
  console.log(JSON.stringify(result, null, 2));
} finally {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outDir, { recursive: true, force: true });
}
