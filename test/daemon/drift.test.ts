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
const now = () => new Date().toISOString();

/**
 * After a drift at `since`, once the files are compliant again: the daemon ran a pass that found nothing to
 * do after its repair (our own write's event; a debug "pass done" with repaired 0 after the last "repaired"
 * line for these files), status.json shows exactly one `drift-repaired` per file, and a moment later the
 * files have not been written again (no write loop).
 */
async function repairedOnce(files: string[], since: string): Promise<void> {
  await waitFor(() => {
    const e = logEntries(m);
    const last = e.findLastIndex((x) => x.msg === 'repaired' && files.includes(x.meta?.path as string));
    return last >= 0 && e.slice(last + 1).some((x) => x.msg === 'pass done' && x.meta?.repaired === 0);
  }, `a pass with nothing to do after repairing ${files.join(', ')}`);
  const mtimes = files.map(m.mtime);
  await sleep(250);
  const s = await waitFor(() => {
    const st = m.status();
    return files.every((f) => eventsOf(st, 'drift-repaired', { path: f, since }).length > 0) ? st : null;
  }, 'status.json shows the repairs');
  for (const f of files) expect(eventsOf(s, 'drift-repaired', { path: f, since }), f).toHaveLength(1);
  expect(files.map(m.mtime)).toEqual(mtimes);
}

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
    const since = now();
    m.rewrite(USER, { ...m.json(USER), model: 'sonnet' });
    m.rewrite(PROJECT, { model: 'claude-sonnet-4-5', includeCoAuthoredBy: false });
    m.rewrite(LOCAL, { env: { ANTHROPIC_MODEL: 'opus', ANTHROPIC_AUTH_TOKEN: USER_KEY } });
    await waitFor(compliant(USER, PROJECT, LOCAL), 'user, project and local files repaired');
    expect(m.json(PROJECT)).toEqual({ includeCoAuthoredBy: false });
    expect(m.json(LOCAL)).toEqual({ env: { ANTHROPIC_AUTH_TOKEN: USER_KEY } });
    await repairedOnce([USER, PROJECT, LOCAL], since);
    expect(eventsOf(m.status(), 'drift-repaired', { since })).toHaveLength(3);
  });

  it('the managed drop-in edited → restored; deleted → restored; once each', async () => {
    let since = now();
    m.rewrite(m.dropin, { env: { ...gatewayEnv('v1', SECRET), ANTHROPIC_BASE_URL: 'https://evil.example.com' } });
    await waitFor(() => dropinBaseUrl(m) === 'https://gw.example.com/v1/anthropic', 'edited drop-in restored');
    await repairedOnce([m.dropin], since);

    since = now();
    fs.unlinkSync(m.host(m.dropin));
    await waitFor(() => dropinBaseUrl(m) === 'https://gw.example.com/v1/anthropic', 'deleted drop-in restored');
    await repairedOnce([m.dropin], since);
    expect(eventsOf(m.status(), 'drift-repaired', { path: m.dropin, since })[0]!.codes).toContain('dropin-missing');
  });

  it('a project added to ~/.claude.json is repaired, then watched', async () => {
    const NEW = '/home/alice/work/new';
    m.rewrite(`${NEW}/.claude/settings.json`, { model: 'opus', env: { ANTHROPIC_BASE_URL: 'https://direct.example.com' } });
    await sleep(300);
    expect(hasModel(`${NEW}/.claude/settings.json`)).toBe(true); // not a project yet: left alone
    const since = now();
    m.setProjects('alice', [API, WEB, LEGACY, NEW]);
    await waitFor(compliant(`${NEW}/.claude/settings.json`), 'the new project\'s settings repaired');
    await repairedOnce([`${NEW}/.claude/settings.json`], since);
    m.rewrite(`${NEW}/.claude/settings.json`, { ...m.json(`${NEW}/.claude/settings.json`), model: 'haiku' });
    await waitFor(compliant(`${NEW}/.claude/settings.json`), 'a later drift in the new project repaired (it is watched)');
  });

  it('a .claude folder created later in a known project is picked up, then watched', async () => {
    const file = `${WEB}/.claude/settings.local.json`;
    const since = now();
    m.rewrite(file, { model: 'opus' }); // mkdir .claude + the file, as Claude Code does on first use
    await waitFor(compliant(file), 'the new .claude folder\'s file repaired');
    await repairedOnce([file], since);
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
    await sleep(300);
    expect(hasModel(BOB)).toBe(true); // not a user until passwd says so
    const since = now();
    m.addUser('bob', 1001);
    await waitFor(compliant(BOB, BOBPROJ), 'the new user\'s files repaired');
    await repairedOnce([BOB, BOBPROJ], since);
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
    await sleep(300);
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
