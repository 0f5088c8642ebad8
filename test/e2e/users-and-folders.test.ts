/**
 * Whose files and which folders, against the real Claude Code (policy: alias-routing): a user who runs
 * Claude Code with CLAUDE_CONFIG_DIR (the policy names it in users.configDirs; the process gets the
 * variable), two users on one machine (each their own uid and helper key), a session started in a
 * subfolder of a git repository whose local settings live at the git root (ccfleet only knows projects
 * listed in .claude.json, so the listed project is the folder the session starts in), and sessions
 * started in the home folder itself.
 *
 * The home folder is a project folder to Claude Code: a session started there reads
 * ~/.claude/settings.local.json as its local settings, and — when CLAUDE_CONFIG_DIR moves the user
 * settings elsewhere — ~/.claude/settings.json as its shared project settings. ccfleet then lists the home
 * among the user's projects (its session's model and verdict), repairs those files, and counts them.
 */
import { describe, expect, it } from 'vitest';
import { e2e } from './support/real-claude.js';
import { AFTER, OLD_AUTH, OLD_ENV, SCENARIO_TIMEOUT, useScenarios } from './support/scenario.js';
import { claudeJson } from './support/world.js';

const CFG = '/home/dev/.config/claude';
const withConfigDir = { transform: (p: { users?: { configDirs?: Record<string, string> } }) => void (p.users = { ...p.users, configDirs: { dev: CFG } }) };

describe.skipIf(!e2e.ready).concurrent('users and folders, real Claude Code on the wire', () => {
  const scenario = useScenarios();

  it('CLAUDE_CONFIG_DIR: the named config dir is the user level; ~/.claude/settings.json is not read outside the home', async () => {
    const ignored = { model: 'haiku', env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9/never', ANTHROPIC_MODEL: 'never-sent' } };
    await scenario({
      policy: 'alias-routing',
      ...withConfigDir,
      files: {
        [`${CFG}/.claude.json`]: claudeJson('/home/dev/app'),
        [`${CFG}/settings.json`]: { model: 'claude-opus-4-5', env: OLD_ENV },
        '/home/dev/.claude/settings.json': ignored,
        '/home/dev/app/README.md': 'app\n',
        '/home/dev/notes/todo.txt': 'a folder with no project settings\n',
      },
      sessions: [
        { user: 'dev', cwd: '/home/dev/app', env: { CLAUDE_CONFIG_DIR: CFG }, before: { gateway: 'rogue', model: 'claude-opus-4-5', auth: OLD_AUTH }, after: AFTER },
        { user: 'dev', cwd: '/home/dev/notes', env: { CLAUDE_CONFIG_DIR: CFG }, before: { gateway: 'rogue', model: 'claude-opus-4-5', auth: OLD_AUTH }, after: AFTER },
      ],
    });
  }, SCENARIO_TIMEOUT);

  it('two users on one machine: each their own files, their own uid, their own key', async () => {
    await scenario({
      policy: 'alias-routing',
      users: [{ name: 'alice', uid: 4311 }, { name: 'bob', uid: 4312 }],
      files: {
        '/home/alice/.claude.json': claudeJson(),
        '/home/alice/.claude/settings.json': { model: 'claude-opus-4-5', env: OLD_ENV },
        '/home/bob/.claude.json': claudeJson('/home/bob/api'),
        '/home/bob/.claude/settings.json': { model: 'sonnet', env: { ANTHROPIC_BASE_URL: '$ROGUE', ANTHROPIC_AUTH_TOKEN: 'tok-bob-old' } },
        '/home/bob/api/.claude/settings.local.json': { env: { ANTHROPIC_MODEL: 'claude-haiku-4-5' } },
      },
      sessions: [
        { user: 'alice', cwd: '/home/alice', before: { gateway: 'rogue', model: 'claude-opus-4-5', auth: OLD_AUTH }, after: AFTER },
        { user: 'bob', cwd: '/home/bob/api', before: { gateway: 'rogue', model: 'claude-haiku-4-5', auth: 'Bearer tok-bob-old' }, after: AFTER },
      ],
    });
  }, SCENARIO_TIMEOUT);

  it('git repo, session in a subfolder: the local file at the git root wins; the root shared file is not read', async () => {
    const MONO = '/home/dev/mono';
    const SVC = `${MONO}/svc`;
    await scenario({
      policy: 'alias-routing',
      git: [MONO],
      files: {
        '/home/dev/.claude.json': claudeJson(SVC),
        '/home/dev/.claude/settings.json': { env: OLD_ENV },
        // Read from a session in svc/ (git root, local): wins over svc's legacy local copy.
        [`${MONO}/.claude/settings.local.json`]: { model: 'claude-sonnet-4-5' },
        [`${SVC}/.claude/settings.local.json`]: { model: 'haiku' },
        // Not read from svc/ (shared project files come from the start folder only); it would beat both.
        [`${MONO}/.claude/settings.json`]: { env: { ANTHROPIC_MODEL: 'root-shared-never-read' } },
        [`${SVC}/main.go`]: 'package main\n',
      },
      sessions: [{ user: 'dev', cwd: SVC, before: { gateway: 'rogue', model: 'claude-sonnet-4-5', auth: OLD_AUTH }, after: AFTER }],
      verify: (r) => {
        for (const p of [`${MONO}/.claude/settings.local.json`, `${SVC}/.claude/settings.local.json`]) {
          expect(r.after.repair.files.find((f) => f.path === p)?.state, p).toBe('repaired');
        }
      },
    });
  }, SCENARIO_TIMEOUT);

  // Found by this suite: ccfleet ignored the home's own local file, reporting claude-opus-5-5 ("default")
  // for a session that sends claude-haiku-4-5, and said compliant after repair while it still did.
  it('session in the home with ~/.claude/settings.local.json: Claude Code reads it as local settings', async () => {
    await scenario({
      policy: 'alias-routing',
      files: {
        '/home/dev/.claude.json': claudeJson(),
        '/home/dev/.claude/settings.json': { env: OLD_ENV },
        '/home/dev/.claude/settings.local.json': { model: 'claude-haiku-4-5' },
      },
      sessions: [{ user: 'dev', cwd: '/home/dev', before: { gateway: 'rogue', model: 'claude-haiku-4-5', auth: OLD_AUTH }, after: AFTER }],
    });
  }, SCENARIO_TIMEOUT);

  // Found by this suite: ccfleet ignored ~/.claude/settings.json under CLAUDE_CONFIG_DIR, reporting the config
  // dir's claude-opus-4-5 for a session that sends claude-haiku-4-5, and said compliant after repair while it still did.
  it('CLAUDE_CONFIG_DIR, session in the home: Claude Code reads ~/.claude/settings.json as project settings', async () => {
    await scenario({
      policy: 'alias-routing',
      ...withConfigDir,
      files: {
        [`${CFG}/.claude.json`]: claudeJson(),
        [`${CFG}/settings.json`]: { model: 'claude-opus-4-5', env: OLD_ENV },
        '/home/dev/.claude/settings.json': { env: { ANTHROPIC_MODEL: 'claude-haiku-4-5' } },
      },
      sessions: [{ user: 'dev', cwd: '/home/dev', env: { CLAUDE_CONFIG_DIR: CFG }, before: { gateway: 'rogue', model: 'claude-haiku-4-5', auth: OLD_AUTH }, after: AFTER }],
    });
  }, SCENARIO_TIMEOUT);
});
