/**
 * Enrollment and delivery of the spool against a fake ccfleet server (real HTTP on 127.0.0.1): 2xx removes,
 * 401 re-enrolls once, 400/413/422 drop with a count, 403 keeps, 5xx/429/timeouts keep and back off (no
 * request before the backoff is over), a lost 202 is resent harmlessly, rounds never overlap, the token
 * file is private and no secret is ever logged or put in a report.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Enrollment, readToken, tokenPath } from '../../src/agent/report/enroll.js';
import { Sender } from '../../src/agent/report/sender.js';
import { Spool, spoolDir } from '../../src/agent/report/spool.js';
import { Backoff } from '../../src/agent/scheduler.js';
import { startFakeServer, type FakeServer } from './report-fake-server.js';
import { sampleReport } from './report-sample.js';

const ENROLL_SECRET = 'enroll-secret-do-not-log-7c1f';

interface Rig {
  dir: string;
  server: FakeServer;
  spool: Spool;
  sender: Sender;
  enrollment: Enrollment;
  logs: string[];
  clock: { t: number };
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.sender.stop();
    await r.server.close();
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

async function rig(o: { timeoutMs?: number; gzip?: boolean; enrollSecret?: string | undefined; server?: FakeServer; dir?: string } = {}): Promise<Rig> {
  const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-deliver-'));
  const stateDir = path.join(dir, 'state');
  const server = o.server ?? (await startFakeServer({ enrollSecret: ENROLL_SECRET }));
  const logs: string[] = [];
  const line = (level: string) => (msg: string, meta?: Record<string, unknown>) => logs.push(`${level} ${msg} ${meta ? JSON.stringify(meta) : ''}`);
  const log = { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug') };
  const clock = { t: 1_000_000 };
  const spool = Spool.open(stateDir);
  const enrollment = new Enrollment({ stateDir, server: `${server.url}/`, enrollSecret: 'enrollSecret' in o ? o.enrollSecret : ENROLL_SECRET, deviceId: 'dev-local-1', hostname: 'laptop-1' });
  const sender = new Sender({
    spool,
    server: server.url,
    enrollment,
    http: { timeoutMs: o.timeoutMs ?? 5_000, userAgent: 'ccfleet-test', ...(o.gzip ? { gzip: true } : {}) },
    log,
    backoff: new Backoff({ baseMs: 1_000, maxMs: 60_000, random: () => 0.999 }),
    now: () => clock.t,
  });
  const r = { dir, server, spool, sender, enrollment, logs, clock };
  rigs.push(r);
  return r;
}

describe('enrollment', () => {
  it('exchanges the secret for a token kept 0600 in the state dir; the device id goes along; nothing secret is logged', async () => {
    const r = await rig();
    const a = sampleReport();
    r.spool.put(a);
    const res = await r.sender.deliver();
    expect(res).toMatchObject({ outcome: 'done', delivered: [a.id], rejected: [], remaining: 0 });
    const enroll = r.server.requests.find((q) => q.path === '/v1/enroll')!;
    expect(JSON.parse(enroll.body)).toEqual({ enrollSecret: ENROLL_SECRET, deviceId: 'dev-local-1', hostname: 'laptop-1' });
    const file = tokenPath(path.join(r.dir, 'state'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const token = readToken(path.join(r.dir, 'state'), r.server.url)!;
    expect(r.server.tokens.has(token.token)).toBe(true);
    expect(token.deviceId).toBe('dev-local-1');
    const post = r.server.requests.find((q) => q.path === '/v1/reports')!;
    expect(post.headers.authorization).toBe(`Bearer ${token.token}`);
    // Neither secret is in a report body, a spooled file or a log line.
    const reportBodies = r.server.requests.filter((q) => q.path === '/v1/reports').map((q) => q.body).join('\n');
    for (const secret of [ENROLL_SECRET, token.token]) {
      expect(reportBodies).not.toContain(secret);
      expect(r.logs.join('\n')).not.toContain(secret);
    }
    // A second sender (a restart) uses the stored token: no second enrollment.
    const again = await rig({ server: r.server, dir: r.dir });
    again.spool.put(sampleReport());
    expect((await again.sender.deliver()).outcome).toBe('done');
    expect(r.server.requests.filter((q) => q.path === '/v1/enroll')).toHaveLength(1);
  });

  it('a wrong secret, or none, blocks delivery (reports stay spooled) and backs off', async () => {
    const r = await rig({ enrollSecret: 'not-the-secret-zz91' });
    r.spool.put(sampleReport());
    const res = await r.sender.deliver();
    expect(res).toMatchObject({ outcome: 'blocked', remaining: 1 });
    expect(res.message).toMatch(/HTTP 401 bad-enroll-secret/);
    expect(res.retryInMs).toBeGreaterThan(0);
    expect(r.logs.join('\n')).not.toContain('not-the-secret-zz91');
    const none = await rig({ enrollSecret: undefined });
    none.spool.put(sampleReport());
    expect(await none.sender.deliver()).toMatchObject({ outcome: 'blocked', remaining: 1, message: expect.stringMatching(/no "enrollSecret"/) });
    expect(none.server.requests).toHaveLength(0);
  });
});

describe('delivery', () => {
  it('sends oldest first, byte for byte as spooled, and removes each after its 2xx', async () => {
    const r = await rig();
    const ids = [sampleReport(), sampleReport(), sampleReport()].map((x) => (r.spool.put(x), x.id));
    const files = r.spool.list().map((e) => fs.readFileSync(path.join(spoolDir(path.join(r.dir, 'state')), e.name), 'utf8'));
    const res = await r.sender.deliver();
    expect(res.delivered).toEqual(ids);
    const posts = r.server.requests.filter((q) => q.path === '/v1/reports');
    expect(posts.map((q) => q.body)).toEqual(files);
    expect(r.spool.list()).toEqual([]);
    expect((await r.sender.deliver()).outcome).toBe('empty');
  });

  it('401: enrolls again once and resends; a second 401 stops the round with the report kept', async () => {
    const r = await rig();
    r.spool.put(sampleReport());
    await r.sender.deliver();
    const first = readToken(path.join(r.dir, 'state'), r.server.url)!.token;
    r.server.revokeTokens();
    const b = sampleReport();
    r.spool.put(b);
    const res = await r.sender.deliver();
    expect(res).toMatchObject({ outcome: 'done', delivered: [b.id] });
    const second = readToken(path.join(r.dir, 'state'), r.server.url)!.token;
    expect(second).not.toBe(first);
    expect(r.server.requests.filter((q) => q.path === '/v1/enroll')).toHaveLength(2);
    expect(r.logs.join('\n')).toMatch(/401.*enrolling again/);
    // The server keeps refusing: one re-enrollment, then the round stops.
    r.server.script.push(401, 401);
    const c = sampleReport();
    r.spool.put(c);
    const stuck = await r.sender.deliver();
    expect(stuck).toMatchObject({ outcome: 'blocked', remaining: 1 });
    expect(r.server.requests.filter((q) => q.path === '/v1/enroll')).toHaveLength(3);
    for (const t of [first, second]) expect(r.logs.join('\n')).not.toContain(t);
  });

  it('400/413/422: logged with the server\'s code, dropped, counted rejected; the round goes on', async () => {
    const r = await rig();
    const a = sampleReport({ spoolDropped: 0 });
    const b = sampleReport();
    const c = sampleReport();
    const d = sampleReport();
    for (const x of [a, b, c, d]) r.spool.put(x);
    r.server.script.push(400, 413, 422);
    const res = await r.sender.deliver();
    expect(res).toMatchObject({ outcome: 'done', delivered: [d.id], rejected: [a.id, b.id, c.id], remaining: 0 });
    expect(r.logs.filter((l) => l.startsWith('error')).join('\n')).toMatch(/HTTP 400 forced-400[\s\S]*HTTP 413 forced-413[\s\S]*HTTP 422 forced-422/);
    // A report the server's validation refuses (the real server would do the same) is dropped, not retried forever.
    const bad = { ...sampleReport(), compliant: 'yes' } as unknown as ReturnType<typeof sampleReport>;
    r.spool.put(bad);
    expect(await r.sender.deliver()).toMatchObject({ rejected: [bad.id], remaining: 0 });
  });

  it('a refused report gives back the dropped count it carried', async () => {
    const r = await rig();
    const carrier = sampleReport({ spoolDropped: 4 });
    // The spool has 4 drops on record; the carrier claims them.
    const state = path.join(spoolDir(path.join(r.dir, 'state')), 'state.json');
    fs.writeFileSync(state, JSON.stringify({ dropped: 4 }));
    r.spool.put(carrier);
    expect(r.spool.pendingDropped()).toBe(0);
    r.server.script.push(422);
    await r.sender.deliver();
    expect(r.spool.pendingDropped()).toBe(4);
  });

  it('403: logged and kept; the round stops and backs off', async () => {
    const r = await rig();
    const a = sampleReport();
    const b = sampleReport();
    r.spool.put(a);
    r.spool.put(b);
    r.server.script.push(403);
    const res = await r.sender.deliver();
    expect(res).toMatchObject({ outcome: 'blocked', delivered: [], remaining: 2 });
    expect(r.server.requests.filter((q) => q.path === '/v1/reports')).toHaveLength(1);
    expect(r.logs.join('\n')).toMatch(/HTTP 403 forced-403/);
  });

  it('5xx and 429: kept, exponential backoff, no request before it is over, delivered after', async () => {
    const r = await rig();
    const a = sampleReport();
    r.spool.put(a);
    r.server.script.push(503, 500, 429);
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await r.sender.deliver();
      expect(res).toMatchObject({ outcome: 'retry', remaining: 1 });
      waits.push(res.retryInMs!);
      const posts = r.server.requests.length;
      const early = await r.sender.deliver(); // before the backoff is over: nothing sent
      expect(early).toMatchObject({ outcome: 'deferred' });
      expect(r.server.requests.length).toBe(posts);
      r.clock.t += res.retryInMs!;
    }
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(waits[2]).toBeGreaterThan(waits[1]!);
    expect(await r.sender.deliver()).toMatchObject({ outcome: 'done', delivered: [a.id] });
    // Success resets the backoff.
    r.server.script.push(500);
    r.spool.put(sampleReport());
    expect((await r.sender.deliver()).retryInMs).toBe(waits[0]);
  });

  it('a server that never answers: the request times out, the report stays, delivered later', async () => {
    const r = await rig({ timeoutMs: 300 });
    const a = sampleReport();
    r.spool.put(a);
    r.server.script.push('hang');
    const res = await r.sender.deliver();
    expect(res).toMatchObject({ outcome: 'retry', remaining: 1 });
    expect(res.message).toMatch(/timed out after 300 ms/);
    r.clock.t += res.retryInMs!;
    expect(await r.sender.deliver()).toMatchObject({ outcome: 'done', delivered: [a.id] });
  });

  it('a server that is down: network failure, kept; force ignores the backoff', async () => {
    const r = await rig();
    const url = r.server.url;
    await r.server.close();
    const down = await rig({ server: { ...r.server, url } as FakeServer });
    down.spool.put(sampleReport());
    const res = await down.sender.deliver();
    expect(res).toMatchObject({ outcome: 'retry', remaining: 1 });
    expect(res.message).toMatch(/ECONNREFUSED/);
    expect((await down.sender.deliver()).outcome).toBe('deferred');
    expect((await down.sender.deliver({ force: true })).outcome).toBe('retry');
    rigs.splice(rigs.indexOf(r), 1);
    rigs.splice(rigs.indexOf(down), 1);
    await down.sender.stop();
    fs.rmSync(r.dir, { recursive: true, force: true });
    fs.rmSync(down.dir, { recursive: true, force: true });
  });

  it('a lost 202 (stored, connection dropped): the same id is resent and stored once', async () => {
    const r = await rig();
    const a = sampleReport();
    r.spool.put(a);
    r.server.script.push('lost');
    expect(await r.sender.deliver()).toMatchObject({ outcome: 'retry', remaining: 1 });
    expect(r.server.reports.has(a.id)).toBe(true);
    r.clock.t += 120_000;
    expect(await r.sender.deliver()).toMatchObject({ outcome: 'done', delivered: [a.id] });
    expect(r.server.received()).toBe(2);
    expect(r.server.reports.size).toBe(1);
    const posts = r.server.requests.filter((q) => q.path === '/v1/reports');
    expect(posts[0]!.body).toBe(posts[1]!.body);
  });

  it('one round at a time: concurrent calls never send a report twice', async () => {
    const r = await rig();
    for (let i = 0; i < 5; i++) r.spool.put(sampleReport());
    const rounds = await Promise.all([r.sender.deliver(), r.sender.deliver(), r.sender.deliver()]);
    expect(rounds.flatMap((x) => x.delivered)).toHaveLength(5);
    expect(r.server.received()).toBe(5);
  });

  it('gzip bodies when asked', async () => {
    const r = await rig({ gzip: true });
    const a = sampleReport();
    r.spool.put(a);
    await r.sender.deliver();
    const post = r.server.requests.find((q) => q.path === '/v1/reports')!;
    expect(post.headers['content-encoding']).toBe('gzip');
    expect(r.server.reports.get(a.id)?.id).toBe(a.id);
  });
});
