/**
 * One `ccfleet daemon` process (the built CLI, real chokidar, a linux fixture root) taken through the
 * drifts of a working day, in order:
 *   - `/model`-style rewrites (temp file renamed over the target, 2-space JSON) of the user, project and
 *     local files → repaired; the managed drop-in edited, then deleted → restored. Each drift gives exactly
 *     one `drift-repaired` event, the daemon runs the extra pass its own write causes and finds nothing to
 *     do (no write loop: the file's mtime stays put);
 *   - a project added to `~/.claude.json`, a new user (home + passwd line) and a `.claude` folder created
 *     later in a known project, each picked up live (and watched from then on);
 *   - the policy file replaced by "MDM" → applied without a restart;
 *   - the policy's gateway token and a user's own `sk-…` key never in the log files or on stderr.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonMachine, dropinBaseUrl, eventsOf, gatewayEnv, logEntries, logText, policyDoc, sleep, startDaemon, waitFor, type DaemonMachine, type DaemonProcess } from './support/harness.js';

const SECRET = 'sk-bf-daemon-e2e-4b1d9f0c7a2e5831-SECRET';
const USER_KEY = 'sk-ant-api03-alice-own-key-9c8d7e6f5a4b3c2d1e0f';

const USER = '/home/alice/.claude/settings.json';
const API = '/home/alice/work/api';
const PROJECT = `${API}/.claude/settings.json`;
const LOCAL = `${API}/.claude/settings.local.json`;
const WEB = '/home/alice/work/web'; // a known project with no .claude folder yet
const LEGACY = '/home/alice/work/legacy';

let m: DaemonMachine;
let d: DaemonProcess;

const hasModel = (p: string): boolean => {
  const j = m.json(p);
  return 'model' in j || 'ANTHROPIC_MODEL' in ((j.env as Record<string, unknown> | undefined) ?? {});
};
const compliant = (...files: string[]) => () => files.every((f) => m.exists(f) && !hasModel(f));
/** A quiet period after a repair: the pass caused by our own write has run and the status file is written. */
const settle = () => sleep(1_300);
const now = () => new Date().toISOString();

beforeAll(async () => {
  m = daemonMachine({ users: { alice: [API, WEB, LEGACY] }, policy: policyDoc({ version: 1, env: gatewayEnv('v1', SECRET) }) });
  m.rewrite(USER, { model: 'opus', env: { ANTHROPIC_API_KEY: USER_KEY, DISABLE_TELEMETRY: '1' }, permissions: { allow: ['Bash(ls)'] } });
  m.rewrite(PROJECT, { model: 'claude-opus-4-1' });
  m.rewrite(LOCAL, { env: { ANTHROPIC_MODEL: 'claude-opus-4-1', ANTHROPIC_AUTH_TOKEN: USER_KEY } });
  // Not strict JSON (Claude Code ignores it; never written): the daemon reports it, holding the user's key.
  m.write(`${LEGACY}/.claude/settings.json`, `{\n  "env": { "ANTHROPIC_API_KEY": "${USER_KEY}" }, // mine\n  "model": "opus",\n}\n`);
  d = await startDaemon(m, ['--policy', m.policyPath, '--log-level', 'debug']);
});

afterAll(() => {
  d?.kill();
  m?.cleanup();
});

