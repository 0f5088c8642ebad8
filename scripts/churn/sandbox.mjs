// The sandbox machine at the start of the soak (Linux layout): /etc/passwd with system accounts, a user
// without a home and N developers; homes owned by their users; each developer's `.claude.json` listing git
// repos, a monorepo package (local settings at the git root) and a project that is gone; settings in the
// usual messy states; a managed folder with another tool's managed-settings.json and drop-in; the agent
// config (faster resync and policy refresh); and the policy, a copy of policies/alias-routing.jsonc with a
// secret-bearing env value (so the log can be checked for it) and a revision marker.
import fs from 'node:fs';
import path from 'node:path';
import { otherKeys, pickModel, renderNonStrict, renderStrict } from './texts.mjs';

export const POLICY_PATH = '/etc/ccfleet/policy.jsonc';
export const DROPIN = '/etc/claude-code/managed-settings.d/50-ccfleet.json';
/** Files of another tool in the managed folder: the daemon must never touch them. */
export const FOREIGN_MANAGED = {
  '/etc/claude-code/managed-settings.json': `${JSON.stringify({ cleanupPeriodDays: 30, permissions: { deny: ['Read(./.env)', 'Read(./secrets/**)'] } }, null, 2)}\n`,
  '/etc/claude-code/managed-settings.d/10-security.json': `${JSON.stringify({ permissions: { disableBypassPermissionsMode: 'disable' } }, null, 2)}\n`,
};

/** The agent config: resync every minute and a policy pull every 20 s (defaults: 15 and 5 minutes). */
export const AGENT_CONFIG = { resyncMinutes: 1, policyRefresh: { cron: '*/20 * * * * *', jitterSeconds: 5 } };

export function buildSandbox(world, rng, { users, repoRoot }) {
  const { root } = world;
  fs.chmodSync(root, 0o755); // mkdtemp makes it 0700: uid-dropped writers must be able to reach the homes
  world.mkdirp('/home');
  world.mkdirp('/etc/ccfleet');
  world.writeInPlace('/etc/ccfleet/agent.json', `${JSON.stringify(AGENT_CONFIG, null, 2)}\n`, { track: false });
  for (const [p, text] of Object.entries(FOREIGN_MANAGED)) world.writeInPlace(p, text, { track: false });
  // System accounts and a human uid whose home does not exist: none of them is a user to manage.
  const passwd = ['root:x:0:0:root:/root:/bin/bash', 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin', 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin', 'ghost:x:1999:1999::/home/ghost:/bin/bash'];
  fs.writeFileSync(world.host('/etc/passwd'), `${passwd.join('\n')}\n`);
  for (let i = 0; i < users; i++) addUser(world, rng, { passwd: 'append', projects: rng.int(2, 4) });
  const policy = policyText(repoRoot, 1, rng.hex(32));
  world.writeInPlace(POLICY_PATH, policy.text, { track: false });
  return policy;
}

/** A new developer: passwd line, home, settings, `.claude.json` with projects. Returns the user record. */
export function registerUser(world) {
  const n = world.users.size;
  const uid = world.nextUid++;
  const u = { name: `dev${n}`, uid, gid: uid, home: `/home/dev${n}`, claudeJson: { numStartups: 0, hasCompletedOnboarding: true, installMethod: 'native', projects: {} }, meta: new Map() };
  world.users.set(u.name, u);
  return u;
}

export function addUser(world, rng, { passwd, projects }) {
  const u = registerUser(world);
  if (passwd === 'append') world.append('/etc/passwd', world.passwdLine(u));
  populateHome(world, rng, u, projects);
  return u;
}

export function populateHome(world, rng, u, projects) {
  world.mkdirp(`${u.home}/.claude`);
  writeMessy(world, rng, world.userSettingsPath(u), { model: rng.chance(0.6) });
  for (let k = 0; k < projects; k++) createProjectNow(world, rng, u, rng.chance(0.25) ? 'sub' : 'repo');
  // a project Claude Code remembers whose folder is gone
  if (rng.chance(0.5)) u.claudeJson.projects[`${u.home}/old/removed-${rng.hex(4)}`] = { allowedTools: [] };
  world.writeClaudeJson(u);
}

