/**
 * Claude Code installs found from paths and package files only, on linux, darwin, windows and wsl
 * layouts built in a temp root and read through the real node FsView (as under `--root`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findClaudeInstalls, findSystemInstalls, MAX_LISTED } from '../../src/agent/facts/claude-installs.js';
import type { PlatformName } from '../../src/platform/types.js';
import { MachineFixture } from '../platform/fixture.js';

const fixtures: MachineFixture[] = [];
afterEach(() => {
  for (const m of fixtures.splice(0)) m.cleanup();
});

function machine(name: PlatformName): MachineFixture {
  const m = new MachineFixture(name);
  fixtures.push(m);
  return m;
}

/** A symbolic link at a machine path whose stored target is `target`, exactly as given. */
function link(m: MachineFixture, machinePath: string, target: string): void {
  const h = m.host(machinePath);
  fs.mkdirSync(path.dirname(h), { recursive: true });
  fs.symlinkSync(target, h);
}

const pkg = (version: unknown, name = '@anthropic-ai/claude-code') => JSON.stringify({ name, version, bin: { claude: 'cli.js' } });

describe('native installs (linux)', () => {
  const home = '/home/a';
  const versions = `${home}/.local/share/claude/versions`;
  const launcher = `${home}/.local/bin/claude`;
  const mine = (m: MachineFixture) => findClaudeInstalls(m.platform, m.fs, home);

  it('reports the launcher with the version its absolute link target names, and only it', () => {
    const m = machine('linux');
    m.put(`${versions}/2.1.300`, 'old binary');
    m.put(`${versions}/2.1.332`, 'binary');
    link(m, launcher, `${versions}/2.1.332`);
    expect(mine(m)).toEqual([{ method: 'native', path: launcher, version: '2.1.332' }]);
  });

  it('follows a relative link target too', () => {
    const m = machine('linux');
    m.put(`${versions}/2.1.332-beta.2`, 'binary');
    link(m, launcher, '../share/claude/versions/2.1.332-beta.2');
    expect(mine(m)).toEqual([{ method: 'native', path: launcher, version: '2.1.332-beta.2' }]);
  });

  it('treats a dangling launcher as no launcher: the installed versions are listed, newest first', () => {
    const m = machine('linux');
    m.put(`${versions}/2.1.300`, 'b');
    m.put(`${versions}/2.1.332`, 'b');
    m.put(`${versions}/2.1.40`, 'b');
    link(m, launcher, `${versions}/2.1.999`);
    expect(mine(m)).toEqual([
      { method: 'native', path: `${versions}/2.1.332`, version: '2.1.332' },
      { method: 'native', path: `${versions}/2.1.300`, version: '2.1.300' },
      { method: 'native', path: `${versions}/2.1.40`, version: '2.1.40' },
    ]);
  });

  it('reports a launcher whose target is not a version with no version', () => {
    const m = machine('linux');
    m.put('/opt/claude/bin/claude', 'binary');
    m.put(`${versions}/2.1.332`, 'b');
    link(m, launcher, '/opt/claude/bin/claude');
    expect(mine(m)).toEqual([{ method: 'native', path: launcher, version: null }]);
  });

  it('finds nothing for a dangling non-version launcher and an empty versions folder', () => {
    const m = machine('linux');
    m.mkdir(versions);
    link(m, launcher, '/nowhere/claude');
    expect(mine(m)).toEqual([]);
  });

  it('finds nothing for an empty versions folder, a versions path that is a file, or a home that does not exist', () => {
    const m = machine('linux');
    m.mkdir(versions);
    expect(mine(m)).toEqual([]);
    const f = machine('linux');
    f.put(versions, 'not a folder');
    expect(findClaudeInstalls(f.platform, f.fs, home)).toEqual([]);
    expect(findClaudeInstalls(f.platform, f.fs, '/home/ghost')).toEqual([]);
  });

  it('skips version-folder entries that are not versions', () => {
    const m = machine('linux');
    for (const n of ['latest', '.2.1.5', '2.1.x', '2.1.5.partial', '2.1.5.lock', 'v']) m.put(`${versions}/${n}`, 'x');
    m.put(`${versions}/2.1.5`, 'b');
    expect(mine(m)).toEqual([{ method: 'native', path: `${versions}/2.1.5`, version: '2.1.5' }]);
  });

  it('gives a regular-file launcher the version of a versions folder holding exactly one, else none', () => {
    const m = machine('linux');
    m.put(launcher, '#!/bin/sh\n');
    m.put(`${versions}/2.1.332`, 'b');
    expect(mine(m)).toEqual([{ method: 'native', path: launcher, version: '2.1.332' }]);
    m.put(`${versions}/2.1.333`, 'b');
    expect(mine(m)).toEqual([{ method: 'native', path: launcher, version: null }]);
  });

  it(`lists at most ${MAX_LISTED} versions, the newest`, () => {
    const m = machine('linux');
    for (let i = 0; i < 100; i++) m.put(`${versions}/2.1.${i}`, 'b');
    const got = mine(m);
    expect(got).toHaveLength(MAX_LISTED);
    expect(got[0]!.version).toBe('2.1.99');
    expect(got[MAX_LISTED - 1]!.version).toBe(`2.1.${100 - MAX_LISTED}`);
  });

  it('never runs the launcher', () => {
    const m = machine('linux');
    const marker = m.host('/tmp/ran');
    m.put(launcher, `#!/bin/sh\ntouch '${marker}'\n`);
    fs.chmodSync(m.host(launcher), 0o755);
    fs.mkdirSync(path.dirname(marker), { recursive: true });
    expect(mine(m)).toEqual([{ method: 'native', path: launcher, version: null }]);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe('npm and legacy local installs (linux)', () => {
  const home = '/home/a';
  const wrapper = (nm: string) => `${nm}/@anthropic-ai/claude-code`;

  it('reads the wrapper package, the platform package beside it and one nested in it', () => {
    const m = machine('linux');
    const nm = `${home}/.npm-global/lib/node_modules`;
    m.put(`${wrapper(nm)}/package.json`, pkg('2.1.332'));
    m.put(`${nm}/@anthropic-ai/claude-code-linux-x64/package.json`, pkg('2.1.332', '@anthropic-ai/claude-code-linux-x64'));
    m.put(`${wrapper(nm)}/node_modules/@anthropic-ai/claude-code-linux-arm64-musl/package.json`, pkg('2.1.331'));
    m.put(`${nm}/@anthropic-ai/claude-code-sdk/package.json`, pkg('9.9.9'));
    m.put(`${nm}/@anthropic-ai/claude-agent-sdk/package.json`, pkg('9.9.9'));
    m.put(`${nm}/other/package.json`, pkg('9.9.9'));
    expect(findClaudeInstalls(m.platform, m.fs, home)).toEqual([
      { method: 'npm-global', path: wrapper(nm), version: '2.1.332' },
      { method: 'npm-global', path: `${nm}/@anthropic-ai/claude-code-linux-x64`, version: '2.1.332' },
      { method: 'npm-global', path: `${wrapper(nm)}/node_modules/@anthropic-ai/claude-code-linux-arm64-musl`, version: '2.1.331' },
    ]);
  });

  it('looks in ~/.npm-global, ~/.local, each nvm node and the legacy ~/.claude/local', () => {
    const m = machine('linux');
    m.put(`${wrapper(`${home}/.claude/local/node_modules`)}/package.json`, pkg('1.0.100'));
    m.put(`${wrapper(`${home}/.local/lib/node_modules`)}/package.json`, pkg('2.0.1'));
    m.put(`${wrapper(`${home}/.nvm/versions/node/v20.11.0/lib/node_modules`)}/package.json`, pkg('2.1.5'));
    m.put(`${wrapper(`${home}/.nvm/versions/node/v22.3.0/lib/node_modules`)}/package.json`, pkg('2.1.7'));
    m.mkdir(`${home}/.nvm/versions/node/v18.0.0/lib/node_modules`);
    expect(findClaudeInstalls(m.platform, m.fs, home)).toEqual([
      { method: 'legacy-local', path: wrapper(`${home}/.claude/local/node_modules`), version: '1.0.100' },
      { method: 'npm-global', path: wrapper(`${home}/.local/lib/node_modules`), version: '2.0.1' },
      { method: 'npm-global', path: wrapper(`${home}/.nvm/versions/node/v22.3.0/lib/node_modules`), version: '2.1.7' },
      { method: 'npm-global', path: wrapper(`${home}/.nvm/versions/node/v20.11.0/lib/node_modules`), version: '2.1.5' },
    ]);
  });

  it.each([
    ['garbage', 'not json {'],
    ['an array', '[1,2]'],
    ['null', 'null'],
    ['a number version', pkg(2)],
    ['a garbage version', pkg('latest')],
    ['no version', '{"name":"@anthropic-ai/claude-code"}'],
    ['over 1 MiB', JSON.stringify({ version: '2.1.332', pad: 'x'.repeat(1024 * 1024) })],
    ['empty', ''],
  ])('reports a package whose package.json is %s with no version', (_, text) => {
    const m = machine('linux');
    m.put(`${wrapper(`${home}/.npm-global/lib/node_modules`)}/package.json`, text);
    expect(findClaudeInstalls(m.platform, m.fs, home)).toEqual([{ method: 'npm-global', path: wrapper(`${home}/.npm-global/lib/node_modules`), version: null }]);
  });

  it('accepts a package.json with a BOM and a v-prefixed version', () => {
    const m = machine('linux');
    m.put(`${wrapper(`${home}/.npm-global/lib/node_modules`)}/package.json`, `\uFEFF${pkg('v2.1.332')}`);
    expect(findClaudeInstalls(m.platform, m.fs, home)[0]!.version).toBe('2.1.332');
  });

  it('ignores a package folder with no package.json, or one whose package.json is a folder', () => {
    const m = machine('linux');
    m.mkdir(wrapper(`${home}/.npm-global/lib/node_modules`));
    m.mkdir(`${wrapper(`${home}/.local/lib/node_modules`)}/package.json`);
    m.put(`${home}/.claude/local/node_modules/@anthropic-ai/claude-code-linux-x64/README.md`, 'x');
    // A package.json folder exists but is no file: still a package on disk, with no readable version.
    expect(findClaudeInstalls(m.platform, m.fs, home)).toEqual([{ method: 'npm-global', path: wrapper(`${home}/.local/lib/node_modules`), version: null }]);
  });

  it('reveals nothing but a version through a package.json symlinked to another file', () => {
    const m = machine('linux');
    // The link's target is the fixture's own file (an absolute host path), not this host's /etc/shadow.
    m.put('/etc/shadow', 'root:$6$secrethash:19000:0:99999:7:::\n');
    link(m, `${wrapper(`${home}/.npm-global/lib/node_modules`)}/package.json`, m.host('/etc/shadow'));
    const got = findClaudeInstalls(m.platform, m.fs, home);
    expect(got).toEqual([{ method: 'npm-global', path: wrapper(`${home}/.npm-global/lib/node_modules`), version: null }]);
    expect(JSON.stringify(got)).not.toContain('secret');
  });

  it(`considers at most ${MAX_LISTED} nvm node versions, the newest`, () => {
    const m = machine('linux');
    const nvm = `${home}/.nvm/versions/node`;
    for (let i = 0; i < 70; i++) m.mkdir(`${nvm}/v${i}.0.0`);
    m.put(`${wrapper(`${nvm}/v69.0.0/lib/node_modules`)}/package.json`, pkg('2.1.69'));
    m.put(`${wrapper(`${nvm}/v0.0.0/lib/node_modules`)}/package.json`, pkg('2.1.0'));
    expect(findClaudeInstalls(m.platform, m.fs, home).map((i) => i.version)).toEqual(['2.1.69']);
  });

  it('finds the system npm prefixes machine-wide, and not /opt/homebrew on linux', () => {
    const m = machine('linux');
    m.put(`${wrapper('/usr/local/lib/node_modules')}/package.json`, pkg('2.1.1'));
    m.put(`${wrapper('/usr/lib/node_modules')}/package.json`, pkg('2.1.2'));
    m.put(`${wrapper('/opt/homebrew/lib/node_modules')}/package.json`, pkg('2.1.3'));
    m.mkdir('/opt/homebrew/Caskroom/claude-code/2.1.4');
    expect(findSystemInstalls(m.platform, m.fs)).toEqual([
      { method: 'npm-global', path: wrapper('/usr/local/lib/node_modules'), version: '2.1.1' },
      { method: 'npm-global', path: wrapper('/usr/lib/node_modules'), version: '2.1.2' },
    ]);
    expect(findClaudeInstalls(m.platform, m.fs, home)).toEqual([]);
  });

  it('finds nothing on an empty machine', () => {
    const m = machine('linux');
    expect(findSystemInstalls(m.platform, m.fs)).toEqual([]);
    expect(findClaudeInstalls(m.platform, m.fs, home)).toEqual([]);
  });
});

describe('wsl', () => {
  it('uses the linux layout', () => {
    const m = machine('wsl');
    m.put('/home/a/.local/share/claude/versions/2.1.332', 'b');
    link(m, '/home/a/.local/bin/claude', '/home/a/.local/share/claude/versions/2.1.332');
    m.put('/usr/lib/node_modules/@anthropic-ai/claude-code/package.json', pkg('2.1.2'));
    expect(findClaudeInstalls(m.platform, m.fs, '/home/a')).toEqual([{ method: 'native', path: '/home/a/.local/bin/claude', version: '2.1.332' }]);
    expect(findSystemInstalls(m.platform, m.fs).map((i) => i.version)).toEqual(['2.1.2']);
  });
});

describe('darwin', () => {
  const home = '/Users/a';

  it('finds a native install under the home', () => {
    const m = machine('darwin');
    m.put(`${home}/.local/share/claude/versions/2.1.332`, 'b');
    link(m, `${home}/.local/bin/claude`, `${home}/.local/share/claude/versions/2.1.332`);
    expect(findClaudeInstalls(m.platform, m.fs, home)).toEqual([{ method: 'native', path: `${home}/.local/bin/claude`, version: '2.1.332' }]);
  });

  it('finds Homebrew casks (both prefixes) and the Homebrew npm prefix machine-wide', () => {
    const m = machine('darwin');
    m.mkdir('/opt/homebrew/Caskroom/claude-code/2.1.300');
    m.mkdir('/opt/homebrew/Caskroom/claude-code/2.1.332');
    m.mkdir('/opt/homebrew/Caskroom/claude-code/.metadata/2.1.332');
    m.mkdir('/opt/homebrew/Caskroom/claude-code/latest');
    m.put('/opt/homebrew/Caskroom/claude-code/2.1.999', 'a file, not a cask folder');
    m.mkdir('/opt/homebrew/Caskroom/other-cask/9.9.9');
    m.mkdir('/usr/local/Caskroom/claude-code/2.0.1');
    m.put('/opt/homebrew/lib/node_modules/@anthropic-ai/claude-code/package.json', pkg('2.1.5'));
    m.put('/opt/homebrew/lib/node_modules/@anthropic-ai/claude-code-darwin-arm64/package.json', pkg('2.1.5'));
    expect(findSystemInstalls(m.platform, m.fs)).toEqual([
      { method: 'npm-global', path: '/opt/homebrew/lib/node_modules/@anthropic-ai/claude-code', version: '2.1.5' },
      { method: 'npm-global', path: '/opt/homebrew/lib/node_modules/@anthropic-ai/claude-code-darwin-arm64', version: '2.1.5' },
      { method: 'homebrew', path: '/opt/homebrew/Caskroom/claude-code/2.1.332', version: '2.1.332' },
      { method: 'homebrew', path: '/opt/homebrew/Caskroom/claude-code/2.1.300', version: '2.1.300' },
      { method: 'homebrew', path: '/opt/homebrew/Caskroom/claude-code/latest', version: null },
      { method: 'homebrew', path: '/usr/local/Caskroom/claude-code/2.0.1', version: '2.0.1' },
    ]);
  });

  it('finds nothing for an empty Caskroom folder', () => {
    const m = machine('darwin');
    m.mkdir('/opt/homebrew/Caskroom/claude-code');
    expect(findSystemInstalls(m.platform, m.fs)).toEqual([]);
  });
});

describe('windows', () => {
  const home = 'C:\\Users\\a';
  const launcher = `${home}\\.local\\bin\\claude.exe`;
  const versions = `${home}\\.local\\share\\claude\\versions`;

  it('reads the version from claude.exe linking into the versions folder (plain or \\\\?\\ target)', () => {
    for (const target of [`${versions}\\2.1.332`, `\\\\?\\${versions}\\2.1.332`, '..\\share\\claude\\versions\\2.1.332']) {
      const m = machine('windows');
      m.put(`${versions}\\2.1.332`, 'b');
      link(m, launcher, target);
      expect(findClaudeInstalls(m.platform, m.fs, home)).toEqual([{ method: 'native', path: launcher, version: '2.1.332' }]);
    }
  });

  it('reads a copied claude.exe beside one installed version, and a dangling one as absent', () => {
    const m = machine('windows');
    m.put(launcher, 'MZ');
    m.put(`${versions}\\2.1.332`, 'b');
    expect(findClaudeInstalls(m.platform, m.fs, home)).toEqual([{ method: 'native', path: launcher, version: '2.1.332' }]);
    const d = machine('windows');
    d.put(`${versions}\\2.1.300`, 'b');
    link(d, launcher, `${versions}\\2.1.400`);
    expect(findClaudeInstalls(d.platform, d.fs, home)).toEqual([{ method: 'native', path: `${versions}\\2.1.300`, version: '2.1.300' }]);
  });

  it('finds the npm package under %APPDATA% and WinGet packages, and no POSIX locations', () => {
    const m = machine('windows');
    const nm = `${home}\\AppData\\Roaming\\npm\\node_modules`;
    m.put(`${nm}\\@anthropic-ai\\claude-code\\package.json`, pkg('2.1.332'));
    m.put(`${nm}\\@anthropic-ai\\claude-code\\node_modules\\@anthropic-ai\\claude-code-win32-x64\\package.json`, pkg('2.1.332'));
    const wg = `${home}\\AppData\\Local\\Microsoft\\WinGet\\Packages`;
    m.mkdir(`${wg}\\Anthropic.ClaudeCode_Microsoft.Winget.Source_8wekyb3d8bbwe`);
    m.mkdir(`${wg}\\anthropic.claudecode_2.1.300_x64`);
    m.mkdir(`${wg}\\Git.Git_Microsoft.Winget.Source_8wekyb3d8bbwe`);
    m.put(`${home}\\.npm-global\\lib\\node_modules\\@anthropic-ai\\claude-code\\package.json`, pkg('9.9.9'));
    m.put(`${home}\\.local\\bin\\claude`, 'not the windows launcher');
    expect(findClaudeInstalls(m.platform, m.fs, home)).toEqual([
      { method: 'npm-global', path: `${nm}\\@anthropic-ai\\claude-code`, version: '2.1.332' },
      { method: 'npm-global', path: `${nm}\\@anthropic-ai\\claude-code\\node_modules\\@anthropic-ai\\claude-code-win32-x64`, version: '2.1.332' },
      { method: 'winget', path: `${wg}\\Anthropic.ClaudeCode_Microsoft.Winget.Source_8wekyb3d8bbwe`, version: null },
      { method: 'winget', path: `${wg}\\anthropic.claudecode_2.1.300_x64`, version: '2.1.300' },
    ]);
  });

  it('finds Program Files nodejs and machine-wide WinGet packages, and no POSIX system prefixes', () => {
    const m = machine('windows');
    m.put('C:\\Program Files\\nodejs\\node_modules\\@anthropic-ai\\claude-code\\package.json', pkg('2.1.9'));
    m.mkdir('C:\\Program Files\\WinGet\\Packages\\Anthropic.ClaudeCode_Microsoft.Winget.Source_8wekyb3d8bbwe');
    m.put('C:\\usr\\lib\\node_modules\\@anthropic-ai\\claude-code\\package.json', pkg('9.9.9'));
    expect(findSystemInstalls(m.platform, m.fs)).toEqual([
      { method: 'npm-global', path: 'C:\\Program Files\\nodejs\\node_modules\\@anthropic-ai\\claude-code', version: '2.1.9' },
      { method: 'winget', path: 'C:\\Program Files\\WinGet\\Packages\\Anthropic.ClaudeCode_Microsoft.Winget.Source_8wekyb3d8bbwe', version: null },
    ]);
  });
});
