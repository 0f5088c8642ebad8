// Helpers of bench/daemon.mjs: drifts written as Claude Code writes settings (a temp file beside the target,
// 2-space JSON with a `model` key, renamed over it), the bench's own fs.watch observer that times how long
// until a file on disk is what we wait for, and the contest (one file rewritten every 20 ms).
import fs from 'node:fs';
import path from 'node:path';
import { machineBusy, machineSnapshot, round, round2, sleep, stats } from './daemon-proc.mjs';

const MODELS = ['opus', 'claude-opus-4-5', 'sonnet', 'claude-sonnet-4-5[1m]', 'haiku'];
let seq = 0;

/** Replaces `file` the way Claude Code does; returns performance.now() taken just before the rename. */
export function writeLikeClaudeCode(file, obj, owner) {
  const tmp = `${file}.tmp.${process.pid}.${seq++}`;
  fs.writeFileSync(tmp, JSON.stringify(obj, null, 2) + '\n');
  if (owner) fs.chownSync(tmp, owner.uid, owner.gid);
  const t0 = performance.now();
  fs.renameSync(tmp, file);
  return t0;
}

const hasModel = (o) => o !== null && typeof o === 'object' && 'model' in o;

/**
 * fs.watch on each folder. `expect(file, cond)` resolves with { t, by } at the first moment `cond(parsed
 * file)` holds — checked on every event in the file's folder and by a fallback poll — or, without `cond`,
 * at the first event naming the file (the raw notification floor). `t` is when the event (or poll tick)
 * arrived, before the re-read that confirms it. One expectation at a time.
 */
export class Observer {
  constructor(folders, { pollMs = 5 } = {}) {
    this.pending = null;
    this.pollMs = pollMs;
    this.watchers = folders.map((dir) => fs.watch(dir, (_ev, name) => this.onEvent(dir, name)));
  }

  onEvent(dir, name) {
    const p = this.pending;
    if (p === null || p.dir !== dir) return;
    if (p.cond === null) {
      if (name === p.name) p.finish('watch', performance.now());
    } else p.check('watch');
  }

