/** When a distribution's report is sent: on change, on repairs and errors, else only at the heartbeat. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/agent/log.js';
import type { MachineReport } from '../../src/agent/report-types.js';
import { WslReporting } from '../../src/agent/wsl/distro-reporting.js';
import type { DistroOutcome } from '../../src/agent/wsl/run-distro.js';
import { startFakeServer, type FakeServer } from './report-fake-server.js';

let server: FakeServer | null = null;
let dir = '';
afterEach(async () => {
  await server?.close();
  server = null;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const machine = (compliant: boolean, repaired = false): MachineReport => ({
  compliant,
  mode: 'repair',
  policy: { id: 'p', version: 1 },
  platform: 'wsl',
  managed: { compliant: true, dir: '/etc/claude-code', findings: [] },
  users: [],
  files: repaired ? [{ path: '/home/a/.claude/settings.json', scope: 'user', role: 'user', user: 'a', state: 'repaired', compliant: true, findings: [{ code: 'model-present', key: 'model' }] }] : [],
  summary: { users: 0, files: 0, nonCompliantUsers: 0, repaired: repaired ? 1 : 0, unsafe: 0, unparseable: 0, errors: 0 },
});
const ok = (m: MachineReport): DistroOutcome => ({ distro: 'Ubuntu', kind: 'ok', report: m, exitCode: 0, kernel: '6.6.87.2-microsoft-standard-WSL2', ms: 1 });

describe('WslReporting', () => {
  it('unchanged → nothing; repaired, changed or an error → a report; unchanged past the heartbeat → a report', async () => {
    server = await startFakeServer({ enrollSecret: 's' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wsl-rep-'));
    let now = Date.parse('2026-01-01T00:00:00Z');
    const r = new WslReporting({
      server: server.url, enrollSecret: 's', stateDir: dir, http: { timeoutMs: 5_000, userAgent: 'test' },
      host: () => ({ deviceId: 'host-1', hostname: 'LAPTOP', agentVersion: '1.0.0', arch: 'x64' }),
      log: createLogger({ logDir: null, console: false }), heartbeatMs: 3_600_000, now: () => new Date(now),
    });
    const ctx = { policy: { id: 'p', version: 1 }, digest: 'a'.repeat(64), homePaths: 'full' as const, mode: 'repair' as const };
    const step = async (o: DistroOutcome) => (await r.report([o], ctx)).decisions.get('Ubuntu');
    expect(await step(ok(machine(true, true)))).toBe('spooled'); // first
    now += 60_000;
    expect(await step(ok(machine(true)))).toBe('unchanged');
    now += 60_000;
    expect(await step(ok(machine(true, true)))).toBe('spooled'); // a repair is news
    expect(await step(ok(machine(false)))).toBe('spooled'); // verdict changed
    expect(await step({ distro: 'Ubuntu', kind: 'error', code: 'wsl-timeout', message: 'no answer within 120 s', exitCode: null, kernel: null, ms: 120_000 })).toBe('spooled');
    expect(await step(ok(machine(false)))).toBe('spooled'); // the error went away
    now += 3_599_000;
    expect(await step(ok(machine(false)))).toBe('unchanged');
    now += 1_000;
    expect(await step(ok(machine(false)))).toBe('spooled'); // heartbeat
    await r.stop();
    const reports = [...server.reports.values()];
    expect(reports).toHaveLength(6);
    expect(new Set(reports.map((x) => `${x.deviceId} ${x.hostname} ${x.os.platform}`))).toEqual(new Set(['host-1:wsl:ubuntu LAPTOP/Ubuntu wsl']));
    expect(reports.map((x) => x.os.release).sort()).toEqual([...Array(5).fill('6.6.87.2-microsoft-standard-WSL2'), 'unknown']);
    expect(server.requests.filter((q) => q.path === '/v1/enroll')).toHaveLength(1);
  });
});
