// Helpers of bench/daemon.mjs: run `ccfleet daemon` (the built bundle under the Node 22 of the `node`
// devDependency) as a child process, follow its stderr lines, and read what the kernel knows about it from
// /proc (CPU ticks, RSS, context switches, inotify watches, the RSS of each mapping). Linux only.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
/** The bundle under test: dist/ccfleet.cjs, or $CCFLEET_BENCH_BUNDLE (A/B runs of a change). */
export const bundle = process.env.CCFLEET_BENCH_BUNDLE ? path.resolve(process.env.CCFLEET_BENCH_BUNDLE) : path.join(repo, 'dist', 'ccfleet.cjs');
const devNode = path.join(repo, 'node_modules', 'node', 'bin', 'node');
/** The Node 22 of the devDependency (what `npm run bench` puts first on PATH), else this process's. */
export const NODE = fs.existsSync(devNode) ? devNode : process.execPath;
const memHook = path.join(repo, 'bench', 'mem-hook.cjs');
const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK)

/** The environment of a child: no proxy (the policy server is on 127.0.0.1), no NODE_OPTIONS. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(https?_proxy|all_proxy|no_proxy|node_options)$/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Starts a child (`node [nodeFlags] --require mem-hook <args>`) and follows its stderr lines.
 * `waitFor(re)` resolves with the first line (from the start) matching `re`; `stop()` sends SIGTERM and
 * resolves with the exit code and how long it took (SIGKILL after 5 s).
 */
export function startChild(args, { nodeFlags = [], env = {}, label = 'child', memOut = null } = {}) {
  const t0 = performance.now();
  const child = spawn(NODE, [...nodeFlags, '--require', memHook, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv({ ...env, ...(memOut ? { CCFLEET_BENCH_MEM_OUT: memOut } : {}) }),
  });
  const lines = [];
  const lineTimes = [];
  const waiters = [];
  let exited = null;
  let buf = '';
  const onData = (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const t = performance.now();
      if (lines.length < 200_000) {
        lines.push(line);
        lineTimes.push(t);
      }
      for (const w of [...waiters]) if (w.re.test(line)) w.resolve({ line, t });
    }
  };
  child.stderr.setEncoding('utf8').on('data', onData);
  child.stdout.setEncoding('utf8').on('data', onData);
  const exit = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal, t: performance.now() };
      for (const w of waiters.splice(0)) w.reject(new Error(`${label} exited (${code ?? signal}) before a line matching ${w.re}; last lines:\n${lines.slice(-15).join('\n')}`));
      resolve(exited);
    }),
  );
  return {
    label,
    child,
    pid: child.pid,
    t0,
    lines,
    lineTimes,
    exited: () => exited,
    waitFor(re, timeoutMs = 30_000) {
      for (let k = 0; k < lines.length; k++) if (re.test(lines[k])) return Promise.resolve({ line: lines[k], t: lineTimes[k] });
      return new Promise((resolve, reject) => {
        const w = {
          re,
          resolve: (v) => {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(w), 1);
            resolve(v);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`${label}: no line matching ${re} within ${timeoutMs} ms (exit: ${JSON.stringify(exited)}); last lines:\n${lines.slice(-15).join('\n')}`));
        }, timeoutMs);
        w.reject = (e) => {
          clearTimeout(timer);
          reject(e);
        };
        waiters.push(w);
      });
    },
    async stop() {
      if (exited) return { code: exited.code, signal: exited.signal, stopMs: 0 };
      const t = performance.now();
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const e = await exit;
      clearTimeout(killer);
      return { code: e.code, signal: e.signal, stopMs: round(e.t - t) };
    },
  };
}

/**
 * The bundle with every non-ASCII character \u-escaped (valid in comments, strings, templates, regexes and
 * identifiers alike): V8 keeps a script's source as a two-byte string as soon as one character is not
 * Latin-1, so a few em-dashes in comments double the source's heap.
 */
export function asciiBundle(outFile) {
  const text = fs.readFileSync(bundle, 'utf8');
  let escaped = 0;
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => {
    escaped++;
    return c.split('').map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  });
  fs.writeFileSync(outFile, ascii);
  return { file: outFile, escaped };
}

/** Starts `ccfleet daemon …` (o.bundle: another bundle) and waits for "daemon started"; armMs = spawn → that line. */
export async function startDaemon(args, o = {}) {
  const d = startChild([o.bundle ?? bundle, 'daemon', ...args], o);
  let started;
  try {
    started = await d.waitFor(/daemon started/, o.timeoutMs ?? 60_000);
  } catch (e) {
    await d.stop();
    throw e;
  }
  d.armMs = round(started.t - d.t0);
  const starting = await d.waitFor(/daemon starting/, 1);
  d.bootMs = round(starting.t - d.t0); // node start-up + loading the bundle, before the daemon does anything
  return d;
}

