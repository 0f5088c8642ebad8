// The main job, on the embedded default: builds a sandbox machine (Linux layout) under a temp folder with
// two developers whose Claude Code settings drifted the usual ways, then shows ccfleet finding it, repairing
// it, a developer running `/model` again (drift), and ccfleet repairing that too.
// Usage: npm run demo [-- --keep]   (the sandbox is removed at the end unless --keep)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '..');
const bin = path.join(repo, JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).bin.ccfleet);
const policy = path.join(repo, 'policies', 'alias-routing.jsonc');
const keep = process.argv.includes('--keep');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-demo-'));
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
// bob followed the guide by hand, with a comment: Claude Code silently ignores his whole file
// alice's Claude Code: a native install, and what her last sessions really used (transcript tails; content is never read)
put('home/alice/.local/share/claude/versions/2.1.332', '');
fs.mkdirSync(path.join(root, 'home/alice/.local/bin'), { recursive: true });
fs.symlinkSync('../share/claude/versions/2.1.332', path.join(root, 'home/alice/.local/bin/claude'));
const turn = (minsAgo, model) => JSON.stringify({ type: 'assistant', timestamp: new Date(Date.now() - minsAgo * 60_000).toISOString(), cwd: '/home/alice/api', requestedModel: model, message: { model } });
put('home/alice/.claude/projects/-home-alice-api/session-1.jsonl', [turn(90, 'claude-opus-4-5'), turn(30, 'claude-opus-4-5')].join('\n') + '\n');
put('home/bob/.claude/settings.json', '{\n  // from the wiki\n  "env": { "ANTHROPIC_BASE_URL": "http://localhost:8080/anthropic" }\n}\n');
put('home/bob/.claude.json', '{"projects":{}}');

const run = (title, args) => {
  console.log(`\n$ ccfleet ${args.join(' ')}        # ${title}`);
  const r = spawnSync(process.execPath, [bin, ...args, '--root', root, '--platform', 'linux', '--policy', policy, '--state-dir', path.join(root, 'state')], { encoding: 'utf8' });
  process.stdout.write(r.stdout.replaceAll(root, '<sandbox>'));
  if (r.stderr) process.stderr.write(r.stderr.replaceAll(root, '<sandbox>'));
  console.log(`(exit ${r.status})`);
  return r.status;
};

console.log(`ccfleet demo — sandbox machine at ${root}, policy ${path.relative(repo, policy)}`);
const c1 = run('what is wrong, changing nothing', ['check']);
const r1 = run('fix it', ['repair']);
const c2 = run('prove it', ['check']);
console.log('\n# alice runs `/model claude-opus-4-5` again: Claude Code writes the model key back');
const userFile = path.join(root, 'home/alice/.claude/settings.json');
const cur = JSON.parse(fs.readFileSync(userFile, 'utf8'));
fs.writeFileSync(userFile, JSON.stringify({ ...cur, model: 'claude-opus-4-5' }, null, 2) + '\n');
const c3 = run('drift detected', ['check']);
const r2 = run('drift repaired', ['repair']);
run('who gets which model, and which setting decides', ['status']);
console.log('\nalice\'s settings file now:\n' + fs.readFileSync(userFile, 'utf8'));
console.log('the managed drop-in ccfleet owns:\n' + fs.readFileSync(path.join(root, 'etc/claude-code/managed-settings.d/50-ccfleet.json'), 'utf8'));
if (!keep) fs.rmSync(root, { recursive: true, force: true });
const ok = c1 === 1 && r1 === 0 && c2 === 0 && c3 === 1 && r2 === 0;
console.log(ok ? 'demo: drift found, repaired, re-drifted and repaired again — as expected' : 'demo: UNEXPECTED exit codes');
process.exit(ok ? 0 : 1);
