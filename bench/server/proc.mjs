// /proc readings for bench/server.mjs: a process's CPU time (all its threads), the machine's busy time, the
// CPU of every postgres process, the load average. Linux only; elsewhere the readings are null.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

let tck = null;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on Linux). */
export function clockTicks() {
  if (tck === null) {
    try {
      tck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      tck = 100;
    }
  }
  return tck;
}

/** utime + stime of a process (every thread), in ms; null when it is gone. */
export function processCpuMs(pid, ticks = clockTicks()) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / ticks;
  } catch {
    return null;
  }
}

/** utime + stime of a process's main thread (tid = pid), in ms; null when it is gone. */
export function mainThreadCpuMs(pid, ticks = clockTicks()) {
  return processCpuMs(`${pid}/task/${pid}`, ticks);
}

/** Busy and total CPU time of the whole machine (all cores), in ms. */
export function machineCpuMs(ticks = clockTicks()) {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line;
    const total = user + nice + system + idle + iowait + irq + softirq + steal;
    return { busyMs: ((total - idle - iowait) * 1000) / ticks, totalMs: (total * 1000) / ticks };
  } catch {
    return null;
  }
}

/** pid → CPU ms of every process whose command is `postgres` (the server and its backends). */
export function postgresCpu(ticks = clockTicks()) {
  const out = new Map();
  let names;
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const s = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      if (!s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')).startsWith('postgres')) continue;
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(n, ((Number(f[11]) + Number(f[12])) * 1000) / ticks);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU ms the postgres processes used between two postgresCpu() snapshots (new processes count whole). */
export function postgresDeltaMs(a, b) {
  let ms = 0;
  for (const [pid, v] of b) ms += v - (a.get(pid) ?? 0);
  return ms;
}

export function loadavg() {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).map(Number);
  } catch {
    return null;
  }
}

export function uptime() {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}
