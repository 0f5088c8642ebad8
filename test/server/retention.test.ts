// History retention over the SQLite store: old history goes, each device's latest report stays; a failed
// prune is logged and retried; 0 days schedules nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { startRetention, type Retention } from '../../src/server/retention.js';
import type { ServerLog } from '../../src/server/log.js';
import { report } from './fixtures.js';
import { testStore, type TestStore } from './test-store.js';

const now = new Date('2025-06-01T00:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
let store: TestStore;
let retention: Retention | null = null;
const lines: string[] = [];
const log: ServerLog = { info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`), error: (m) => lines.push(`ERROR ${m}`) };

afterEach(async () => {
  await retention?.stop();
  retention = null;
  await store.close();
  lines.length = 0;
});

describe('retention', () => {
  it('deletes history older than historyDays but never a device\'s latest report', async () => {
    store = await testStore({ now: () => now });
    await store.enroll({ id: 'd1', tokenHash: 'a'.repeat(64), hostname: 'h1', at: daysAgo(400) });
    await store.enroll({ id: 'd2', tokenHash: 'b'.repeat(64), hostname: 'h2', at: daysAgo(400) });
    for (const [id, dev, age] of [['old-1', 'd1', 200], ['old-2', 'd1', 100], ['new-1', 'd1', 10], ['only', 'd2', 300]] as const) {
      await store.addReport({ report: report(dev, { id, createdAt: daysAgo(age) }) as never, receivedAt: daysAgo(age) });
    }
    let pruned = 0;
    retention = startRetention({ store, historyDays: 90, log, firstDelayMs: 60_000, onPruned: (n) => (pruned += n) });
    expect(await retention.runOnce()).toBe(2);
    expect(pruned).toBe(2);
    expect((await store.summary()).reportsTotal).toBe(2);
    expect((await store.device('d2', 10))!.latest!.id).toBe('only');
    expect(lines).toContainEqual('INFO retention: deleted 2 history row(s) older than 90 days');
    expect(await retention.runOnce()).toBe(0);
  });

  it('logs a failed prune and resolves 0', async () => {
    store = await testStore({ now: () => now });
    store.failing = true;
    retention = startRetention({ store, historyDays: 30, log, firstDelayMs: 60_000 });
    expect(await retention.runOnce()).toBe(0);
    expect(lines).toContainEqual(expect.stringMatching(/^ERROR retention: prune failed/));
  });

  it('runs on its own timer', async () => {
    store = await testStore({ now: () => now });
    let runs = 0;
    retention = startRetention({ store, historyDays: 30, log, firstDelayMs: 1, intervalMs: 5, onPruned: () => runs++ });
    for (let i = 0; i < 400 && runs < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(runs).toBeGreaterThanOrEqual(3);
  });

  it('schedules nothing with historyDays 0', async () => {
    store = await testStore({ now: () => now });
    let runs = 0;
    retention = startRetention({ store, historyDays: 0, log, firstDelayMs: 1, intervalMs: 1, onPruned: () => runs++ });
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(0);
  });
});
