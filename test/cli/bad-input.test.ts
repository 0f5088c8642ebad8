/**
 * Bad input at every entry point: one line `ccfleet: <CODE>: ...` on stderr, nothing on stdout, exit 2,
 * and not one byte or mtime of the machine changed (the whole root, state dir included, is snapshotted
 * around every case; `repair` is used wherever the command matters, since it is the one that writes).
 * The `--platform` case without `--root` would write into this machine's real folders if it were not refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { cliAsync, fixture, type Fixture } from './e2e-fixture.js';

let f: Fixture;
let before: Record<string, string>;
let p: Record<string, string>;

beforeAll(() => {
  f = fixture('linux', [{ name: 'alice' }, { name: 'bob' }]);
  const a = f.home('alice');
  f.put(`${a}/.claude/settings.json`, '{\n  "model": "claude-opus-4-5",\n  "theme": "dark"\n}\n');
  f.put(`${a}/.claude.json`, JSON.stringify({ projects: { [`${a}/app`]: {} } }));
  f.put(`${a}/app/.claude/settings.json`, '{"model":"sonnet"}\n');
  const put = (name: string, text: string) => {
    const h = path.join(f.root, 'inputs', name);
    fs.mkdirSync(path.dirname(h), { recursive: true });
    fs.writeFileSync(h, text);
    return h;
  };
  p = {
    badJsonc: put('bad.jsonc', '{\n  "id": "x",\n  "version": 1\n  "env": {}\n}\n'),
    badVersion: put('bad-version.jsonc', '{\n  "id": "x",\n  "version": "1",\n  "env": {}\n}\n'),
    badEnv: put('bad-env.jsonc', '{\n  "id": "x",\n  "version": 1,\n  "env": {\n    "ANTHROPIC_BASE_URL": 8080\n  }\n}\n'),
    unknownKey: put('unknown-key.jsonc', '{\n  "id": "x",\n  "version": 1,\n  "env": {},\n  "enforce": "user"\n}\n'),
    configUnknownKey: put('agent-unknown.json', '{\n  "server": "https://fleet.example.com",\n  "polcy": "/p.json"\n}\n'),
    configBadJsonc: put('agent-bad.json', '{\n  "policy": "/p.json",\n  oops\n}\n'),
    configBadType: put('agent-type.json', '{\n  "server": "ftp://fleet.example.com"\n}\n'),
    configMissingPolicy: put('agent-missing-policy.json', JSON.stringify({ policy: path.join(f.root, 'inputs', 'nope.jsonc') })),
    configOk: put('agent-ok.json', '{}'),
    aFile: put('plain-file', 'x'),
  };
  before = f.snap();
});
afterAll(() => f.cleanup());

const common = () => ['--root', f.root, '--platform', 'linux', '--policy', f.policyPath];

type Case = [name: string, args: () => string[], code: string, message?: RegExp];
const cases: Case[] = [
  ['unknown command', () => ['frobnicate', ...common()], 'USAGE', /unknown command "frobnicate"/],
  ['unknown command with --help', () => ['frobnicate', '--help'], 'USAGE', /unknown command/],
  ['an option where the command should be', () => ['--root', f.root], 'USAGE', /command/],
  ['unknown option', () => ['repair', '--frob', ...common()], 'USAGE', /unknown option --frob/],
  ['unknown short option', () => ['repair', '-x', ...common()], 'USAGE', /unknown option -x/],
  ['option of another command', () => ['repair', '--latest', ...common()], 'USAGE', /--latest/],
  ['missing option value', () => ['repair', ...common(), '--user'], 'USAGE', /--user.*needs a value/],
  ['value given to a flag', () => ['repair', '--json=yes', ...common()], 'USAGE', /--json/],
  ['empty --policy', () => ['repair', '--root', f.root, '--platform', 'linux', '--policy', ''], 'USAGE', /--policy/],
  ['stray argument', () => ['repair', 'now', ...common()], 'USAGE', /unexpected argument "now"/],
  ['bad --platform', () => ['repair', '--root', f.root, '--platform', 'beos', '--policy', f.policyPath], 'USAGE', /--platform.*"beos"/],
  ['bad --user', () => ['repair', ...common(), '--user', 'al/ice'], 'USAGE', /--user "al\/ice"/],
  ['--user nobody has', () => ['repair', ...common(), '--user', 'mallory'], 'USAGE', /mallory.*no such user/],
  ['--user on restore (it would restore every user\'s files)', () => ['restore', '--root', f.root, '--platform', 'linux', '--user', 'alice'], 'USAGE', /--user does not apply to restore/],
  ['--root on policy lint', () => ['policy', 'lint', f.policyPath, '--root', f.root], 'USAGE', /--root does not apply to policy/],
  ['--dry-run on check', () => ['check', '--dry-run', ...common()], 'USAGE', /--dry-run/],
  ['--dry-run on status', () => ['status', '--dry-run', ...common()], 'USAGE', /--dry-run/],
  ['missing policy file', () => ['repair', '--root', f.root, '--platform', 'linux', '--policy', path.join(f.root, 'nope.jsonc')], 'POLICY_NOT_FOUND', /nope\.jsonc/],
  ['policy that is a folder', () => ['repair', '--root', f.root, '--platform', 'linux', '--policy', path.join(f.root, 'home')], 'POLICY_UNREADABLE', /folder/],
  ['policy that is not JSONC', () => ['repair', '--root', f.root, '--platform', 'linux', '--policy', p.badJsonc!], 'POLICY_PARSE', /bad\.jsonc:4:3:/],
  ['policy with a wrong type', () => ['repair', '--root', f.root, '--platform', 'linux', '--policy', p.badVersion!], 'POLICY_INVALID', /bad-version\.jsonc:3:\d+: version\b/],
  ['policy with a wrong nested value', () => ['repair', '--root', f.root, '--platform', 'linux', '--policy', p.badEnv!], 'POLICY_INVALID', /bad-env\.jsonc:5:\d+: env\.ANTHROPIC_BASE_URL\b/],
  ['policy with an unknown key', () => ['repair', '--root', f.root, '--platform', 'linux', '--policy', p.unknownKey!], 'POLICY_INVALID', /unknown-key\.jsonc:5:\d+:.*enforce\b/],
  ['a policy URL nobody answers', () => ['repair', '--root', f.root, '--platform', 'linux', '--policy', 'http://127.0.0.1:9/policy.json'], 'POLICY_UNREADABLE', /127\.0\.0\.1:9/],
  ['--platform of another OS without --root', () => ['repair', '--platform', process.platform === 'darwin' ? 'windows' : 'darwin', '--policy', f.policyPath], 'USAGE', /needs --root/],
  ['--root that does not exist', () => ['repair', '--root', path.join(f.root, 'nope'), '--platform', 'linux', '--policy', f.policyPath], 'ROOT_UNREADABLE', /nope/],
  ['--root that is a file', () => ['repair', '--root', p.aFile!, '--platform', 'linux', '--policy', f.policyPath], 'ROOT_UNREADABLE', /not a directory/],
  ['--config with an unknown key', () => ['repair', ...common(), '--config', p.configUnknownKey!], 'CONFIG_INVALID', /agent-unknown\.json:3:3: polcy: unknown key/],
  ['--config that is not JSONC', () => ['repair', ...common(), '--config', p.configBadJsonc!], 'CONFIG_INVALID', /agent-bad\.json:3:3:/],
  ['--config with a bad value', () => ['repair', ...common(), '--config', p.configBadType!], 'CONFIG_INVALID', /agent-type\.json:2:\d+: server\b/],
  ['--config that does not exist', () => ['repair', ...common(), '--config', path.join(f.root, 'nope.json')], 'CONFIG_INVALID', /nope\.json/],
  ['--config naming a missing policy', () => ['repair', '--root', f.root, '--platform', 'linux', '--config', p.configMissingPolicy!], 'POLICY_NOT_FOUND', /nope\.jsonc/],
  ['no policy at all', () => ['repair', '--root', f.root, '--platform', 'linux'], 'POLICY_NOT_FOUND', /no policy/],
  ['--json does not turn an error into output', () => ['repair', '--json', '--root', f.root, '--platform', 'linux'], 'POLICY_NOT_FOUND'],
  ['policy lint without a file', () => ['policy', 'lint'], 'USAGE', /ccfleet policy lint <file>/],
  ['policy without a subcommand', () => ['policy'], 'USAGE', /policy lint/],
  ['policy with an unknown subcommand', () => ['policy', 'frob', f.policyPath], 'USAGE', /"frob"/],
  ['policy lint with two files', () => ['policy', 'lint', f.policyPath, f.policyPath], 'USAGE', /ccfleet policy lint <file>/],
  ['policy lint of a missing file', () => ['policy', 'lint', path.join(f.root, 'nope.jsonc')], 'POLICY_NOT_FOUND'],
  ['help on an unknown command', () => ['help', 'frob'], 'USAGE', /frob/],
  ['restore of a path without a backup', () => ['restore', '--root', f.root, '--platform', 'linux', '--path', '/home/alice/.claude/settings.json'], 'BACKUP_NOT_FOUND', /\/home\/alice\/\.claude\/settings\.json/],
  ['restore with a bad --root', () => ['restore', '--list', '--root', path.join(f.root, 'nope'), '--platform', 'linux'], 'ROOT_UNREADABLE'],
];

describe('bad input: one error line, exit 2, nothing written', () => {
  // Every case is read-only (that is the point), so they may run side by side.
  it.concurrent.for(cases)('%s', async ([, args, code, message], { expect }) => {
    const r = await cliAsync(args());
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^ccfleet: ${code}: [^\\n]+\\n$`));
    if (message) expect(r.stderr).toMatch(message);
    expect(f.snap()).toEqual(before);
  });

  it('the same machine and policy are fine when the input is (the cases above fail for their own reason)', () => {
    const dry = f.run('repair', '--dry-run');
    expect(dry.code, dry.stderr).toBe(1);
    const viaConfig = cli(['check', '--root', f.root, '--platform', 'linux', '--config', p.configOk!, '--policy', f.policyPath]);
    expect(viaConfig.code, viaConfig.stderr).toBe(1);
    expect(f.snap()).toEqual(before);
  });

  it('the agent config at the platform path under --root is read, and a broken one is an error too', () => {
    const cfg = f.put('/etc/ccfleet/agent.json', '{ "policy": 42 }\n');
    try {
      const r = cli(['repair', ...common()]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^ccfleet: CONFIG_INVALID: .*agent\.json:1:\d+: policy\b[^\n]*\n$/);
      fs.writeFileSync(cfg, JSON.stringify({ policy: f.policyPath }));
      const ok = cli(['check', '--root', f.root, '--platform', 'linux']);
      expect(ok.code, ok.stderr).toBe(1);
      expect(ok.stdout).toMatch(/policy e2e v1/);
    } finally {
      fs.rmSync(path.join(f.root, 'etc', 'ccfleet'), { recursive: true });
    }
  });
});

describe('help and version', () => {
  it.each([['--version'], ['-v'], ['version']])('%s prints the version, exit 0', (arg) => {
    const r = cli([arg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ccfleet \d+\.\d+\.\d+\S*\n$/);
    expect(r.stderr).toBe('');
  });

  it.each([[['--help']], [['-h']], [['help']], [[]]])('%j prints the overview, exit 0', (args) => {
    const r = cli(args);
    expect(r.code).toBe(0);
    for (const c of ['check', 'repair', 'status', 'policy lint', 'restore', 'version']) expect(r.stdout).toContain(c);
  });

  it.each(['check', 'repair', 'status', 'restore', 'policy', 'version'])('%s --help (and `help <command>`): exit 0, that command\'s usage', (cmd) => {
    const r = cli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: ccfleet ${cmd}\\b`));
    expect(cli(['help', cmd]).stdout).toBe(r.stdout);
  });

  it('repair --help documents --dry-run; policy --help documents the exit codes', () => {
    expect(cli(['repair', '--help']).stdout).toMatch(/--dry-run/);
    const lint = cli(['policy', 'lint', '--help']);
    expect(lint.code).toBe(0);
    expect(lint.stdout).toMatch(/0\s+valid, no findings/);
    expect(lint.stdout).toMatch(/1\s+valid, with at least one finding \(errors or warnings\)/);
    expect(lint.stdout).toMatch(/2\s+not a valid policy/);
  });
});
