/**
 * chokidar over the folders of a WatchSet (watch-plan.ts), each at depth 0, never following symlinks.
 * Every event — chokidar's normalised ones and its unthrottled `raw` ones (chokidar holds back repeated
 * `change` events of one file for 50 ms; the raw event is not held back) — is reduced to a host path and
 * handed to `onPath`; what it means is the caller's business (targetsOf). `update` diffs the folder set.
 *
 * Degraded mode: when the kernel runs out of watches (ENOSPC, EMFILE) chokidar reports an error; the
 * folder the error names (chokidar still lists a folder whose fs.watch threw as watched) and the folders
 * not yet confirmed watched then move to a polling watcher (every `pollIntervalMs`), every folder added
 * later goes there too, and `degraded()` says so, for the report (`watch-degraded`). Once the poller has
 * had its first look at a moved folder, the folder is reported changed (`onPath(folder)`): a change made
 * before that look is seen by nobody else.
 * Renewal: chokidar (6.0) keeps a barrier and an ignore rule for every path ever unwatched and checks each
 * event against all of them, so a machine where projects come and go pays more for every event as the
 * days pass (the soak: the daemon's CPU doubled within the hour, a quarter of it in those checks). After
 * `renewAfterUnwatches` unwatched folders the native watcher is replaced: a new one arms every current
 * folder, then the old one closes — both listen meanwhile, so nothing is missed (a duplicate event only
 * marks a target dirty again).
 * `injectWatchErrorForTests` feeds an error to every open watcher, as chokidar would report it.
 */
import path from 'node:path';
import { FSWatcher } from 'chokidar';
import type { WatchSet } from './watch-plan.js';

export interface FolderWatcherOptions {
  /** `event`: chokidar's normalised event name (`add`, `addDir`, `change`, …); undefined for a raw event. */
  onPath: (hostPath: string, event?: string) => void;
  onError?: (err: Error) => void;
  pollIntervalMs?: number;
  /** Start in polling mode (network homes, or tests of the fallback). */
  polling?: boolean;
  /** Replace the native watcher after this many folders were unwatched (default 64). */
  renewAfterUnwatches?: number;
}

export interface FolderWatcher {
  /** Watch exactly these folders (adds and removes the difference). Resolves once new folders are armed. */
  update(set: WatchSet): Promise<void>;
  watched(): ReadonlySet<string>;
  degraded(): { folders: string[]; reason: string } | null;
  /** How many times the native watcher was replaced (renewal). */
  renewals(): number;
  close(): Promise<void>;
}

const WATCH_EXHAUSTED = new Set(['ENOSPC', 'EMFILE', 'ENFILE']);

/** The error handlers of the open watchers (for injectWatchErrorForTests only). */
const openWatchers = new Set<(err: Error) => void>();

/** Tests only: every open watcher handles `err` as if chokidar had emitted it (e.g. ENOSPC with a `path`). */
export function injectWatchErrorForTests(err: Error): void {
  for (const handle of openWatchers) handle(err);
}

