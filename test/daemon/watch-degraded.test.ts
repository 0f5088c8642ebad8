/**
 * Watch exhaustion (the kernel refusing more inotify watches: ENOSPC) and the fallback to polling.
 *
 * 1. The folder watcher with real chokidar whose fs.watch throws ENOSPC for one folder (chokidar's own
 *    test seam, setNativeWatchFactoryForTests): chokidar reports the error yet still lists the folder as
 *    watched; the folder must move to polling, be reported changed once polled (a change made before
 *    then is re-read), and its later changes be seen.
 * 2. The Daemon in-process (real chokidar): an ENOSPC fed through `injectWatchErrorForTests` moves the
 *    refused folder to polling; drift there is still repaired, later folders (a new project) are polled
 *    too, and `watch-degraded` is in the events, status.json and the report.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/agent/daemon/daemon.js';
import { createFolderWatcher, injectWatchErrorForTests } from '../../src/agent/daemon/watcher.js';
import type { Logger } from '../../src/agent/log.js';
import type { ReconcileDeps } from '../../src/agent/reconcile.js';
import { platformFor } from '../../src/platform/index.js';
import { createNodeFsView } from '../../src/platform/node-fs-view.js';
import { daemonMachine, eventsOf, gatewayEnv, policyDoc, waitFor, type DaemonMachine } from './support/harness.js';

/** The error Node's fs.watch throws when inotify watches are exhausted. */
const enospc = (folder: string) =>
  Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${folder}'`), { code: 'ENOSPC', errno: -28, syscall: 'watch', path: folder, filename: folder });

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('folder watcher: a folder whose watch the kernel refuses', () => {
  it('is polled instead, and its changes are seen', async () => {
    // chokidar's test seam (not a public export): replace fs.watch for its native backend.
    const backend = (await import(path.resolve('node_modules/chokidar/backend.js'))) as { setNativeWatchFactoryForTests(f?: (p: string, o: object, l: (...a: unknown[]) => void) => fs.FSWatcher): void };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-watch-refused-'));
    const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    backend.setNativeWatchFactoryForTests((p, o, l) => {
      if (path.resolve(p) === b) throw enospc(p);
      return fs.watch(p, o, l);
    });
    const seen = new Set<string>();
    const errors: string[] = [];
    const w = createFolderWatcher({ onPath: (p) => seen.add(p), onError: (e) => errors.push((e as NodeJS.ErrnoException).code ?? e.message), pollIntervalMs: 100 });
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    try {
      await w.update({ folders: new Map([[a, new Set(['managed'])], [b, new Set(['managed'])]]), only: new Map() });
      await waitFor(() => w.degraded(), 'degraded after the refused watch');
      expect(errors).toContain('ENOSPC');
      expect(w.degraded()).toEqual({ folders: [b], reason: expect.stringMatching(/^ENOSPC/) });
      // Once the poller has looked at it, the moved folder is reported changed (what changed before is re-read).
      await waitFor(() => seen.has(b), 'the moved folder reported once the poller has it');
      fs.writeFileSync(path.join(b, 'settings.json'), '{}');
      await waitFor(() => seen.has(path.join(b, 'settings.json')), 'a change in the polled folder seen');
      fs.writeFileSync(path.join(a, 'settings.json'), '{}');
      await waitFor(() => seen.has(path.join(a, 'settings.json')), 'a change in the natively watched folder seen');
    } finally {
      await w.close();
      // chokidar lets its native handles go shortly after close(); the factory can be put back then.
      await waitFor(() => {
        backend.setNativeWatchFactoryForTests(undefined);
        return true;
      }, 'the native watch factory restored');
    }
  });
});

describe('daemon: watch-degraded', () => {
  const USER = '/home/alice/.claude/settings.json';
  const NEW = '/home/alice/work/new';
  let m: DaemonMachine;
  let daemon: Daemon;
  const warnings: string[] = [];

  it('moves the refused folder to polling and still repairs drift there; reports watch-degraded', async () => {
    m = daemonMachine({ users: { alice: ['/home/alice/work/api'] }, policy: policyDoc({ version: 1, env: gatewayEnv('v1', 'sk-bf-daemon-degraded-5a7c9e1b3d') }) });
    cleanups.push(() => m.cleanup());
    m.rewrite(USER, { theme: 'dark' });
    const log = memoryLogger(warnings);
    const deps: ReconcileDeps = { platform: platformFor('linux'), fs: createNodeFsView(m.root, 'linux'), root: m.root, facts: {}, backups: null, writeDeps: { helper: null }, uid: process.getuid?.() };
    daemon = new Daemon({ deps, stateDir: m.stateDir, policy: { source: m.policyPath, publicKeys: [], stateDir: m.stateDir }, log });
    cleanups.push(() => daemon.stop());
    await daemon.start();
    expect(daemon.status().watch.degraded).toBeNull();

    const configDir = m.host('/home/alice/.claude');
    injectWatchErrorForTests(enospc(configDir));
    // The refused folder (and any not yet armed at that moment) is polled from now on.
    expect(daemon.status().watch.degraded).toEqual({ folders: expect.arrayContaining([configDir]), reason: expect.stringMatching(/^ENOSPC/) });

    m.rewrite(USER, { theme: 'dark', model: 'opus' });
    await waitFor(() => !('model' in m.json(USER)), 'drift in the polled folder repaired');
    expect(m.json(USER)).toEqual({ theme: 'dark' });
    const s = await waitFor(() => (eventsOf(daemon.status(), 'watch-degraded').length > 0 ? daemon.status() : null), 'a watch-degraded event');
    expect(eventsOf(s, 'watch-degraded')).toHaveLength(1);
    // (Folders planned after the error — here the managed folder the first pass created — are polled too.)
    expect(eventsOf(s, 'watch-degraded')[0]!.message).toMatch(/^ENOSPC: .*; \d+ folder\(s\) polled instead$/);
    expect(s.watch.degraded?.folders).toContain(configDir);
    expect(daemon.current()?.managed.findings.map((f) => f.code)).toContain('watch-degraded');
    expect(warnings.some((w) => w.startsWith('file watching degraded'))).toBe(true);
    await waitFor(() => eventsOf(m.status(), 'watch-degraded').length === 1 && m.status().watch.degraded?.folders.includes(configDir), 'status.json shows watch-degraded');
  });

  it('polls the folders added after that (a new project), and repairs drift in them', async () => {
    m.rewrite(`${NEW}/.claude/settings.json`, { model: 'opus' });
    m.setProjects('alice', ['/home/alice/work/api', NEW]);
    await waitFor(() => !('model' in m.json(`${NEW}/.claude/settings.json`)), 'the new project repaired');
    const polled = await waitFor(() => {
      const f = daemon.status().watch.degraded?.folders ?? [];
      return f.includes(m.host(`${NEW}/.claude`)) ? f : null;
    }, 'the new project\'s .claude folder polled');
    expect(polled).toContain(m.host(NEW));
    m.rewrite(`${NEW}/.claude/settings.json`, { model: 'sonnet', theme: 'light' });
    await waitFor(() => !('model' in m.json(`${NEW}/.claude/settings.json`)), 'drift in the new, polled folder repaired');
    expect(eventsOf(daemon.status(), 'watch-degraded')).toHaveLength(1); // reported once
  });
});

function memoryLogger(warnings: string[]): Logger {
  const none = () => undefined;
  return { error: (msg) => warnings.push(msg), warn: (msg) => warnings.push(msg), info: none, debug: none, addSecrets: none, close: async () => undefined };
}