  expect(file, cond = null, timeoutMs = 10_000) {
    return new Promise((resolve) => {
      const p = { dir: path.dirname(file), name: path.basename(file), cond };
      let poll = null;
      const timer = setTimeout(() => p.finish('timeout', null), timeoutMs);
      p.finish = (by, t) => {
        if (this.pending !== p) return;
        this.pending = null;
        clearTimeout(timer);
        if (poll) clearInterval(poll);
        resolve({ t, by });
      };
      p.check = (by) => {
        const t = performance.now();
        let obj;
        try {
          obj = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch {
          return; // mid-replace or half-written: the next event or poll looks again
        }
        if (cond(obj)) p.finish(by, t);
      };
      this.pending = p;
      if (cond !== null) poll = setInterval(() => p.check('poll'), this.pollMs);
    });
  }

  close() {
    for (const w of this.watchers) w.close();
  }
}

/** Every settings file of a synthetic machine, ordered so consecutive drifts hit different users. */
export function driftTargets(root, users, projects) {
  const out = [];
  for (let k = 0; k < 1 + 2 * projects; k++) {
    for (let u = 0; u < users; u++) {
      const home = path.join(root, 'home', `dev${u}`);
      const p = Math.floor((k - 1) / 2);
      if (k === 0) out.push({ file: path.join(home, '.claude', 'settings.json'), user: `dev${u}`, scope: 'user' });
      else out.push({ file: path.join(home, 'src', `proj${p}`, '.claude', k % 2 === 1 ? 'settings.json' : 'settings.local.json'), user: `dev${u}`, scope: k % 2 === 1 ? 'project' : 'local' });
    }
  }
  return out;
}

/**
 * `n` drifts, one at a time: drift i goes to targets[i % len] at startT + i·spacingMs, but never sooner
 * than `quietMs` after the previous one was seen through (so a slow repair and its own follow-up pass are
 * over before the next drift). mode 'event': time until the bench's watcher sees its own rename (no
 * repairer runs; the file is put back afterwards, untimed). mode 'repair': time until the file on disk
 * has no `model` key again.
 */
export async function runDrifts({ targets, n, spacingMs, quietMs, observer, mode, owners, timeoutMs = 10_000 }) {
  const samples = [];
  const lastAt = new Map();
  let minGap = Infinity;
  let timeouts = 0;
  const startT = performance.now() + 50;
  const m0 = machineSnapshot();
  let lastEnd = 0;
  for (let i = 0; i < n; i++) {
    const tg = targets[i % targets.length];
    const owner = owners ? owners(tg.user) : null;
    const text = fs.readFileSync(tg.file, 'utf8');
    const original = JSON.parse(text);
    if (hasModel(original)) throw new Error(`${tg.file} still has a model key before drift ${i} (the previous repair did not happen)`);
    const wait = Math.max(startT + i * spacingMs, lastEnd + quietMs) - performance.now();
    if (wait > 0) await sleep(wait);
    const seen = observer.expect(tg.file, mode === 'repair' ? (o) => !hasModel(o) : null, timeoutMs);
    const t0 = writeLikeClaudeCode(tg.file, { model: MODELS[i % MODELS.length], ...original }, owner);
    const prev = lastAt.get(tg.file);
    if (prev !== undefined) minGap = Math.min(minGap, t0 - prev);
    lastAt.set(tg.file, t0);
    const r = await seen;
    if (r.t === null) timeouts++;
    else samples.push({ ms: r.t - t0, by: r.by, first: prev === undefined, scope: tg.scope });
    if (mode === 'event') {
      const back = observer.expect(tg.file, null, timeoutMs);
      writeLikeClaudeCode(tg.file, original, owner);
      await back;
    } else if (r.t === null) {
      writeLikeClaudeCode(tg.file, original, owner); // put it right ourselves so the run can go on
    }
    lastEnd = performance.now();
  }
  const ms = samples.map((s) => s.ms);
  const by = {};
  for (const s of samples) by[s.by] = (by[s.by] ?? 0) + 1;
  const part = (f) => stats(samples.filter(f).map((s) => s.ms));
  return {
    latencyMs: stats(ms),
    firstDriftOfAFile: part((s) => s.first),
    laterDriftsOfAFile: part((s) => !s.first),
    byScope: { user: part((s) => s.scope === 'user'), project: part((s) => s.scope === 'project'), local: part((s) => s.scope === 'local') },
    seenBy: by,
    timeouts,
    filesDrifted: lastAt.size,
    minGapBetweenDriftsOfOneFileMs: Number.isFinite(minGap) ? round(minGap) : null,
    wallSeconds: round((performance.now() - startT) / 1000),
    host: machineBusy(m0, machineSnapshot()),
  };
}

/**
 * One file rewritten (as Claude Code does) every `intervalMs` for `seconds`, while the daemon runs.
 * Counts the rewrites and, through the bench's own watcher, the moments the file went back to compliant.
 */
export async function runContestWriter({ file, seconds, intervalMs, owner }) {
  const base = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete base.model;
  let compliant = true;
  let observedRepairs = 0;
  const look = () => {
    try {
      const ok = !hasModel(JSON.parse(fs.readFileSync(file, 'utf8')));
      if (ok && !compliant) observedRepairs++;
      compliant = ok;
    } catch {
      /* mid-replace */
    }
  };
  const w = fs.watch(path.dirname(file), (_ev, name) => {
    if (name === path.basename(file)) look();
  });
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let writes = 0;
  let late = 0;
  while (performance.now() < end) {
    writeLikeClaudeCode(file, { model: writes % 2 ? 'opus' : 'claude-opus-4-5', ...base }, owner);
    compliant = false;
    writes++;
    const next = t0 + writes * intervalMs;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    else late++;
  }
  const t1 = performance.now();
  w.close();
  return { t0, t1, writes, writesPerSecond: round2(writes / ((t1 - t0) / 1000)), observedRepairs, lateTicks: late };
}