export function createFolderWatcher(o: FolderWatcherOptions): FolderWatcher {
  const pollIntervalMs = o.pollIntervalMs ?? 2000;
  const current = new Set<string>();
  const polled = new Set<string>();
  let degradedReason: string | null = o.polling ? 'polling requested' : null;
  let closed = false;

  const make = (polling: boolean): FSWatcher => {
    const w = new FSWatcher({
      depth: 0, ignoreInitial: true, followSymlinks: false, atomic: false, ignorePermissionErrors: true, persistent: true,
      ...(polling ? { backend: 'polling' as const, pollingInterval: pollIntervalMs } : {}),
    });
    w.on('all', (ev, p) => o.onPath(path.resolve(p), ev));
    w.on('raw', (_ev, rel, details) => {
      const watchedPath = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (typeof watchedPath !== 'string') return;
      if (rel === null || rel === '' || path.basename(watchedPath) === rel) o.onPath(path.resolve(watchedPath));
      else o.onPath(path.resolve(watchedPath, rel));
    });
    w.on('error', (err) => onError(err as Error));
    return w;
  };
  let native = make(!!o.polling);
  let poller: FSWatcher | null = null;
  const renewAfter = Math.max(1, o.renewAfterUnwatches ?? 64);
  let unwatchedSinceRenewal = 0;
  let renewals = 0;

  /** A fresh native watcher over the current native folders, armed before the old one closes. */
  async function renewNative(): Promise<void> {
    const keep = [...current].filter((f) => !polled.has(f));
    const old = native;
    native = make(!!o.polling);
    unwatchedSinceRenewal = 0;
    renewals++;
    if (keep.length) {
      native.add(keep);
      await listed(keep);
    }
    await old.close();
  }

  function onError(err: Error): void {
    const { code, path: refused } = err as NodeJS.ErrnoException;
    if (code && WATCH_EXHAUSTED.has(code) && !o.polling) degrade(`${code}: the kernel refused more file watches`, refused);
    o.onError?.(err);
  }
  openWatchers.add(onError);

  /** The refused folder and those chokidar has not armed natively move to a polling watcher. */
  function degrade(reason: string, refused: string | undefined): void {
    if (closed) return;
    degradedReason = reason;
    const armed = new Set(Object.keys(native.getWatched()).map((p) => path.resolve(p)));
    if (refused !== undefined) armed.delete(path.resolve(refused));
    const missing = [...current].filter((f) => !armed.has(f) && !polled.has(f));
    if (missing.length === 0) return;
    poller ??= make(true);
    for (const f of missing) polled.add(f);
    native.unwatch(missing);
    poller.add(missing);
    // A change made before the poller's first look at these folders is seen by nobody: once it has had
    // that look, report each folder as changed, so whatever depends on it is read again.
    void listed(missing).then(() => {
      setTimeout(() => {
        if (!closed) for (const f of missing) o.onPath(f);
      }, pollIntervalMs).unref();
    });
  }

  /** Resolves once both watchers together list every folder (chokidar emits `ready` only for its first batch), or after 3 s. */
  async function listed(folders: readonly string[]): Promise<void> {
    const deadline = Date.now() + 3000;
    while (!closed && Date.now() < deadline) {
      const names = [native, ...(poller ? [poller] : [])].flatMap((w) => Object.keys(w.getWatched()));
      const armed = new Set(names.map((p) => path.resolve(p)));
      if (folders.every((f) => armed.has(f))) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  return {
    async update(set) {
      if (closed) return;
      const want = new Set(set.folders.keys());
      const gone = [...current].filter((f) => !want.has(f));
      const fresh = [...want].filter((f) => !current.has(f));
      for (const f of gone) current.delete(f);
      const goneNative = gone.filter((f) => !polled.has(f));
      const gonePolled = gone.filter((f) => polled.has(f));
      if (goneNative.length) native.unwatch(goneNative);
      if (gonePolled.length && poller) poller.unwatch(gonePolled);
      for (const f of gonePolled) polled.delete(f);
      unwatchedSinceRenewal += goneNative.length;
      if (unwatchedSinceRenewal >= renewAfter) await renewNative();
      if (closed) return;
      if (fresh.length === 0) return;
      for (const f of fresh) current.add(f);
      const target = degradedReason !== null && !o.polling ? (poller ??= make(true)) : native;
      if (target === poller) for (const f of fresh) polled.add(f);
      target.add(fresh);
      await listed(fresh); // in either watcher: a refused watch moves a folder to the poller meanwhile
    },
    watched: () => current,
    renewals: () => renewals,
    degraded: () => (degradedReason === null ? null : { folders: o.polling ? [...current] : [...polled], reason: degradedReason }),
    async close() {
      closed = true;
      openWatchers.delete(onError);
      await Promise.all([native.close(), poller?.close()]);
    },
  };
}
