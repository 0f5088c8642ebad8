/**
 * The sender draining a backlog against the real server app: one report alone first (the answer says
 * batches are welcome), then batches; per-item rejections dropped like a 400; a server that advertises but
 * cannot read batches (an older replica behind the same load balancer) → one by one, nothing lost.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Enrollment } from '../../src/agent/report/enroll.js';
import { Sender } from '../../src/agent/report/sender.js';
import { Spool } from '../../src/agent/report/spool.js';
import { Backoff } from '../../src/agent/scheduler.js';
import type { AppDeps } from '../../src/server/app.js';
import { ENROLL, request, start, type Running } from '../server/fixtures.js';
import { parseExposition } from '../server/prom.js';
import { sampleReport } from './report-sample.js';

const DEVICE = 'dev-batch-1';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(over: Partial<AppDeps> = {}, wrap?: (s: Running) => Promise<string>) {
  const s = await start(over);
  cleanups.push(() => s.close());
  const url = wrap ? await wrap(s) : s.url;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-batch-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const logs: string[] = [];
  const line = (level: string) => (msg: string) => logs.push(`${level} ${msg}`);
  const spool = Spool.open(dir);
  const sender = new Sender({
    spool,
    server: url,
    enrollment: new Enrollment({ stateDir: dir, server: url, enrollSecret: ENROLL, deviceId: DEVICE, hostname: 'laptop-1' }),
    http: { timeoutMs: 10_000, userAgent: 'ccfleet-test' },
    log: { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug') },
    backoff: new Backoff({ baseMs: 1_000, maxMs: 60_000, random: () => 0.5 }),
  });
  cleanups.push(() => sender.stop());
  const fill = (n: number) => Array.from({ length: n }, () => spool.put(sampleReport({ deviceId: DEVICE })).id);
  const posts = async () => parseExposition((await request(`${s.url}/metrics`)).text).value('ccfleet_http_request_duration_seconds_count', { route: 'reports' });
  return { s, spool, sender, logs, fill, posts };
}

describe('backlog in batches', () => {
  it('250 spooled reports: one alone, then batches of 100, 100 and 49; all stored once, spool empty', async () => {
    const r = await rig();
    const ids = r.fill(250);
    const res = await r.sender.deliver();
    expect(res).toMatchObject({ outcome: 'done', remaining: 0, rejected: [] });
    expect(res.delivered).toEqual(ids);
    expect(await r.posts()).toBe(4);
    expect((await r.s.store.summary()).reportsTotal).toBe(250);
    // The next round sends a new report in a batch only when there are two or more.
    r.fill(1);
    expect((await r.sender.deliver()).delivered).toHaveLength(1);
    expect(await r.posts()).toBe(5);
  });

  it('a report the server refuses for good inside a batch is dropped (counted for the next report); the others are delivered', async () => {
    const r = await rig();
    const ids = r.fill(3);
    const leaky = r.spool.put({ ...sampleReport({ deviceId: DEVICE }), hostname: 'sk-ant-api03-0123456789abcdefghij' }).id;
    const more = r.fill(2);
    const res = await r.sender.deliver();
    expect(res).toMatchObject({ outcome: 'done', remaining: 0, rejected: [leaky] });
    expect(res.delivered).toEqual([...ids, ...more]);
    expect(await r.posts()).toBe(2);
    expect(r.spool.pendingDropped()).toBe(0); // it carried nothing; nothing more to give back
    expect(r.logs.some((l) => l.startsWith('error') && l.includes('raw-secret'))).toBe(true);
  });

  it('a server that advertises batches but reads an array as one bad report: one by one, nothing dropped', async () => {
    // An older replica (batches off) behind a proxy that answers with the newer replicas' header.
    const r = await rig({ limits: { reportBatch: null } }, async (s) => {
      const proxy = http.createServer((req, res) => {
        res.setHeader('ccfleet-report-batch', '100');
        s.server.emit('request', req, res);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise<void>((resolve) => { proxy.closeAllConnections(); proxy.close(() => resolve()); }));
      return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    const ids = r.fill(6);
    const res = await r.sender.deliver();
    expect(res).toMatchObject({ outcome: 'done', remaining: 0, rejected: [] });
    expect(res.delivered).toEqual(ids);
    expect(await r.posts()).toBe(1 + 1 + 5); // alone, the refused batch, then one by one
    expect((await r.s.store.summary()).reportsTotal).toBe(6);
    expect(r.logs.some((l) => l.includes('does not take reports in batches'))).toBe(true);
  });
});
