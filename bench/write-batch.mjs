// node bench/write-batch.mjs — the safe writer one file at a time vs in batches. Prints one JSON document.
// BENCH_WRITE_FILES files (default 2000), each an existing settings file in its own project folder (the
// worst case for folder fsyncs), replaced: sequential writeFileSafely vs one writeFilesSafely; backups:
// sequential save vs one saveMany. As root, also the as-user case (homes of uid 4242, one child per
// write vs one child per owner per batch); the sequential as-user run is timed on BENCH_WRITE_AS_USER_SEQ
// files (default 200: each write is a Node start-up) and extrapolated. The in-process and backup cases
// run BENCH_WRITE_REPEAT times (default 3), alternating, and report the median (this machine is shared:
// single runs vary by 2x). Bundles what it needs with esbuild.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const files = Number(process.env.BENCH_WRITE_FILES ?? 2000);
const asUserSeq = Math.min(files, Number(process.env.BENCH_WRITE_AS_USER_SEQ ?? 200));
const repeat = Math.max(1, Number(process.env.BENCH_WRITE_REPEAT ?? 3));
const isRoot = process.getuid?.() === 0;
const USER = { uid: 4242, gid: 4242 };

const tools = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wbench-tools-'));
fs.chmodSync(tools, 0o755); // the as-user child must load the helper
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node22', mainFields: ['module', 'main'], logLevel: 'error' };
const libFile = path.join(tools, 'lib.cjs');
const helperFile = path.join(tools, 'write-child.cjs');
await build({
  ...common,
  stdin: { contents: "export * from './src/agent/safe-write.ts'; export { BackupStore } from './src/agent/backups.ts';", resolveDir: repo, loader: 'ts' },
  outfile: libFile,
});
await build({ ...common, entryPoints: [path.join(repo, 'src/agent/write-child-main.ts')], outfile: helperFile });
fs.chmodSync(helperFile, 0o644);
const { writeFileSafely, writeFilesSafely, BackupStore } = createRequire(import.meta.url)(libFile);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wbench-'));
fs.chmodSync(work, 0o755);
const OLD = `${JSON.stringify({ model: 'claude-opus-4-1', permissions: { allow: ['Bash(npm test)'] }, env: { FOO: 'bar' } }, null, 2)}\n`;
const NEW = `${JSON.stringify({ permissions: { allow: ['Bash(npm test)'] }, env: { FOO: 'bar' } }, null, 2)}\n`;
const round = (n) => Math.round(n * 10) / 10;

/** A home with `n` projects, each with an existing .claude/settings.json; returns the write requests. */
function makeHome(name, n, owner) {
  const home = path.join(work, name);
  fs.mkdirSync(home);
  const reqs = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(home, `p${i}`, '.claude', 'settings.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, OLD, { mode: 0o644 });
    if (owner) for (const p of [path.join(home, `p${i}`), path.dirname(file), file]) fs.chownSync(p, owner.uid, owner.gid);
    reqs.push({ hostPath: file, owner, createMode: 0o600, trustedAncestor: home });
  }
  if (owner) fs.chownSync(home, owner.uid, owner.gid);
  execFileSync('sync'); // start every run from a clean page cache writeback state
  return reqs;
}
/** Fresh plans: the current stat of each file as `expected`, NEW as the text. */
const planned = (reqs) =>
  reqs.map((r) => {
    const st = fs.lstatSync(r.hostPath);
    return { ...r, text: NEW, expected: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } };
  });

async function timeWrites(label, reqs, deps, sequential, sample = reqs.length) {
  const todo = planned(reqs.slice(0, sample));
  const start = performance.now();
  let results;
  if (sequential) {
    results = [];
    for (const r of todo) results.push(await writeFileSafely(r, deps));
  } else results = await writeFilesSafely(todo, deps);
  const ms = performance.now() - start;
  const failed = results.filter((r) => !r.ok);
  const wrong = todo.filter((r) => fs.readFileSync(r.hostPath, 'utf8') !== NEW).length;
  return {
    label,
    files: todo.length,
    ms: round(ms),
    msPerFile: round((ms / todo.length) * 1000) / 1000,
    ...(sample < reqs.length ? { extrapolatedMsFor: { files: reqs.length, ms: round((ms / sample) * reqs.length) } } : {}),
    failed: failed.length,
    ...(failed.length ? { firstFailure: failed[0].message } : {}),
    notWritten: wrong,
  };
}

function timeBackups(label, many) {
  const dir = path.join(work, `backups-${label}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const store = new BackupStore(dir);
  const items = Array.from({ length: files }, (_, i) => ({
    machinePath: `/home/u/p${i}/.claude/settings.json`,
    text: OLD,
    meta: { mode: 0o644, uid: 1000, gid: 1000 },
  }));
  const start = performance.now();
  const entries = many ? store.saveMany(items) : items.map((i) => store.save(i.machinePath, i.text, i.meta));
  const ms = performance.now() - start;
  const fresh = new BackupStore(dir);
  const verified = entries.filter((e) => fresh.read(e) === OLD).length;
  return { label, files, ms: round(ms), msPerFile: round((ms / files) * 1000) / 1000, verified };
}

const result = { bench: 'write-batch', node: process.version, cpus: os.cpus().length, root: isRoot, files };
try {
  // owner null: in this process with its own rights (root's managed drop-in, or a per-user agent).
  const seqHome = makeHome('seq', files, null);
  const batchHome = makeHome('batch', files, null);
  const runs = { seq: [], batch: [], save: [], saveMany: [] };
  for (let i = 0; i < repeat; i++) {
    runs.seq.push(await timeWrites('writeFileSafely × n (sequential)', seqHome, { helper: null }, true));
    runs.batch.push(await timeWrites('writeFilesSafely (one batch)', batchHome, { helper: null }, false));
    runs.save.push(timeBackups('save', false));
    runs.saveMany.push(timeBackups('saveMany', true));
  }
  const med = (list) => ({ ...[...list].sort((a, b) => a.ms - b.ms)[Math.floor(list.length / 2)], runsMs: list.map((r) => r.ms) });
  const [seq, batch, save, saveMany] = [med(runs.seq), med(runs.batch), med(runs.save), med(runs.saveMany)];
  result.inProcess = { sequential: seq, batch, speedup: round(seq.ms / batch.ms) };
  result.backups = { sequential: save, saveMany, speedup: round(save.ms / saveMany.ms) };
  if (isRoot) {
    const helper = [process.execPath, helperFile];
    const seqUser = makeHome('u-seq', files, USER);
    const batchUser = makeHome('u-batch', files, USER);
    const s = await timeWrites('writeFileSafely × n as uid 4242 (one child per file)', seqUser, { helper }, true, asUserSeq);
    const b = await timeWrites('writeFilesSafely as uid 4242 (one child per 500)', batchUser, { helper }, false);
    result.asUser = { sequential: s, batch: b, speedup: round((s.extrapolatedMsFor?.ms ?? s.ms) / b.ms) };
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(tools, { recursive: true, force: true });
}
console.log(JSON.stringify(result, null, 2));
