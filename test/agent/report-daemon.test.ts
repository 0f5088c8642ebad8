/**
 * `ccfleet daemon` (built CLI) with an agent config naming the fake server: it enrolls, reports its first
 * picture, reports a drift repair (the event drained into the next report, debounced), and on SIGTERM exits
 * 0 with its token private and no secret in anything it sent or spooled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireReport } from '../../src/core/report-schema.js';
import { fixture, SECRET, type Fixture } from '../cli/e2e-fixture.js';
import { bundle } from '../support/cli.js';
import { testNode } from '../support/runtime.js';
import { startFakeServer, type FakeServer } from './report-fake-server.js';

const ENROLL = 'enroll-secret-daemon-93af';
const FILE = '/home/alice/.claude/settings.json';

async function until<T>(get: () => T | undefined | null | false, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ccfleet daemon reports to the server', () => {
  let f: Fixture;
  let server: FakeServer;
  let child: ChildProcess;
  let stderr = '';
  const reports = (): WireReport[] => [...server.reports.values()];

  beforeAll(async () => {
    f = fixture('linux', [{ name: 'alice' }]);
    f.put(FILE, JSON.stringify({ env: { FOO: '1' } }));
    server = await startFakeServer({ enrollSecret: ENROLL });
    const config = path.join(f.root, 'agent.json');
    fs.writeFileSync(config, JSON.stringify({ server: server.url, enrollSecret: ENROLL, reportDebounceSeconds: 0.2 }));
    child = spawn(testNode, [bundle, 'daemon', '--root', f.root, '--platform', 'linux', '--policy', f.policyPath, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await server.close();
    f.cleanup();
  });

  it('enrolls and reports the first picture', async () => {
    const first = await until(() => reports()[0], `the first report (daemon stderr: ${stderr})`);
    expect(first).toMatchObject({ compliant: true, policy: { id: 'e2e', version: 1 } });
    expect(server.requests[0]!.path).toBe('/v1/enroll');
    expect(fs.statSync(path.join(f.stateDir, 'device-token')).mode & 0o777).toBe(0o600);
  });

  it('a drift is repaired and the repair arrives in a report', async () => {
    const before = server.reports.size;
    await until(() => fs.existsSync(path.join(f.stateDir, 'daemon', 'status.json')), 'the daemon status');
    f.put(FILE, JSON.stringify({ env: { FOO: '1' }, model: 'claude-opus-4-5' }));
    const withRepair = await until(
      () => reports().slice(before).find((r) => r.events.some((e) => e.kind === 'drift-repaired' && e.path === FILE)),
      `a report with the repair (daemon stderr: ${stderr})`,
    );
    expect(withRepair.events.find((e) => e.kind === 'drift-repaired')!.codes).toContain('model-present:model');
    expect(withRepair.compliant).toBe(true);
    expect(JSON.parse(f.read(FILE))).toEqual({ env: { FOO: '1' } });
  });

  it('SIGTERM: exit 0; no secret in what it sent or spooled', async () => {
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const token = JSON.parse(fs.readFileSync(path.join(f.stateDir, 'device-token'), 'utf8')).token as string;
    const sent = server.requests.filter((q) => q.path === '/v1/reports').map((q) => q.body).join('\n');
    const spoolDir = path.join(f.stateDir, 'spool');
    const spooled = fs.readdirSync(spoolDir).filter((n) => n.endsWith('.json')).map((n) => fs.readFileSync(path.join(spoolDir, n), 'utf8')).join('\n');
    for (const secret of [SECRET, ENROLL, token]) {
      expect(sent).not.toContain(secret);
      expect(spooled).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
  });
});
