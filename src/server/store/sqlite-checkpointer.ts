/**
 * WAL checkpoints off the event loop. node:sqlite is synchronous, so an automatic checkpoint (copying the
 * WAL into the database file and syncing it) stalls every request behind the commit that triggered it
 * (measured: p99 ~20 ms at 50 concurrent reports). A worker thread with its own connection runs PASSIVE
 * checkpoints, which never block the writer. Every `intervalMs` (1 s); when a pass finds `enterFrames`
 * (4,096) or more written since the last one (a burst: 4+ frames a millisecond), every `busyMs` (5 ms)
 * until a pass finds fewer than `exitFrames` (16). Ingest at full speed runs at every 5 ms (a WAL kept
 * small: p99 32 ms there, 59 ms when passes were 250 ms apart); a fleet at its usual cadence (100,000
 * devices at 15 min: ~1.6 frames/ms) gets one pass a second. Each pass syncs the WAL and the database file
 * and copies each page changed since the last pass once, so fewer passes cost less: passes every 5 ms cost
 * that fleet 7 % of a core, every 250 ms ~2 %, every second ~1.3 %.
 * The writer keeps a (larger) automatic checkpoint as a backstop, which then only has the few frames
 * written since the worker's last pass to copy, and lets SQLite restart the WAL from its beginning.
 */
import { Worker } from 'node:worker_threads';

// Plain JavaScript evaluated in the worker (the bundle is one file; no path to point a Worker at).
const SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const emit = process.emitWarning;
process.emitWarning = function (w, ...rest) {
  if (/SQLite is an experimental feature/.test(typeof w === 'string' ? w : String(w && w.message))) return;
  return emit.call(process, w, ...rest);
};
const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
process.emitWarning = emit;
const db = new DatabaseSync(workerData.file, { timeout: 0 });
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let lastLog = -1;
let busy = false;
let timer = null;
let stopped = false;
// In a burst, keep up (every few ms); otherwise pass every intervalMs.
const tick = () => {
  let log = lastLog;
  try { log = Number(checkpoint.get().log); } catch { /* busy: next tick */ }
  // Frames written since the last pass (a WAL restarted from its beginning counts from 0).
  const added = log >= lastLog ? log - Math.max(lastLog, 0) : log;
  lastLog = log;
  busy = busy ? added >= workerData.exitFrames : added >= workerData.enterFrames;
  if (!stopped) timer = setTimeout(tick, busy ? workerData.busyMs : workerData.intervalMs);
};
timer = setTimeout(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopped = true;
  clearTimeout(timer);
  try { db.close(); } catch { /* closing anyway */ }
  parentPort.close();
});
parentPort.postMessage('ready');
`;

export class Checkpointer {
  private constructor(private readonly worker: Worker) {}

  /** Starts the worker; resolves once its connection is open (null if it could not start: the backstop remains). */
  static async start(file: string, o: { intervalMs?: number; busyMs?: number; enterFrames?: number; exitFrames?: number } = {}): Promise<Checkpointer | null> {
    const workerData = { file, intervalMs: o.intervalMs ?? 1000, busyMs: o.busyMs ?? 5, enterFrames: o.enterFrames ?? 4096, exitFrames: o.exitFrames ?? 16 };
    const worker = new Worker(SOURCE, { eval: true, workerData, stdout: false, stderr: false });
    const ready = await new Promise<boolean>((resolve) => {
      worker.once('message', (m) => resolve(m === 'ready'));
      worker.once('error', () => resolve(false));
      worker.once('exit', () => resolve(false));
    });
    if (!ready) {
      await worker.terminate();
      return null;
    }
    // Errors after start (none expected) must not crash the server: the backstop checkpoint remains.
    worker.on('error', () => undefined);
    worker.unref();
    return new Checkpointer(worker);
  }

  /** Closes the worker's connection and waits for the thread to end. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref(); // an unref'd worker's exit would not keep the process alive to see it
    this.worker.postMessage('stop');
    await exited;
  }
}
