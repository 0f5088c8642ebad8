/**
 * The daemon as root repairing a user's own files: the writes go through that user's long-lived write
 * child (writer-pool.ts) — the file keeps its owner, one child serves every drift of the user, and the
 * status file shows it. Needs root (a second uid, 4242, owning the home): skipped otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonMachine, gatewayEnv, policyDoc, startDaemon, waitFor, type DaemonMachine, type DaemonProcess } from './support/harness.js';

const isRoot = process.getuid?.() === 0;
const BOB = 4242;
const USER = '/home/bob/.claude/settings.json';
const PROJECT = '/home/bob/src/app/.claude/settings.local.json';

describe.skipIf(!isRoot)('daemon as root: repairs in the user’s long-lived write child (needs root)', () => {
  let m: DaemonMachine;
  let d: DaemonProcess;

  /** Writes `value` as bob would (temp file owned by bob, renamed over the target). */
  const drift = (p: string, value: unknown): void => {
    const h = m.host(p);
    const tmp = `${h}.tmp-${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    fs.chownSync(tmp, BOB, BOB);
    fs.renameSync(tmp, h);
  };
  const clean = (p: string) => () => {
    const j = JSON.parse(fs.readFileSync(m.host(p), 'utf8')) as Record<string, unknown>;
    return !('model' in j);
  };

  beforeAll(async () => {
    m = daemonMachine({ users: { bob: ['/home/bob/src/app'] }, policy: policyDoc({ version: 1, env: gatewayEnv('v1', 'sk-bf-asuser-test-0123456789') }) });
    fs.writeFileSync(m.host('/etc/passwd'), `root:x:0:0::/root:/bin/bash\nbob:x:${BOB}:${BOB}::/home/bob:/bin/bash\n`);
    for (let p = m.root; ; p = path.dirname(p)) {
      // the child runs as bob: every folder down to his home must be reachable
      fs.chmodSync(p, fs.statSync(p).mode | 0o755);
      if (path.dirname(p) === p) break;
    }
    fs.mkdirSync(m.host('/home/bob/.claude'), { recursive: true });
    fs.mkdirSync(m.host('/home/bob/src/app/.claude'), { recursive: true });
    fs.writeFileSync(m.host(USER), '{\n  "model": "opus"\n}\n');
    fs.writeFileSync(m.host(PROJECT), '{\n  "model": "sonnet"\n}\n');
    const chownTree = (p: string): void => {
      fs.lchownSync(p, BOB, BOB);
      if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e));
    };
    chownTree(m.host('/home/bob'));
    d = await startDaemon(m, ['--policy', m.policyPath]);
  }, 60_000);
  afterAll(async () => {
    await d?.stop();
    fs.rmSync(m.root, { recursive: true, force: true });
  });

  it('repairs the start-up drift and every later one in one child, keeping bob as the owner', async () => {
    await waitFor(clean(USER), 'start-up repair of the user file');
    await waitFor(clean(PROJECT), 'start-up repair of the local file');
    for (let i = 0; i < 5; i++) {
      drift(i % 2 ? PROJECT : USER, { model: `claude-opus-4-${i}`, permissions: { allow: [] } });
      await waitFor(clean(i % 2 ? PROJECT : USER), `drift ${i} repaired`);
    }
    for (const p of [USER, PROJECT]) {
      const st = fs.statSync(m.host(p));
      expect([st.uid, st.gid], p).toEqual([BOB, BOB]);
    }
    // status.json is written at most once a second: wait for one written after the repairs
    const s = await waitFor(() => {
      const w = m.status().writeChildren;
      return w && w.started > 0 ? w : null;
    }, 'status shows the write children');
    expect(s.started).toBe(1);
    expect(s.alive).toBe(1);
  }, 60_000);

  it('stops cleanly, ending the child', async () => {
    const r = await d.stop();
    expect(r.code).toBe(0);
    expect(m.status().writeChildren?.alive).toBe(0);
  });
});
