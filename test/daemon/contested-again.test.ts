/**
 * A second contest on the same file is reported again. The rate limiter's window outlives a contest (a
 * full refill takes capacity / rate: here 3 tokens at 6 a minute = 30 s), so counting its refusals would
 * report only the first burst on a file — found by the churn soak, where `/model`-style bursts hit the same
 * user file 20 s apart. The daemon reports one `contested` event and log line per episode: a file not found
 * contested for `contestGapSeconds` starts a new one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfig, daemonMachine, eventsOf, gatewayEnv, logEntries, policyDoc, sleep, startDaemon, waitFor, type DaemonMachine, type DaemonProcess } from './support/harness.js';

const FILE = '/home/alice/.claude/settings.json';

let m: DaemonMachine;
let d: DaemonProcess;

beforeAll(async () => {
  m = daemonMachine({ users: { alice: [] }, policy: policyDoc({ version: 1, env: gatewayEnv('v1', 'sk-bf-contest-again-5f1e2d3c4b5a6978') }) });
  m.rewrite(FILE, { permissions: { allow: [] } });
  const config = agentConfig(m, { repairRateLimit: { burst: 3, perMinute: 6, contestGapSeconds: 1 } });
  d = await startDaemon(m, ['--config', config, '--policy', m.policyPath]);
});

afterAll(() => {
  d?.kill();
  m?.cleanup();
});

async function burst(ms: number): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; performance.now() - t0 < ms; i++) {
    m.rewrite(FILE, { permissions: { allow: [] }, model: i % 2 ? 'opus' : 'sonnet' });
    await sleep(20);
  }
}

describe('daemon: the same file contested twice', () => {
  it('reports each contest, although the limiter still holds the first one', async () => {
    await sleep(300);
    const since = new Date().toISOString();
    await burst(1_500);
    await waitFor(() => eventsOf(m.status(), 'contested', { path: FILE, since }).length === 1, 'the first contest reported');
    await sleep(2_000); // quiet for longer than contestGapSeconds, far less than the limiter's 30 s refill
    await burst(1_500);
    await waitFor(() => eventsOf(m.status(), 'contested', { path: FILE, since }).length === 2, 'the second contest reported', {
      detail: () => JSON.stringify(m.status().events.slice(-10)),
    });
    const lines = logEntries(m).filter((e) => String(e.msg).startsWith('contested') && e.meta?.path === FILE);
    expect(lines).toHaveLength(2);
    expect(String(lines[0]!.meta?.detail)).toMatch(/repair attempt\(s\) since/);
  });
});