/** Asks a child started with mem-hook for its process.memoryUsage() and V8 heap spaces. */
export async function memoryOf(d, file) {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    /* absent */
  }
  process.kill(d.pid, 'SIGUSR2');
  for (let i = 0; i < 500; i++) {
    await sleep(10);
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      /* not yet */
    }
  }
  return null;
}

/** CPU, memory, context switches (every thread) and inotify watches of a process, now. */
export function procSnapshot(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after "pid (comm) ": state=0 … utime=11 stime=12 cutime=13 cstime=14
  const ticks = (k) => Number(f[k]) / TICKS_PER_SECOND;
  const status = kv(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  let ctxAll = 0;
  let threads = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = kv(fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'));
      ctxAll += Number(s.voluntary_ctxt_switches) + Number(s.nonvoluntary_ctxt_switches);
      threads++;
    } catch {
      /* thread gone */
    }
  }
  return {
    t: performance.now(),
    cpuSeconds: ticks(11) + ticks(12),
    userSeconds: ticks(11),
    systemSeconds: ticks(12),
    childrenCpuSeconds: ticks(13) + ticks(14),
    rssKiB: parseInt(status.VmRSS, 10),
    hwmKiB: parseInt(status.VmHWM, 10),
    mainThreadSwitches: Number(status.voluntary_ctxt_switches) + Number(status.nonvoluntary_ctxt_switches),
    allThreadSwitches: ctxAll,
    threads,
    inotifyWatches: inotifyWatches(pid),
  };
}

/** The whole machine's CPU counters (/proc/stat) and load average: how busy the host was meanwhile. */
export function machineSnapshot() {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + cpu[4];
  return { total: cpu.reduce((x, y) => x + y, 0), idle, load: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number) };
}

/** Share of all CPUs busy between two machine snapshots (every process, the bench's included), in %. */
export function machineBusy(a, b) {
  const total = b.total - a.total;
  return { cpuBusyPercent: total > 0 ? round(((total - (b.idle - a.idle)) / total) * 100) : null, loadAvg1mAtEnd: b.load[0] };
}

/** What happened between two snapshots of the same process. */
export function procDelta(a, b) {
  return {
    seconds: round((b.t - a.t) / 1000),
    cpuSeconds: round2(b.cpuSeconds - a.cpuSeconds),
    childrenCpuSeconds: round2(b.childrenCpuSeconds - a.childrenCpuSeconds),
    wakeUpsMainThread: b.mainThreadSwitches - a.mainThreadSwitches,
    wakeUpsAllThreads: b.allThreadSwitches - a.allThreadSwitches,
  };
}

export function inotifyWatches(pid) {
  let n = 0;
  let dir;
  try {
    dir = fs.readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return null;
  }
  for (const fd of dir) {
    try {
      for (const line of fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').split('\n')) if (line.startsWith('inotify wd:')) n++;
    } catch {
      /* fd closed meanwhile */
    }
  }
  return n;
}

/** RSS by kind of mapping (/proc/<pid>/smaps), in MiB, biggest first; plus smaps_rollup. */
export function rssBreakdown(pid) {
  const groups = new Map();
  let current = null;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      current = kindOf(head[1].trim());
      continue;
    }
    const m = /^Rss:\s+(\d+) kB/.exec(line);
    if (m && current) groups.set(current, (groups.get(current) ?? 0) + Number(m[1]));
  }
  const rollup = kv(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  const mib = (s) => round(parseInt(s, 10) / 1024);
  return {
    byMappingMiB: Object.fromEntries([...groups].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / 1024)])),
    rollupMiB: { rss: mib(rollup.Rss), anonymous: mib(rollup.Anonymous), fileBacked: round((parseInt(rollup.Rss, 10) - parseInt(rollup.Anonymous, 10)) / 1024), privateDirty: mib(rollup.Private_Dirty), sharedClean: mib(rollup.Shared_Clean), privateClean: mib(rollup.Private_Clean) },
  };
}

function kindOf(name) {
  if (name === '') return 'anonymous (V8 heap and code, zone, thread stacks, malloc arenas)';
  if (name === '[heap]') return 'malloc [heap]';
  if (name.startsWith('[stack')) return '[stack]';
  if (name.startsWith('[')) return name;
  if (path.basename(name) === 'node') return 'node binary (text + data)';
  if (/\.so(\.|$)/.test(name)) return 'shared libraries';
  return 'other files';
}

function kv(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const round = (n) => Math.round(n * 10) / 10;
export const round2 = (n) => Math.round(n * 100) / 100;
export const mib = (kib) => round(kib / 1024);

/** n, min, p50, p90, p99, max, mean of a list of milliseconds (0.01 ms). */
export function stats(xs) {
  if (xs.length === 0) return { n: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { n: s.length, min: round2(s[0]), p50: round2(q(0.5)), p90: round2(q(0.9)), p99: round2(q(0.99)), max: round2(s[s.length - 1]), mean: round2(s.reduce((a, b) => a + b, 0) / s.length) };
}
