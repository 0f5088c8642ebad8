// The main job, end to end on one machine: a sandbox Linux machine (a temp folder used as the filesystem root)
// with two developers whose Claude Code settings drifted the usual ways; `ccfleet check` shows what is wrong;
// `ccfleet server` starts on its embedded SQLite with a fresh signing key, admin token and enrolment secret;
// `ccfleet daemon` enrols with it, fetches the signed policy and repairs the machine; alice runs `/model`
// again and the daemon repairs that within milliseconds; the report arrives at the server (fleet API).
// Then everything stops and the temp folder is removed — unless --keep: the server and the daemon keep
// running (the dashboard stays up) and the last lines say how to stop them.
// Usage: npm run demo [-- --keep]        Loopback only; no network.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '..');
const bin = path.join(repo, JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).bin.ccfleet);
const policy = path.join(repo, 'policies', 'alias-routing.jsonc');
const keep = process.argv.includes('--keep');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-demo-'));
const root = path.join(work, 'machine');
const logs = path.join(work, 'logs');
fs.mkdirSync(logs);

// --- the sandbox machine --------------------------------------------------------------------------------
const put = (p, text) => {
  const f = path.join(root, p);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
};
put('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n');
// alice ran `/model claude-opus-4-5` (a full id: bypasses the gateway's aliases) and keeps a theme
put('home/alice/.claude/settings.json', '{\n  "theme": "dark",\n  "model": "claude-opus-4-5",\n  "permissions": { "allow": ["Bash(npm test)"] }\n}\n');
put('home/alice/.claude.json', JSON.stringify({ hasCompletedOnboarding: true, projects: { '/home/alice/api': {}, '/home/alice/gone': {} } }));
// a project pins ANTHROPIC_MODEL in its env (beats every model key), and a local file sets a model
put('home/alice/api/.git/HEAD', 'ref: refs/heads/main\n');
put('home/alice/api/.claude/settings.json', '{\r\n  "env": { "ANTHROPIC_MODEL": "claude-sonnet-4-5", "DEBUG": "1" }\r\n}\r\n');
put('home/alice/api/.claude/settings.local.json', '{"model":"opus"}\n');
// alice's Claude Code: a native install, and what her last sessions really used (transcript tails; content is never read)
put('home/alice/.local/share/claude/versions/2.1.332', '');
fs.mkdirSync(path.join(root, 'home/alice/.local/bin'), { recursive: true });
fs.symlinkSync('../share/claude/versions/2.1.332', path.join(root, 'home/alice/.local/bin/claude'));
const turn = (minsAgo, model) => JSON.stringify({ type: 'assistant', timestamp: new Date(Date.now() - minsAgo * 60_000).toISOString(), cwd: '/home/alice/api', requestedModel: model, message: { model } });
put('home/alice/.claude/projects/-home-alice-api/session-1.jsonl', [turn(90, 'claude-opus-4-5'), turn(30, 'claude-opus-4-5')].join('\n') + '\n');
// bob followed the guide by hand, with a comment: Claude Code silently ignores his whole file
put('home/bob/.claude/settings.json', '{\n  // from the wiki\n  "env": { "ANTHROPIC_BASE_URL": "http://localhost:8080/anthropic" }\n}\n');
put('home/bob/.claude.json', '{"projects":{}}');
const aliceSettings = path.join(root, 'home/alice/.claude/settings.json');

// --- helpers -------------------------------------------------------------------------------------------
const say = (s = '') => console.log(s);
const hide = (s) => s.replaceAll(root, '<sandbox>').replaceAll(work, '<demo>');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];
let failed = false;

function fail(what, logFile) {
  failed = true;
  say(`\ndemo: FAILED — ${what}`);
  if (logFile && fs.existsSync(logFile)) say(`--- ${path.basename(logFile)} (last lines) ---\n${hide(fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n'))}`);
  process.exit(1);
}

/** Polls `get` until it returns something truthy; fails the demo after `ms`. */
async function until(get, what, logFile, every = 20, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > end) fail(`gave up waiting for ${what}`, logFile);
    await sleep(every);
  }
}

