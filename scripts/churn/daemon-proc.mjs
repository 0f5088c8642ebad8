// The daemon under test as a child process (the built bundle under the Node 22 of the `node`
// devDependency), what the kernel knows about it (/proc: CPU of it and its reaped children — the
// uid-dropped writers —, RSS, peak RSS), and a follower of its JSON-lines log that survives rotation.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function nodeBinary(repoRoot) {
  const dev = path.join(repoRoot, 'node_modules', 'node', 'bin', 'node');
  return fs.existsSync(dev) ? dev : process.execPath;
}

/** A child environment without proxies or NODE_OPTIONS. */
export function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(https?_proxy|all_proxy|no_proxy|node_options)$/i.test(k)) env[k] = v;
  return env;
}

/** Spawns `ccfleet daemon`; stdout and stderr go to `outFile` (never a pipe that could fill up and block it). */
export function spawnDaemon({ node, bundle, args, outFile }) {
  const out = fs.openSync(outFile, 'a');
  const child = spawn(node, [bundle, 'daemon', ...args], { stdio: ['ignore', out, out], env: childEnv() });
  fs.closeSync(out);
  const d = { child, pid: child.pid, exit: null };
  d.exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      d.exit = { code, signal, at: performance.now() };
      resolve(d.exit);
    }),
  );
  return d;
}

/** CPU seconds (self + reaped children), RSS and peak RSS (MB) from /proc, or null once it is gone. */
export function procStats(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
    const self = Number(f[11]) + Number(f[12]); // utime stime
    const children = Number(f[13]) + Number(f[14]); // cutime cstime: the reaped uid-dropped writers
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { cpuSeconds: (self + children) / TICKS_PER_SECOND, selfCpuSeconds: self / TICKS_PER_SECOND, childCpuSeconds: children / TICKS_PER_SECOND, rssMB: kb('VmRSS') / 1024, peakRssMB: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/**
 * Follows `<dir>/<name>` line by line from its start. On rotation (the live file renamed away and a new one
 * created) it finishes the old file through its still-open descriptor, then opens the new one.
 */
export class LogFollower {
  constructor(file, onLine) {
    this.file = file;
    this.onLine = onLine;
    this.fd = null;
    this.ino = null;
    this.pos = 0;
    this.rest = '';
    this.buf = Buffer.alloc(1 << 20);
  }

  poll() {
    if (this.fd === null) {
      try {
        this.fd = fs.openSync(this.file, 'r');
      } catch {
        return;
      }
      this.ino = fs.fstatSync(this.fd).ino;
      this.pos = 0;
      this.decoder = new StringDecoder('utf8');
    }
    this.drain();
    let ino = null;
    try {
      ino = fs.statSync(this.file).ino;
    } catch {
      /* between rename and create */
    }
    if (ino !== null && ino !== this.ino) {
      this.drain();
      fs.closeSync(this.fd);
      this.fd = null;
      this.poll();
    }
  }

  drain() {
    for (;;) {
      const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
      if (n === 0) return;
      this.pos += n;
      const text = this.rest + this.decoder.write(this.buf.subarray(0, n));
      const lines = text.split('\n');
      this.rest = lines.pop();
      for (const l of lines) if (l.trim()) this.onLine(l);
    }
  }

  close() {
    this.poll();
    if (this.rest.trim()) this.onLine(this.rest);
    this.rest = '';
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
