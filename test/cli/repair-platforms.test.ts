/**
 * The "done when", end to end through the built CLI: on a fixture root of each platform, `repair`
 * with each example policy writes the managed drop-in with the env block, removes `model` from every
 * user, project and local file of every user, keeps everything else, leaves unsafe and unparseable files
 * untouched, and a following `check --json` says compliant with the model each user will really get.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../src/core/policy-load.js';
import { mapAlias } from '../../src/core/model.js';
import { cli, repoRoot } from '../support/cli.js';
import { makeMachine, type Machine } from '../support/machine.js';
import type { PlatformName } from '../../src/platform/types.js';

const policyFiles = fs.readdirSync(path.join(repoRoot, 'policies')).filter((f) => f.endsWith('.jsonc'));
const platforms: PlatformName[] = ['linux', 'wsl', 'darwin', 'windows'];
let machines: Machine[] = [];
afterEach(() => {
  machines.forEach((m) => m.cleanup());
  machines = [];
});

function messyMachine(platform: PlatformName): { m: Machine; projects: Record<string, string[]> } {
  const m = makeMachine(platform, [{ name: 'alice' }, { name: 'bob' }]);
  machines.push(m);
  const a = m.home('alice');
  const b = m.home('bob');
  const api = m.join(a, 'work', 'api');
  const web = m.join(a, 'work', 'web');
  const tool = m.join(b, 'tool');
  m.write(m.join(a, '.claude', 'settings.json'), '{\n  "theme": "dark",\n  "model": "claude-opus-4-5",\n  "permissions": { "allow": ["Bash(npm test)"] }\n}\n');
  // Windows keys in .claude.json use either slash and either drive-letter case
  const apiKey = platform === 'windows' ? api.replace(/^C:/, 'c:').replaceAll('\\', '/') : api;
  m.write(m.join(a, '.claude.json'), JSON.stringify({ projects: { [apiKey]: {}, [web]: {}, [m.join(a, 'deleted')]: {} } }));
  m.write(m.join(api, '.claude', 'settings.json'), '{\r\n  "env": { "ANTHROPIC_MODEL": "claude-sonnet-4-5", "DEBUG": "1" },\r\n  "model": "sonnet"\r\n}\r\n');
  m.write(m.join(api, '.claude', 'settings.local.json'), '{"model":"opus","outputStyle":"x"}');
  m.write(m.join(web, '.claude', 'settings.json'), '{\n  // a comment: Claude Code ignores this whole file\n  "model": "opus"\n}\n');
  m.write(m.join(web, '.claude', 'settings.local.json'), 'not json at all {');
  m.write(m.join(b, '.claude', 'settings.json'), '{\n\t"model": "haiku",\n\t"env": {\n\t\t"ANTHROPIC_BASE_URL": "http://localhost:8080/anthropic"\n\t}\n}');
  m.write(m.join(b, '.claude.json'), JSON.stringify({ projects: { [tool]: {} } }));
  m.write(m.join(tool, '.claude', 'settings.local.json'), '\ufeff{ "model": "claude-haiku-4-5", "spinnerTips": false }\n');
  return { m, projects: { alice: [api, web], bob: [tool] } };
}

const args = (m: Machine, policy: string, cmd: string, ...more: string[]) => [cmd, '--root', m.root, '--platform', m.platform, '--policy', policy, '--state-dir', path.join(m.root, '.state'), '--json', ...more];

describe.each(platforms)('%s', (platform) => {
  it.each(policyFiles)('repair with %s makes the machine compliant, changing only what it must', (file) => {
    const policyPath = path.join(repoRoot, 'policies', file);
    const policy = parsePolicyText(fs.readFileSync(policyPath, 'utf8'), file);
    const { m, projects } = messyMachine(platform);
    const a = m.home('alice');
    const web = projects.alice![1]!;
    const untouched = [m.join(web, '.claude', 'settings.json'), m.join(web, '.claude', 'settings.local.json')].map((p) => [p, m.read(p)] as const);

    const before = cli(args(m, policyPath, 'check'));
    expect(before.code, before.stderr).toBe(1);
    expect(before.json.compliant).toBe(false);

    const rep = cli(args(m, policyPath, 'repair'));
    expect(rep.code, rep.stderr + rep.stdout.slice(0, 2000)).toBe(0);
    expect(rep.json.compliant).toBe(true);

    // the managed drop-in holds exactly the env block and the extra managed keys
    const dropin = JSON.parse(m.read(m.join(m.managedDir, 'managed-settings.d', '50-ccfleet.json')));
    expect(dropin).toEqual({ env: policy.env, ...policy.managedSettings });
    // model gone everywhere, everything else kept
    const aliceUser = JSON.parse(m.read(m.join(a, '.claude', 'settings.json')));
    expect(aliceUser).toEqual({ theme: 'dark', permissions: { allow: ['Bash(npm test)'] } });
    const api = projects.alice![0]!;
    const apiShared = m.read(m.join(api, '.claude', 'settings.json'));
    expect(apiShared).toContain('\r\n');
    expect(JSON.parse(apiShared)).toEqual(policy.removeKeys.includes('env.ANTHROPIC_MODEL') ? { env: { DEBUG: '1' } } : { env: { ANTHROPIC_MODEL: 'claude-sonnet-4-5', DEBUG: '1' } });
    expect(JSON.parse(m.read(m.join(api, '.claude', 'settings.local.json')))).toEqual({ outputStyle: 'x' });
    const bobUser = m.read(m.join(m.home('bob'), '.claude', 'settings.json'));
    expect(bobUser).toBe('{\n\t"env": {\n\t\t"ANTHROPIC_BASE_URL": "http://localhost:8080/anthropic"\n\t}\n}');
    const tool = m.read(m.join(projects.bob![0]!, '.claude', 'settings.local.json'));
    expect(tool.startsWith('\ufeff')).toBe(true);
    expect(JSON.parse(tool.slice(1))).toEqual({ spinnerTips: false });
    // files Claude Code ignores are reported and left byte-for-byte
    for (const [p, text] of untouched) expect(m.read(p)).toBe(text);
    const states = Object.fromEntries(rep.json.files.map((f: any) => [f.path, f.state]));
    expect(states[m.join(web, '.claude', 'settings.json')]).toBe('unparseable');
    expect(states[m.join(web, '.claude', 'settings.local.json')]).toBe('unparseable');
    expect(states[m.join(a, '.claude', 'settings.json')]).toBe('repaired');

    const after = cli(args(m, policyPath, 'check'));
    expect(after.code, after.stdout.slice(0, 3000)).toBe(0);
    expect(after.json.compliant).toBe(true);
    const env = new Map(Object.entries(policy.env).map(([k, v]) => [k, { value: v }]));
    const expected = policy.env.ANTHROPIC_MODEL ? mapAlias(policy.env.ANTHROPIC_MODEL, env) : mapAlias(policy.env.ANTHROPIC_DEFAULT_MODEL ?? 'opus', env);
    for (const u of after.json.users) {
      expect(u.compliant).toBe(true);
      expect(u.selectedModel.resolved).toBe(expected);
      for (const p of u.projects) expect(p.selectedModel.resolved).toBe(expected);
    }
    expect(after.json.users.find((u: any) => u.name === 'alice').projects.map((p: any) => p.path)).toEqual([api, web].sort());
    // do nothing: a second repair changes nothing
    const again = cli(args(m, policyPath, 'repair'));
    expect(again.code).toBe(0);
    expect(again.json.files.filter((f: any) => f.state === 'repaired')).toEqual([]);
  });
});
