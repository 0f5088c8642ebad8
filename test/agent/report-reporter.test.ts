/**
 * The daemon's reporting loop against the fake server: a report after a pass that changed what the fleet
 * watches or left events (drained into it), none when nothing changed, heartbeats, retries after a failed
 * delivery, and a change pending at shutdown spooled rather than lost.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/agent/daemon/events.js';
import { Enrollment } from '../../src/agent/report/enroll.js';
import { Reporter } from '../../src/agent/report/reporter.js';
import { Sender } from '../../src/agent/report/sender.js';
import { Spool } from '../../src/agent/report/spool.js';
import type { MachineReport } from '../../src/agent/report-types.js';
import { Backoff } from '../../src/agent/scheduler.js';
import { startFakeServer, type FakeServer } from './report-fake-server.js';
import { sampleMachine } from './report-sample.js';

const SECRET = 'enroll-secret-reporter';
const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

interface Rig {
  dir: string;
  server: FakeServer;
  spool: Spool;
  reporter: Reporter;
  events: EventLog;
  machine: { current: MachineReport };
}
const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.reporter.stop();
    await r.server.close();
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

async function rig(o: { heartbeatMs?: number; homePaths?: 'full' | 'tilde'; timeoutMs?: number } = {}): Promise<Rig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-reporter-'));
  const stateDir = path.join(dir, 'state');
  const server = await startFakeServer({ enrollSecret: SECRET });
  const spool = Spool.open(stateDir);
  const enrollment = new Enrollment({ stateDir, server: server.url, enrollSecret: SECRET, deviceId: 'dev-1', hostname: 'h' });
  const sender = new Sender({ spool, server: server.url, enrollment, http: { timeoutMs: o.timeoutMs ?? 5_000, userAgent: 't' }, log: quiet, backoff: new Backoff({ baseMs: 20, maxMs: 40 }) });
  const events = new EventLog();
  const machine = { current: sampleMachine() };
  const reporter = new Reporter({
    spool,
    sender,
    identity: () => ({ deviceId: 'dev-1', hostname: 'h', agentVersion: '0.1.0', os: { platform: 'linux', arch: 'x64', release: '6' } }),
    policy: () => ({ digest: 'b'.repeat(64), homePaths: o.homePaths ?? 'full' }),
    log: quiet,
    debounceMs: 10,
    heartbeat: { everyMs: o.heartbeatMs ?? 3_600_000 },
  });
  reporter.attach({ events, current: () => machine.current });
  const r = { dir, server, spool, reporter, events, machine };
  rigs.push(r);
  return r;
}

/** Waits (generously) for a condition the system reaches on its own. */
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

const pass = (r: Rig, m: MachineReport = r.machine.current) => {
  r.machine.current = m;
  r.reporter.onPass(m, 'all');
};

describe('Reporter', () => {
  it('reports the first pass, then only what changed: a verdict, a model, events (drained into the report)', async () => {
    const r = await rig({ homePaths: 'tilde' });
    pass(r);
    await r.reporter.flush();
    let got = await r.server.waitForReports(1);
    expect(got[0]).toMatchObject({ deviceId: 'dev-1', compliant: true, policy: { id: 'p', version: 3, digest: 'b'.repeat(64) }, events: [] });
    expect(got[0]!.users[0]!.projects[0]!.path).toBe('~/api');

    pass(r); // the same picture, no events: nothing to send
    await r.reporter.flush();
    expect(r.server.received()).toBe(1);

    r.events.add({ at: new Date().toISOString(), kind: 'drift-repaired', user: 'alice', path: '/home/alice/.claude/settings.json', codes: ['model-present:model'] });
    pass(r);
    await r.reporter.flush();
    got = await r.server.waitForReports(2);
    const withEvent = got.find((x) => x.events.length > 0)!;
    expect(withEvent.events[0]).toMatchObject({ kind: 'drift-repaired', user: 'alice', path: '~/.claude/settings.json', codes: ['model-present:model'] });
    expect(r.events.recent()).toEqual([]); // drained

    const changed = sampleMachine();
    changed.users[0]!.selectedModel = { requested: 'opus', resolved: 'claude-opus-4-5', source: 'user.model' };
    changed.users[0]!.compliant = false;
    changed.compliant = false;
    pass(r, changed);
    await r.reporter.flush();
    got = await r.server.waitForReports(3);
    expect(got.filter((x) => x.compliant === false)).toHaveLength(1);
    expect(r.server.received()).toBe(3);
  });

  it('"policy unreachable" alone waits for the next report; a heartbeat reports without a change', async () => {
    const r = await rig({ heartbeatMs: 50 });
    pass(r);
    await r.reporter.flush();
    await r.server.waitForReports(1);
    r.events.add({ at: new Date().toISOString(), kind: 'policy-unreachable', message: 'down' });
    pass(r);
    await r.reporter.flush();
    expect(r.server.received()).toBe(1);
    r.reporter.start();
    const got = await r.server.waitForReports(2);
    expect(got[1]!.events.map((e) => e.kind)).toEqual(['policy-unreachable']);
  });

  it('a failed delivery is retried on the backoff; reports made meanwhile join the spool, in order', async () => {
    const r = await rig();
    r.server.script.push(503, 503);
    pass(r);
    await r.reporter.flush();
    r.events.add({ at: new Date().toISOString(), kind: 'policy-applied', message: 'p v3' });
    pass(r);
    await r.reporter.flush();
    const got = await r.server.waitForReports(2);
    expect(got.map((x) => x.events.length)).toEqual([0, 1]);
    await until(() => r.spool.list().length === 0, 'the spool to empty');
    expect(r.server.requests.filter((q) => q.path === '/v1/reports').map((q) => q.status)).toEqual([503, 503, 202, 202]);
  });

  it('stop(): a change not reported yet is spooled, not sent and not lost', async () => {
    const r = await rig();
    r.events.add({ at: new Date().toISOString(), kind: 'contested', user: 'alice', path: '/home/alice/.claude/settings.json' });
    pass(r); // debounce pending
    await r.reporter.stop();
    expect(r.server.received()).toBe(0);
    const [entry] = r.spool.list();
    const body = JSON.parse(r.spool.read(entry!)!.body.toString('utf8'));
    expect(body.events.map((e: { kind: string }) => e.kind)).toEqual(['contested']);
  });

  it('stop() does not wait for a server that hangs: the send is aborted, the report stays spooled', async () => {
    const r = await rig({ timeoutMs: 120_000 }); // longer than the test's own timeout
    r.server.script.push('hang');
    pass(r);
    await until(() => r.server.requests.some((q) => q.status === 'hang'), 'the request to hang');
    await r.reporter.stop();
    expect(r.spool.list()).toHaveLength(1);
    expect(r.server.reports.size).toBe(0);
  });
});
