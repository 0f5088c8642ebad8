/**
 * WAL checkpoints off the event loop. node:sqlite is synchronous, so an automatic checkpoint (copying the
 * WAL into the database file and syncing both) stalls every request behind the commit that triggered it
 * (measured: p99 ~20 ms at 50 concurrent reports). A worker thread with its own connection runs PASSIVE
 * checkpoints, which never block the writer. Every `intervalMs` (1 s); when a pass finds `enterFrames`
 * (4,096) or more written since the last one (a burst: 4+ frames a millisecond), every `busyMs` (5 ms)
 * until a pass finds fewer than `exitFrames` (16). Ingest at full speed runs at every 5 ms (a WAL kept
 * small: p99 32 ms there, 59 ms when passes were 250 ms apart). Each pass syncs the WAL and the database
 * file and copies each page changed since the last pass once, so a fleet at its usual cadence (100,000
 * devices at 15 min: ~1.6 frames/ms) costs less with one pass a second: the thread's CPU there went from
 * ~2.1 % of a core (passes every 250 ms) to ~1.3 %, at the price of a report or poll p99 of ~20 ms instead
 * of ~5 ms (a sync of a second's frames slows the writer's WAL writes meanwhile).
 *
 * SQLite restarts the WAL from its beginning only after a checkpoint on the writer's own connection
 * (measured: however complete, passes on this thread's connection never let it restart). So once the WAL
 * holds `restartFrames` (2,048) frames and a pass has left few to copy, the thread asks the writer
 * (`onRestart`, on the event loop) to run one: it copies the frames written since and syncs the file,
 * and its next commit starts the WAL again. The writer also keeps a larger automatic checkpoint as a
 * backstop (sqlite.ts).
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
  let copied = -1;
  try {
    const r = checkpoint.get();
    log = Number(r.log);
    copied = Number(r.checkpointed);
  } catch { /* busy: next tick */ }
  // Frames written since the last pass (a WAL restarted from its beginning counts from 0).
  const added = log >= lastLog ? log - Math.max(lastLog, 0) : log;
  lastLog = log;
  busy = busy ? added >= workerData.exitFrames : added >= workerData.enterFrames;
  // A long WAL that is (almost) all in the database: the writer's turn to restart it.
  if (log >= workerData.restartFrames && log - copied <= workerData.restartFrames / 4) parentPort.postMessage('restart');
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

export interface CheckpointerOptions {
  intervalMs?: number;
  busyMs?: number;
  enterFrames?: number;
  exitFrames?: number;
  /** WAL length (frames) from which a pass that leaves little behind asks the writer to restart it. */
  restartFrames?: number;
  /** Called on the event loop when the writer should run its own checkpoint (see the file comment). */
  onRestart?: () => void;
}

export class Checkpointer {
  private constructor(private readonly worker: Worker) {}

  /** Starts the worker; resolves once its connection is open (null if it could not start: the backstop remains). */
  static async start(file: string, o: CheckpointerOptions = {}): Promise<Checkpointer | null> {
    const workerData = { file, intervalMs: o.intervalMs ?? 1000, busyMs: o.busyMs ?? 5, enterFrames: o.enterFrames ?? 4096, exitFrames: o.exitFrames ?? 16, restartFrames: o.restartFrames ?? 2048 };
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
    const onRestart = o.onRestart;
    if (onRestart) worker.on('message', (m) => void (m === 'restart' ? onRestart() : undefined));
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