describe('daemon: drift repaired live (real chokidar, built CLI)', () => {
  it('repairs everything at start-up and writes status.json', async () => {
    await waitFor(compliant(USER, PROJECT, LOCAL), 'start-up pass repaired user, project and local files');
    expect(dropinBaseUrl(m)).toBe('https://gw.example.com/v1/anthropic');
    const user = m.json(USER);
    expect(user).toEqual({ env: { ANTHROPIC_API_KEY: USER_KEY, DISABLE_TELEMETRY: '1' }, permissions: { allow: ['Bash(ls)'] } });
    const s = await waitFor(() => {
      const st = m.status();
      return eventsOf(st, 'drift-repaired').length >= 4 ? st : null;
    }, 'status.json lists the start-up repairs');
    expect(s.policy).toMatchObject({ id: 'daemon-e2e', version: 1, keyId: null });
    expect(s.watch.degraded).toBeNull();
    expect(new Set(eventsOf(s, 'drift-repaired').map((e) => e.path))).toEqual(new Set([m.dropin, USER, PROJECT, LOCAL]));
  });

  it('a /model-style rewrite of the user, project and local files: each repaired once, then no write loop', async () => {
    await settle();
    const passes0 = m.status().passes;
    const since = now();
    m.rewrite(USER, { ...m.json(USER), model: 'sonnet' });
    m.rewrite(PROJECT, { model: 'claude-sonnet-4-5', includeCoAuthoredBy: false });
    m.rewrite(LOCAL, { env: { ANTHROPIC_MODEL: 'opus', ANTHROPIC_AUTH_TOKEN: USER_KEY } });
    await waitFor(compliant(USER, PROJECT, LOCAL), 'user, project and local files repaired');
    expect(m.json(PROJECT)).toEqual({ includeCoAuthoredBy: false });
    expect(m.json(LOCAL)).toEqual({ env: { ANTHROPIC_AUTH_TOKEN: USER_KEY } });
    const mtimes = [USER, PROJECT, LOCAL].map(m.mtime);
    await settle();
    const s = m.status();
    for (const f of [USER, PROJECT, LOCAL]) expect(eventsOf(s, 'drift-repaired', { path: f, since }), f).toHaveLength(1);
    expect(eventsOf(s, 'drift-repaired', { since })).toHaveLength(3);
    // The repairing pass, then at least one more (our own writes' events) that found nothing to do.
    expect(s.passes).toBeGreaterThanOrEqual(passes0 + 2);
    expect([USER, PROJECT, LOCAL].map(m.mtime)).toEqual(mtimes);
  });

  it('the managed drop-in edited → restored; deleted → restored; once each', async () => {
    let since = now();
    m.rewrite(m.dropin, { env: { ...gatewayEnv('v1', SECRET), ANTHROPIC_BASE_URL: 'https://evil.example.com' } });
    await waitFor(() => dropinBaseUrl(m) === 'https://gw.example.com/v1/anthropic', 'edited drop-in restored');
    let mtime = m.mtime(m.dropin);
    await settle();
    expect(eventsOf(m.status(), 'drift-repaired', { path: m.dropin, since })).toHaveLength(1);
    expect(m.mtime(m.dropin)).toBe(mtime);

    since = now();
    fs.unlinkSync(m.host(m.dropin));
    await waitFor(() => dropinBaseUrl(m) === 'https://gw.example.com/v1/anthropic', 'deleted drop-in restored');
    mtime = m.mtime(m.dropin);
    await settle();
    const ev = eventsOf(m.status(), 'drift-repaired', { path: m.dropin, since });
    expect(ev).toHaveLength(1);
    expect(ev[0]!.codes).toContain('dropin-missing');
    expect(m.mtime(m.dropin)).toBe(mtime);
  });

  it('a project added to ~/.claude.json is repaired, then watched', async () => {
    const NEW = '/home/alice/work/new';
    m.rewrite(`${NEW}/.claude/settings.json`, { model: 'opus', env: { ANTHROPIC_BASE_URL: 'https://direct.example.com' } });
    await settle();
    expect(hasModel(`${NEW}/.claude/settings.json`)).toBe(true); // not a project yet: left alone
    m.setProjects('alice', [API, WEB, LEGACY, NEW]);
    await waitFor(compliant(`${NEW}/.claude/settings.json`), 'the new project\'s settings repaired');
    await settle();
    m.rewrite(`${NEW}/.claude/settings.json`, { ...m.json(`${NEW}/.claude/settings.json`), model: 'haiku' });
    await waitFor(compliant(`${NEW}/.claude/settings.json`), 'a later drift in the new project repaired (it is watched)');
  });

  it('a .claude folder created later in a known project is picked up, then watched', async () => {
    const file = `${WEB}/.claude/settings.local.json`;
    m.rewrite(file, { model: 'opus' }); // mkdir .claude + the file, as Claude Code does on first use
    await waitFor(compliant(file), 'the new .claude folder\'s file repaired');
    await settle();
    m.rewrite(file, { model: 'sonnet', outputStyle: 'Explanatory' });
    await waitFor(compliant(file), 'a later drift in the new .claude folder repaired (it is watched)');
    expect(m.json(file)).toEqual({ outputStyle: 'Explanatory' });
  });

  it('a new user (home, then passwd line) is picked up live, then watched', async () => {
    const BOB = '/home/bob/.claude/settings.json';
    const BOBPROJ = '/home/bob/src/tool/.claude/settings.json';
    fs.mkdirSync(m.host('/home/bob'), { recursive: true });
    m.rewrite(BOB, { model: 'opus' });
    m.rewrite(BOBPROJ, { env: { ANTHROPIC_MODEL: 'claude-opus-4-1' } });
    m.setProjects('bob', ['/home/bob/src/tool']);
    await settle();
    expect(hasModel(BOB)).toBe(true); // not a user until passwd says so
    const since = now();
    m.addUser('bob', 1001);
    await waitFor(compliant(BOB, BOBPROJ), 'the new user\'s files repaired');
    await settle();
    expect(eventsOf(m.status(), 'drift-repaired', { path: BOB, since })).toHaveLength(1);
    m.rewrite(BOB, { model: 'haiku' });
    await waitFor(compliant(BOB), 'a later drift in the new user\'s file repaired (watched)');
  });

  it('the policy file replaced by MDM is applied without a restart', async () => {
    const since = now();
    const tmp = `${m.policyPath}.new`;
    fs.writeFileSync(tmp, policyDoc({ version: 2, env: gatewayEnv('v2', SECRET) }));
    fs.renameSync(tmp, m.policyPath);
    await waitFor(() => dropinBaseUrl(m) === 'https://gw.example.com/v2/anthropic', 'the drop-in carries policy v2');
    const s = await waitFor(() => {
      const st = m.status();
      return st.policy?.version === 2 ? st : null;
    }, 'status.json shows policy v2');
    expect(eventsOf(s, 'policy-applied', { since })).toHaveLength(1);
    // Still enforcing: a drift after the change is repaired.
    m.rewrite(USER, { ...m.json(USER), model: 'opus' });
    await waitFor(compliant(USER), 'drift repaired under policy v2');
  });

  it('neither the policy\'s token nor a user\'s own key reaches the logs or stderr', async () => {
    await settle();
    const r = await d.stop('SIGTERM');
    expect(r.code).toBe(0);
    const logs = logText(m);
    const stderr = d.stderr();
    // The logs did talk about those files (so the test can fail): repairs, the unparseable file, the token.
    const entries = logEntries(m);
    expect(entries.some((e) => e.msg === 'repaired' && e.meta?.path === LOCAL)).toBe(true);
    expect(entries.some((e) => e.msg === 'repaired' && e.meta?.path === USER)).toBe(true);
    expect(stderr).toContain('repaired');
    for (const secret of [SECRET, USER_KEY]) {
      expect(logs.includes(secret), `secret ${secret.slice(0, 8)}… in the log files`).toBe(false);
      expect(stderr.includes(secret), `secret ${secret.slice(0, 8)}… on stderr`).toBe(false);
      // Nor a long piece of it (a secret cut in two by a line break or a truncation).
      expect(logs.includes(secret.slice(6, 30))).toBe(false);
      expect(stderr.includes(secret.slice(6, 30))).toBe(false);
    }
    expect(fs.readFileSync(`${m.stateDir}/daemon/status.json`, 'utf8')).not.toContain(SECRET);
  });
});