/** A ccfleet child in its own process group, stdout/stderr into files (so it can outlive the demo: --keep). */
function start(name, args, env = {}) {
  const out = path.join(logs, `${name}.out`);
  const err = path.join(logs, `${name}.log`);
  const child = spawn(process.execPath, [bin, ...args], {
    detached: true,
    stdio: ['ignore', fs.openSync(out, 'w'), fs.openSync(err, 'w')],
    env: { ...process.env, ...env },
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const c = { name, child, out, err, exited, shown: 0 };
  children.push(c);
  return c;
}

/** Prints the child's new log lines (indented, sandbox paths shortened); returns them. */
function showLog(c, skip = /^$/) {
  const text = fs.readFileSync(c.err, 'utf8');
  const upTo = text.lastIndexOf('\n') + 1;
  const lines = text.slice(c.shown, upTo).split('\n').filter((l) => l && !skip.test(l));
  c.shown = Math.max(c.shown, upTo);
  for (const l of lines) say(`  ${c.name} │ ${hide(l)}`);
  return lines;
}

process.on('exit', () => {
  if (keep && !failed) return;
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  if (!keep) fs.rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

function getJson(url, token) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, json: body ? JSON.parse(body) : null }));
    }).on('error', reject);
  });
}

const cli = (args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const sandbox = ['--root', root, '--platform', 'linux'];

// --- 1. what is wrong ----------------------------------------------------------------------------------
say(`ccfleet demo — a sandbox Linux machine at ${work}/machine (alice and bob, Claude Code settings drifted),`);
say(`policy ${path.relative(repo, policy)}`);
say('\n1. $ ccfleet check          # what is wrong, changing nothing');
const check = cli(['check', ...sandbox, '--policy', policy]);
process.stdout.write(hide(check.stdout));
say(`(exit ${check.status})`);
if (check.status !== 1) fail(`ccfleet check exited ${check.status}, expected 1 (not compliant)`);

// --- 2. the server ------------------------------------------------------------------------------------
say('\n2. the server beside the gateway: embedded SQLite, the policy signed with a new key');
const keys = path.join(work, 'keys');
const keygen = cli(['policy', 'keygen', '--out', keys, '--json']);
if (keygen.status !== 0) fail(`ccfleet policy keygen exited ${keygen.status}: ${keygen.stderr}`);
const { publicKey, keyId, privateKeyFile } = JSON.parse(keygen.stdout);
say(`  $ ccfleet policy keygen --out <demo>/keys        # key id ${keyId}, private key 0600`);
const adminToken = crypto.randomBytes(24).toString('base64url');
const enrollSecret = crypto.randomBytes(24).toString('base64url');
const dataDir = path.join(work, 'server');
say('  $ CCFLEET_ADMIN_TOKEN=… CCFLEET_ENROLL_SECRET=… ccfleet server --listen 127.0.0.1:0 --data-dir <demo>/server \\');
say(`        --policy ${path.relative(repo, policy)} --signing-key <demo>/keys/ccfleet-policy.key`);
const server = start('server', ['server', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--policy', policy, '--signing-key', privateKeyFile], {
  CCFLEET_ADMIN_TOKEN: adminToken,
  CCFLEET_ENROLL_SECRET: enrollSecret,
});
const url = await until(() => {
  if (server.child.exitCode !== null) fail(`ccfleet server exited ${server.child.exitCode}`, server.err);
  return /^listening on (\S+)\n/.exec(fs.readFileSync(server.out, 'utf8'))?.[1];
}, 'the server to listen', server.err);
server.shown = fs.statSync(server.err).size; // its start-up lines are in <demo>/logs/server.log
say(`  listening on ${url}`);

// --- 3. the daemon ------------------------------------------------------------------------------------
const agentConfig = { server: url, enrollSecret, policyPublicKeys: [publicKey], reportDebounceSeconds: 0.5 };
put('etc/ccfleet/agent.json', `${JSON.stringify(agentConfig, null, 2)}\n`);
say('\n3. $ ccfleet daemon --root <sandbox> --platform linux      # as MDM would start it; its /etc/ccfleet/agent.json:');
say(`  ${JSON.stringify({ ...agentConfig, enrollSecret: '…' })}`);
const daemon = start('daemon', ['daemon', ...sandbox]);
const quiet = /\bschedule policyRefresh=/;
await until(() => {
  if (daemon.child.exitCode !== null) fail(`ccfleet daemon exited ${daemon.child.exitCode}`, daemon.err);
  return showLog(daemon, quiet).some((l) => /reports sent/.test(l));
}, 'the daemon to start and send its first report', daemon.err);
const deviceId = JSON.parse(fs.readFileSync(path.join(root, 'var/lib/ccfleet/device-token'), 'utf8')).deviceId;

// --- 4. the drift, repaired live ------------------------------------------------------------------------
say('\n4. alice runs `/model claude-opus-4-5` again: Claude Code writes "model" back into ~/.claude/settings.json');
const before = JSON.parse(fs.readFileSync(aliceSettings, 'utf8'));
const driftAt = new Date().toISOString();
const tmp = `${aliceSettings}.tmp`;
fs.writeFileSync(tmp, `${JSON.stringify({ ...before, model: 'claude-opus-4-5' }, null, 2)}\n`);
const t0 = performance.now();
fs.renameSync(tmp, aliceSettings); // as Claude Code writes it: a temp file renamed over the target
await until(() => {
  try {
    return !('model' in JSON.parse(fs.readFileSync(aliceSettings, 'utf8')));
  } catch {
    return false; // caught mid-rename
  }
}, 'the daemon to repair the drift', daemon.err, 1);
const ms = performance.now() - t0;
await until(() => showLog(daemon, quiet).some((l) => /reports sent/.test(l)), 'the daemon to report the repair', daemon.err);
say(`  → repaired ${ms.toFixed(0)} ms after the write; alice keeps her theme and permissions: ${JSON.stringify(JSON.parse(fs.readFileSync(aliceSettings, 'utf8')))}`);

// --- 5. the report at the server ------------------------------------------------------------------------
say(`\n5. the report at the server: GET ${url}/v1/fleet/devices/${deviceId}  (Authorization: Bearer <admin token>)`);
const found = await until(async () => {
  const r = await getJson(`${url}/v1/fleet/devices/${encodeURIComponent(deviceId)}`, adminToken);
  return r.status === 200 && r.json.events.some((e) => e.kind === 'drift-repaired' && e.at >= driftAt) ? r.json : null;
}, 'the report with the drift repair at the server', server.err);
const { device, latest, history } = found;
const rep = latest.report;
const when = (iso) => iso.slice(11, 23);
const model = (m) => (m ? `${m.resolved}${m.requested && m.requested !== m.resolved ? ` (${m.requested})` : ''} ← ${m.source}` : '?');
say(`  device  ${device.id}  host ${device.hostname}  ${device.compliant ? 'COMPLIANT' : 'NOT COMPLIANT'}  policy ${rep.policy.id} v${rep.policy.version}  reports ${history.length}  last ${when(device.lastReportAt)}`);
for (const u of rep.users) {
  const used = u.lastUsedModel ? `${u.lastUsedModel.served}${u.lastUsedModel.mapped === false ? ' (not a model the policy maps)' : ''}` : 'none found';
  say(`  user    ${u.name.padEnd(6)} ${u.compliant ? 'compliant' : 'NOT compliant'}  selected ${model(u.selectedModel)}  last used ${used}`);
}
for (const e of rep.events) say(`  event   ${e.kind} ${e.path ?? ''} ${e.codes?.length ? `(${e.codes.join(', ')})` : ''} at ${when(e.at)}`);
const summary = (await getJson(`${url}/v1/fleet/summary`, adminToken)).json;
say(`  fleet   ${summary.devices} device, compliance ${summary.complianceRatio === null ? '–' : `${Math.round(summary.complianceRatio * 100)} %`}, ${summary.driftRepairs24h} drift repairs in 24 h (GET /v1/fleet/summary; Prometheus: ${url}/metrics)`);
if (!device.compliant || !rep.events.some((e) => e.kind === 'drift-repaired' && e.path === '/home/alice/.claude/settings.json')) fail('the report does not show the repaired, compliant machine');

// --- 6. the dashboard, and the end ----------------------------------------------------------------------
say(`\n6. dashboard: ${url}/   admin token: ${adminToken}`);
if (keep) {
  for (const c of children) c.child.unref();
  say(`\n--keep: the server (pid ${server.child.pid}) and the daemon (pid ${daemon.child.pid}) keep running; everything is under ${work}`);
  say(`  drift it yourself:  echo '{"model":"opus"}' > ${aliceSettings}`);
  say(`  stop them:          kill ${server.child.pid} ${daemon.child.pid}; rm -rf ${work}`);
  process.exit(0);
}
daemon.child.kill('SIGTERM');
const daemonExit = await daemon.exited;
server.child.kill('SIGTERM');
const serverExit = await server.exited;
say(`\nstopped: daemon exit ${daemonExit}, server exit ${serverExit}; sandbox removed (npm run demo -- --keep leaves them running)`);
if (daemonExit !== 0 || serverExit !== 0) fail('a clean shutdown exits 0');
say('demo: checked, enrolled, repaired, re-drifted, repaired live and reported — as expected');
