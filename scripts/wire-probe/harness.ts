// Probe harness: runs the real Claude Code (scripts/install-claude-code.sh) once per case against two fake
// gateways (test/support/fake-gateway.ts) in a throw-away HOME and reports what went on the wire.
// Managed cases need root + unshare: /etc is overlaid privately and /etc/claude-code bind-mounted, the
// machine's /etc is never written. Run: npx node --no-warnings scripts/wire-probe/cases.ts [CASE_ID...]
import { startFakeGateway, type Recorded } from '../../test/support/fake-gateway.ts';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const version = fs.readFileSync(path.join(repo, 'scripts/claude-code-version'), 'utf8').trim();
export const CLAUDE = path.join(repo, '.cache/claude-code', version, 'claude');
type Content = string | object;
export interface Case {
  id: string; desc: string;
  /** paths relative to the temp root: home/..., repo/..., managed/... ; "$URL" and "$URL2" are replaced */
  files: Record<string, Content>;
  cwd?: string;            // relative to root, default "repo"
  git?: string[];          // dirs (relative to root) to `git init`
  shellEnv?: Record<string, string>;
  args?: string[];
  managed?: boolean;       // run with private /etc/claude-code = root/managed
}
export interface Result { id: string; desc: string; rc: number | null; requests: Array<{ gw: number; method: string; path: string; model?: string; stream?: boolean; main: boolean; auth?: string; apiKey?: string; ua?: string; maxTokens?: unknown }>; usageModels: string[]; transcript: Array<{ model?: string; requestedModel?: string }>; stderr: string; result?: string }

function write(root: string, rel: string, c: Content, subst: Record<string, string>) {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  let text = typeof c === 'string' ? c : JSON.stringify(c, null, 2);
  for (const [k, v] of Object.entries(subst)) text = text.split(k).join(v);
  fs.writeFileSync(p, text);
}
const isMain = (q: Recorded) => JSON.stringify((q.body as any)?.messages ?? []).includes('say ok');

export async function runCase(c: Case): Promise<Result> {
  const gw1 = await startFakeGateway(); const gw2 = await startFakeGateway({ basePath: '/second' });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccprobe-'));
  const subst = { $URL2: gw2.url, $URL: gw1.url, $ROOT: root };
  try {
    fs.mkdirSync(path.join(root, 'home'), { recursive: true }); fs.mkdirSync(path.join(root, 'repo'), { recursive: true });
    if (!c.files['home/.claude.json']) write(root, 'home/.claude.json', { hasCompletedOnboarding: true }, subst);
    for (const [rel, content] of Object.entries(c.files)) write(root, rel, content, subst);
    for (const g of c.git ?? []) await run('git', ['init', '-q', path.join(root, g)], {}, root);
    const home = path.join(root, 'home'); const cwd = path.join(root, c.cwd ?? 'repo');
    fs.mkdirSync(cwd, { recursive: true });
    const env: Record<string, string> = { PATH: '/usr/bin:/bin', HOME: home, TERM: 'dumb', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
    for (const [k, v] of Object.entries(c.shellEnv ?? {})) { if (v === '__UNSET__') delete env[k]; else env[k] = v.replace('$URL2', gw2.url).replace('$URL', gw1.url).replace('$ROOT', root); }
    const claudeArgs = ['-p', 'say ok', '--output-format', 'json', ...(c.args ?? [])];
    let r;
    if (c.managed) {
      fs.mkdirSync(path.join(root, 'managed'), { recursive: true });
      const ov = path.join(root, 'ov'); fs.mkdirSync(path.join(ov, 'u'), { recursive: true }); fs.mkdirSync(path.join(ov, 'w'), { recursive: true });
      const script = `mount -t overlay overlay -o lowerdir=/etc,upperdir=${ov}/u,workdir=${ov}/w /etc && mkdir -p /etc/claude-code && mount --bind ${root}/managed /etc/claude-code && exec "$@"`;
      r = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', '/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), CLAUDE, ...claudeArgs], {}, cwd);
    } else {
      r = await run(CLAUDE, claudeArgs, env, cwd);
    }
    const requests = [...gw1.requests.map((q) => ({ q, gw: 1 })), ...gw2.requests.map((q) => ({ q, gw: 2 }))].map(({ q, gw }) => ({
      gw, method: q.method, path: q.path, model: q.model, stream: q.stream, main: isMain(q), auth: q.authorization, apiKey: q.apiKey, ua: q.userAgent, maxTokens: (q.body as any)?.max_tokens }));
    let usageModels: string[] = []; let result: string | undefined;
    try { const j = JSON.parse(r.stdout); usageModels = Object.keys(j.modelUsage ?? {}); result = j.result; } catch { result = r.stdout.slice(0, 300); }
    const transcript: Result['transcript'] = [];
    const pdir = path.join(home, '.claude', 'projects');
    if (fs.existsSync(pdir)) for (const d of fs.readdirSync(pdir)) for (const f of fs.readdirSync(path.join(pdir, d))) {
      if (!f.endsWith('.jsonl')) continue;
      for (const line of fs.readFileSync(path.join(pdir, d, f), 'utf8').split('\n')) {
        try { const o = JSON.parse(line); if (o.type === 'assistant') transcript.push({ model: o.message?.model, requestedModel: o.requestedModel }); } catch {}
      }
    }
    return { id: c.id, desc: c.desc, rc: r.code, requests, usageModels, transcript, stderr: r.stderr.replace(/Warning: no stdin[^\n]*\n?/, '').trim().slice(0, 400), result };
  } finally {
    await gw1.close(); await gw2.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd, env: Object.keys(env).length ? env : process.env, encoding: 'utf8', timeout: 60_000, maxBuffer: 10e6 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : -1) : 0, stdout, stderr }));
    child.stdin?.end();
  });
}

export function fmt(r: Result): string {
  const reqs = r.requests.map((q) => `${q.main ? '*' : ''}gw${q.gw} ${q.method} ${q.path} model=${q.model ?? '-'}${q.auth ? ' auth=' + q.auth : ''}${q.apiKey ? ' key=' + q.apiKey : ''}`).join(' | ');
  return `## ${r.id}: ${r.desc}\n  rc=${r.rc} usage=${r.usageModels.join(',')} transcript=${JSON.stringify(r.transcript)} result=${JSON.stringify(r.result)}\n  reqs: ${reqs || '(none)'}${r.stderr ? '\n  stderr: ' + r.stderr : ''}`;
}
