/**
 * `ccfleet report` through the built CLI against the fake server: exit 0 delivered, 1 spooled for later,
 * 2 error (no server configured, enrollment refused, a report refused for good); the spool carries what a
 * failed run left to the next; the device token is private; no secret in any report body or spooled file.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reportSchema } from '../../src/core/report-schema.js';
import { fixture, SECRET, type Fixture } from '../cli/e2e-fixture.js';
import { bundle, type CliResult } from '../support/cli.js';
import { testNode } from '../support/runtime.js';
import { startFakeServer, type FakeServer } from './report-fake-server.js';

const ENROLL = 'enroll-secret-cli-5d2e';

/** The built CLI without blocking this process (the fake server lives here). */
function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(testNode, [bundle, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = null;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

describe('ccfleet report', () => {
  let f: Fixture;
  let server: FakeServer;
  let config: string;
  const writeConfig = (c: Record<string, unknown>) => fs.writeFileSync(config, JSON.stringify(c));
  const run = (...args: string[]) => cli(['report', '--root', f.root, '--platform', 'linux', '--config', config, ...args]);
  const spooled = () => (fs.existsSync(path.join(f.stateDir, 'spool')) ? fs.readdirSync(path.join(f.stateDir, 'spool')).filter((n) => n.endsWith('.json') && n !== 'state.json') : []);

  beforeAll(async () => {
    f = fixture('linux', [{ name: 'alice' }], { report: { homePaths: 'tilde' } });
    f.put('/home/alice/.claude/settings.json', JSON.stringify({ model: 'opus', env: { ANTHROPIC_API_KEY: 'sk-bf-alice-own-key-0123456789abcdef' } }));
    f.put('/home/alice/.claude.json', JSON.stringify({ projects: { '/home/alice/api': {} } }));
    config = path.join(f.root, 'agent.json');
  });
  afterAll(() => f.cleanup());
  beforeEach(async () => {
    server = await startFakeServer({ enrollSecret: ENROLL });
    writeConfig({ server: server.url, enrollSecret: ENROLL });
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(f.stateDir, { recursive: true, force: true });
  });

  it('exit 0: checks, enrolls, delivers; the report passes the schema, has ~ paths, and no secret anywhere', async () => {
    const r = await run('--once', '--json', '--policy', f.policyPath);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ delivered: 1, spooled: 0, dropped: 0, rejected: 0, outcome: 'delivered' });
    const [report] = await server.waitForReports(1);
    expect(reportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({ id: r.json.id, compliant: false, policy: { id: 'e2e', version: 1, digest: createHash('sha256').update(fs.readFileSync(f.policyPath)).digest('hex') } });
    expect(report!.files.map((x) => x.path)).toContain('~/.claude/settings.json');
    expect(spooled()).toEqual([]);
    const tokenFile = path.join(f.stateDir, 'device-token');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = JSON.parse(fs.readFileSync(tokenFile, 'utf8')).token as string;
    const bodies = server.requests.filter((q) => q.path === '/v1/reports').map((q) => q.body).join('\n');
    for (const secret of [SECRET, 'sk-bf-alice-own-key', ENROLL, token]) {
      expect(bodies).not.toContain(secret);
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
  });

  it('exit 1: the server fails (503, or is down) — spooled; the next run delivers all, oldest first', async () => {
    server.script.push(503);
    const first = await run('--once', '--json', '--policy', f.policyPath);
    expect(first.code).toBe(1);
    expect(first.json).toMatchObject({ delivered: 0, spooled: 1, outcome: 'spooled' });
    expect(spooled()).toHaveLength(1);
    const onDisk = spooled().map((n) => fs.readFileSync(path.join(f.stateDir, 'spool', n), 'utf8')).join('\n');
    expect(reportSchema.safeParse(JSON.parse(onDisk)).success).toBe(true);
    for (const secret of [SECRET, 'sk-bf-alice-own-key', ENROLL]) expect(onDisk).not.toContain(secret);
    // No server at all: still spooled, exit 1.
    const url = server.url;
    await server.close();
    const down = await run('--once', '--json', '--policy', f.policyPath);
    expect(down.code).toBe(1);
    expect(down.json).toMatchObject({ spooled: 2, outcome: 'spooled', message: expect.stringMatching(/ECONNREFUSED/) });
    server = await startFakeServer({ enrollSecret: ENROLL });
    writeConfig({ server: server.url, enrollSecret: ENROLL });
    expect(server.url).not.toBe(url);
    const third = await run('--once', '--json', '--policy', f.policyPath);
    expect(third.code).toBe(0);
    expect(third.json).toMatchObject({ delivered: 3, spooled: 0 });
    const order = server.requests.filter((q) => q.path === '/v1/reports').map((q) => JSON.parse(q.body).id);
    expect(order).toEqual([first.json.id, down.json.id, third.json.id]);
  });

  it('without --once a transient failure is retried within the run', async () => {
    server.script.push(503);
    const r = await run('--json', '--policy', f.policyPath);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ delivered: 1, outcome: 'delivered' });
  });

  it('exit 2: no server configured, a refused enrollment (kept), a report refused for good (dropped)', async () => {
    writeConfig({ enrollSecret: ENROLL });
    const none = await run('--once', '--policy', f.policyPath);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/CONFIG_INVALID.*"server"/);

    writeConfig({ server: server.url, enrollSecret: 'not-the-enroll-secret' });
    const refused = await run('--once', '--json', '--policy', f.policyPath);
    expect(refused.code).toBe(2);
    expect(refused.json).toMatchObject({ outcome: 'blocked', spooled: 1 });
    expect(refused.stdout + refused.stderr).not.toContain('not-the-enroll-secret');

    // With the right secret, the kept report goes out with the next run (which also proves it was kept).
    writeConfig({ server: server.url, enrollSecret: ENROLL });
    const fixed = await run('--once', '--json', '--policy', f.policyPath);
    expect(fixed.code).toBe(0);
    expect(fixed.json).toMatchObject({ delivered: 2 });

    server.script.push(400);
    const bad = await run('--once', '--json', '--policy', f.policyPath);
    expect(bad.code).toBe(2);
    expect(bad.json).toMatchObject({ rejected: 1, delivered: 0, spooled: 0, outcome: 'rejected' });
    expect(bad.stderr).toMatch(/HTTP 400 forced-400/);
  });

  it('without --policy: the daemon\'s source from the agent config, with its digest', async () => {
    writeConfig({ server: server.url, enrollSecret: ENROLL, policy: f.policyPath });
    const r = await run('--once', '--json');
    expect(r.code).toBe(0);
    const [report] = await server.waitForReports(1);
    expect(report!.policy?.digest).toBe(createHash('sha256').update(fs.readFileSync(f.policyPath)).digest('hex'));
  });
});
