/**
 * A contested file: a script rewrites alice's settings (adding `model` back, Claude Code style) every
 * 20 ms for ~3 s while the daemon (built CLI, real chokidar, `repairRateLimit` burst 3 then 60/min) keeps
 * repairing. Repairs are rate-limited, the file is listed under `contested` with one `contested` event,
 * the daemon does not busy-loop (passes far fewer than rewrites, CPU well under a core), and once the
 * script stops the file ends compliant. Measured numbers are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfig, daemonMachine, eventsOf, gatewayEnv, logText, policyDoc, sleep, startDaemon, waitFor, type DaemonMachine, type DaemonProcess } from './support/harness.js';

const SECRET = 'sk-bf-daemon-contest-71c3e0a94d2b8f65-SECRET';
const USER_KEY = 'sk-ant-api03-contest-user-key-0a1b2c3d4e5f';
const FILE = '/home/alice/.claude/settings.json';
const OTHER = '/home/alice/work/api/.claude/settings.json';

let m: DaemonMachine;
let d: DaemonProcess;

beforeAll(async () => {
  m = daemonMachine({ users: { alice: ['/home/alice/work/api'] }, policy: policyDoc({ version: 1, env: gatewayEnv('v1', SECRET) }) });
  m.rewrite(FILE, { env: { ANTHROPIC_AUTH_TOKEN: USER_KEY } });
  m.rewrite(OTHER, { permissions: { allow: [] } });
  const config = agentConfig(m, { repairRateLimit: { burst: 3, perMinute: 60 } });
  d = await startDaemon(m, ['--config', config, '--policy', m.policyPath]);
});

afterAll(() => {
  d?.kill();
  m?.cleanup();
});

describe('daemon: a file something else keeps rewriting', () => {
  it('rate-limits repairs, reports the file contested, stays cheap, ends compliant', async () => {
    await sleep(300); // start-up writes settled
    const since = new Date().toISOString();
    const passes0 = m.status().passes;
    const cpu0 = d.cpuSeconds();
    const t0 = performance.now();
    let rewrites = 0;
    while (performance.now() - t0 < 3_000) {
      m.rewrite(FILE, { env: { ANTHROPIC_AUTH_TOKEN: USER_KEY }, model: rewrites % 2 ? 'opus' : 'claude-opus-4-1' });
      rewrites++;
      await sleep(20);
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = d.cpuSeconds() - cpu0;
    await sleep(300); // the status file written after the last pass (at most one write a second)
    await waitFor(() => new Date(m.status().at).getTime() > Date.parse(since) + wall * 1000, 'status.json written after the rewriting');
    const s = m.status();
    const passes = s.passes - passes0;
    const repairs = eventsOf(s, 'drift-repaired', { path: FILE, since }).length;
    console.log(JSON.stringify({ rewrites, wallSeconds: +wall.toFixed(2), daemonCpuSeconds: cpu, passes, repairs }));

    expect(s.contested).toContain(FILE);
    const contested = eventsOf(s, 'contested', { path: FILE, since });
    expect(contested).toHaveLength(1); // one per contest window, not one per refused repair
    expect(contested[0]!.message).toMatch(/rewritten by something else/);
    expect(contested[0]!.codes).toContain('model');
    // Burst 3, then one a second: about 6 repairs in 3 s, whatever the 150 rewrites.
    expect(repairs).toBeGreaterThanOrEqual(1); // how many fit in 3 s depends on the machine; the ceiling is the point
    expect(repairs).toBeLessThanOrEqual(3 + Math.ceil(wall) + 2);
    expect(passes).toBeLessThan(rewrites / 3);
    expect(cpu).toBeLessThan(wall * 0.5);
    // The other files were not held back.
    expect(s.contested).not.toContain(OTHER);

    // The rewriting stopped: the next token repairs it, and it stays repaired.
    await waitFor(() => !('model' in m.json(FILE)), 'the file compliant after the rewriting stopped');
    expect(m.json(FILE)).toEqual({ env: { ANTHROPIC_AUTH_TOKEN: USER_KEY } });
    const mtime = m.mtime(FILE);
    await sleep(1_200);
    expect(m.mtime(FILE)).toBe(mtime);
  });

  it('keeps the secrets out of its logs while it says why the file is contested', async () => {
    const r = await d.stop('SIGTERM');
    expect(r.code).toBe(0);
    const logs = logText(m);
    expect(logs).toMatch(/contested: something keeps rewriting this file/);
    for (const secret of [SECRET, USER_KEY]) {
      expect(logs.includes(secret)).toBe(false);
      expect(d.stderr().includes(secret)).toBe(false);
    }
  });
});
