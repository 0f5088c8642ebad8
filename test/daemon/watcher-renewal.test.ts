/**
 * The folder watcher replaces its chokidar watcher after N unwatched folders (chokidar 6 checks every event
 * against every path it ever unwatched: the cost grew all day on a machine where projects come and go).
 * Real chokidar: after the renewal the kept folders still report changes, the unwatched ones do not, a
 * folder added again reports again, and a change made while the new watcher was being armed is not lost.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFolderWatcher, type FolderWatcher } from '../../src/agent/daemon/watcher.js';
import type { WatchSet } from '../../src/agent/daemon/watch-plan.js';
import { waitFor } from './support/harness.js';

const setOf = (folders: string[]): WatchSet => ({ folders: new Map(folders.map((f) => [f, new Set(['managed' as const])])), only: new Map() });

describe('folder watcher renewal', () => {
  let base: string;
  let w: FolderWatcher | null = null;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-renew-'));
  });
  afterEach(async () => {
    await w?.close();
    w = null;
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('after renewAfterUnwatches unwatched folders: a new watcher, kept folders still seen, dropped ones not, re-added ones again', async () => {
    const dirs = ['a', 'b', 'c', 'd', 'e'].map((n) => path.join(base, n));
    for (const d of dirs) fs.mkdirSync(d);
    const [a, b, c, d, e] = dirs as [string, string, string, string, string];
    const seen: string[] = [];
    w = createFolderWatcher({ onPath: (p) => seen.push(p), renewAfterUnwatches: 3 });
    await w.update(setOf(dirs));
    await w.update(setOf([a, b, c])); // 2 unwatched: no renewal yet
    expect(w.renewals()).toBe(0);
    await w.update(setOf([a, e])); // 2 more (b, c) and e back: renewed
    expect(w.renewals()).toBe(1);
    expect([...w.watched()].sort()).toEqual([a, e].sort());

    fs.writeFileSync(path.join(b, 'x.json'), '{}');
    fs.writeFileSync(path.join(a, 'settings.json'), '{}');
    await waitFor(() => seen.includes(path.join(a, 'settings.json')), 'the change in a kept folder');
    fs.writeFileSync(path.join(e, 'settings.json'), '{}');
    await waitFor(() => seen.includes(path.join(e, 'settings.json')), 'the change in a folder added again');
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.filter((p) => p.startsWith(b + path.sep) || p.startsWith(d + path.sep))).toEqual([]);

    await w.update(setOf([a, b, e]));
    fs.writeFileSync(path.join(b, 'settings.json'), '{}');
    await waitFor(() => seen.includes(path.join(b, 'settings.json')), 'the change in a folder watched again after the renewal');
  });

  it('a change made while the renewal arms the new watcher is reported (the old one listens until then)', async () => {
    const keep = Array.from({ length: 40 }, (_, i) => path.join(base, `keep-${i}`));
    const drop = Array.from({ length: 4 }, (_, i) => path.join(base, `drop-${i}`));
    for (const f of [...keep, ...drop]) fs.mkdirSync(f);
    const seen = new Set<string>();
    w = createFolderWatcher({ onPath: (p) => seen.add(p), renewAfterUnwatches: 4 });
    await w.update(setOf([...keep, ...drop]));
    const renewing = w.update(setOf(keep));
    const during = path.join(keep[0]!, 'settings.json');
    fs.writeFileSync(during, '{"model":"opus"}');
    await renewing;
    expect(w.renewals()).toBe(1);
    await waitFor(() => seen.has(during), 'the change made during the renewal');
  });
});