/** Creates a project folder (git repo, monorepo package or plain folder) with settings, listed at once. */
export function createProjectNow(world, rng, u, kind) {
  const p = projectPath(world, rng, u, kind);
  if (!p) return null;
  makeProjectFolder(world, rng, u, p.path, p.gitRoot);
  writeProjectSettings(world, rng, u, p.path, p.gitRoot);
  u.claudeJson.projects[p.path] = { allowedTools: [], hasTrustDialogAccepted: true };
  return p.path;
}

export function projectPath(world, rng, u, kind) {
  const name = `${rng.pick(['api', 'web', 'infra', 'cli', 'docs', 'ml', 'app'])}-${rng.hex(4)}`;
  if (kind === 'sub') {
    const repos = [...u.meta].filter(([pp, m]) => m.gitRoot === pp && !pp.includes('/packages/') && fs.existsSync(world.host(pp)));
    if (repos.length === 0) return { path: `${u.home}/src/${name}`, gitRoot: `${u.home}/src/${name}` };
    const [repo] = rng.pick(repos);
    return { path: `${repo}/packages/${name}`, gitRoot: repo };
  }
  if (kind === 'plain') return { path: `${u.home}/scratch/${name}`, gitRoot: null };
  return { path: `${u.home}/src/${name}`, gitRoot: `${u.home}/src/${name}` };
}

export function makeProjectFolder(world, rng, u, p, gitRoot) {
  world.mkdirp(p);
  if (gitRoot === p) {
    world.mkdirp(`${p}/.git`);
    world.writeInPlace(`${p}/.git/HEAD`, 'ref: refs/heads/main\n', { track: false });
  }
  world.writeInPlace(`${p}/README.md`, `# ${path.posix.basename(p)}\n`, { track: false });
  u.meta.set(p, { gitRoot });
}

/** A project's own settings (often a `model`), sometimes a local file with an ANTHROPIC_MODEL. */
export function writeProjectSettings(world, rng, u, p, gitRoot) {
  writeMessy(world, rng, `${p}/.claude/settings.json`, { model: rng.chance(0.7) });
  if (rng.chance(0.4)) {
    const local = `${gitRoot ?? p}/.claude/settings.local.json`;
    const o = otherKeys(rng);
    o.env = { ...(o.env ?? {}), ANTHROPIC_MODEL: pickModel(rng) };
    world.writeAtomic(local, renderStrict(rng, o));
  }
}

/** A settings file in one of the states found in the wild: strict in some style, or (1 in 8) non-strict. */
export function writeMessy(world, rng, machinePath, { model }) {
  const o = otherKeys(rng);
  if (model) o.model = pickModel(rng);
  if (rng.chance(0.15)) o.env = { ...(o.env ?? {}), ANTHROPIC_MODEL: pickModel(rng), CLAUDE_CODE_USE_BEDROCK: '1' };
  const text = rng.chance(0.125) ? renderNonStrict(rng, o) : renderStrict(rng, o);
  if (rng.chance(0.7)) world.writeAtomic(machinePath, text);
  else world.writeInPlace(machinePath, text);
}

/**
 * The policy: policies/alias-routing.jsonc with `version`, a secret-bearing env value (a Bifrost virtual
 * key in ANTHROPIC_CUSTOM_HEADERS) and a revision marker. Returns { text, version, secret }.
 */
export function policyText(repoRoot, version, secretHex) {
  const base = fs.readFileSync(path.join(repoRoot, 'policies', 'alias-routing.jsonc'), 'utf8');
  const secret = `sk-bf-soak-${secretHex}`;
  let text = base.replace(/"version":\s*\d+,/, `"version": ${version},`);
  text = text.replace(/"\$schema":[^\n]*\n/, '');
  text = text.replace(/"env":\s*\{/, `"env": {\n    // soak: a per-fleet virtual key (a secret: must never reach a log) and the revision\n    "ANTHROPIC_CUSTOM_HEADERS": "x-bf-vk: ${secret}",\n    "CCFLEET_SOAK_REVISION": "r${version}",`);
  if (!text.includes(secret) || !text.includes(`"version": ${version},`)) throw new Error('policies/alias-routing.jsonc changed shape: cannot derive the soak policy');
  return { text, version, secret };
}

