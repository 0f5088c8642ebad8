// The agent config's channels (src/agent/config-sources/load.ts): --config alone, else the platform file
// overlaid by macOS managed preferences or the Windows policy registry key, managed keys winning; every
// channel schema-checked on its own, errors naming the channel and the field. Real files under a temp root.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentConfigChannels, type ConfigChannelDeps } from '../../../src/agent/config-sources/load.js';
import { defaultRegExe, REG_QUERY_ARGS, type RegistryRunner } from '../../../src/agent/config-sources/registry-channel.js';
import { CcfleetError } from '../../../src/core/errors.js';
import { choosePlatform } from '../../../src/platform/index.js';
import { toHostPath } from '../../../src/platform/root-path.js';
import type { PlatformName } from '../../../src/platform/types.js';

const FIX = path.resolve(__dirname, '..', '..', 'fixtures', 'plist');
const KEY = 'gODXEsEFsujidOra01GwOEYBBCQpb47KLyyyCgc0YUM=';
const PREFS = '/Library/Managed Preferences/com.ccfleet.agent.plist';
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

function machine(platform: PlatformName, registry: RegistryRunner = () => null) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-cfgsrc-'));
  roots.push(root);
  const p = choosePlatform(platform, { platform: 'linux', osRelease: '', env: {} });
  const host = (m: string) => toHostPath(root, platform, m, path.sep);
  const put = (m: string, content: string | Uint8Array) => {
    fs.mkdirSync(path.dirname(host(m)), { recursive: true });
    fs.writeFileSync(host(m), content);
    return host(m);
  };
  const deps: ConfigChannelDeps = { platform, configFile: p.agentPaths.config, host, registry };
  const load = (explicit?: string) => loadAgentConfigChannels(explicit, deps);
  return { root, host, put, load, configFile: p.agentPaths.config };
}

const err = (f: () => unknown): { code: string; message: string } => {
  try {
    f();
  } catch (e) {
    if (e instanceof CcfleetError) return { code: e.code, message: e.message };
    return { code: `not a CcfleetError: ${String(e)}`, message: '' };
  }
  return { code: 'no error', message: '' };
};

const xmlPlist = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>${body}</dict></plist>\n`;
const regOut = (lines: string[], sub: Record<string, string[]> = {}) =>
  ['', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet', ...lines, '', ...Object.entries(sub).flatMap(([k, ls]) => [`HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet\\${k}`, ...ls, '']), ''].join('\r\n');
const fakeReg = (stdout: string, status = 0, stderr = ''): RegistryRunner & { calls: string[][] } => {
  const calls: string[][] = [];
  const run = ((args: readonly string[]) => {
    calls.push([...args]);
    return { status, stdout, stderr };
  }) as RegistryRunner & { calls: string[][] };
  run.calls = calls;
  return run;
};

describe('macOS: agent.json overlaid by managed preferences', () => {
  it('binary and XML profiles: managed keys win, the file keeps the rest, Payload* bookkeeping dropped; sources named', () => {
    for (const fixture of ['agent-config.binary.plist', 'agent-config.xml.plist']) {
      const m = machine('darwin');
      m.put(m.configFile, '// installer\n{ "server": "https://installer.example.com", "policy": "/etc/p.json", "logLevel": "debug", }\n');
      const plist = m.put(PREFS, fs.readFileSync(path.join(FIX, fixture)));
      const r = m.load();
      expect(r.config).toEqual({
        server: 'https://fleet.example.com',
        enrollSecret: 'mdm-secret-1234',
        policyPublicKeys: [KEY],
        heartbeatMinutes: 30,
        policyRefresh: { cron: '*/10 * * * *', jitterSeconds: 60 },
        policy: '/etc/p.json',
        logLevel: 'debug',
      });
      expect(r.sources.server).toBe(`managed preferences ${plist}`);
      expect(r.sources.policy).toBe(`config file ${m.host(m.configFile)}`);
    }
  });

  it('managed preferences alone (no agent.json); nothing at all is an empty config', () => {
    const m = machine('darwin');
    expect(m.load()).toEqual({ config: {}, sources: {} });
    m.put(PREFS, xmlPlist('<key>policy</key><string>https://cdn.example.com/p.json</string>'));
    expect(m.load().config).toEqual({ policy: 'https://cdn.example.com/p.json' });
  });

  it('an object key comes whole from the channel that sets it', () => {
    const m = machine('darwin');
    m.put(m.configFile, '{ "policyRefresh": { "cron": "*/5 * * * *" } }');
    m.put(PREFS, xmlPlist('<key>policyRefresh</key><dict><key>jitterSeconds</key><integer>5</integer></dict>'));
    expect(m.load().config.policyRefresh).toEqual({ jitterSeconds: 5 });
  });

  it('numbers typed as strings and one key where a list is wanted are read as meant', () => {
    const m = machine('darwin');
    m.put(PREFS, xmlPlist(`<key>heartbeatMinutes</key><string>45</string><key>resyncMinutes</key><string>7.5</string><key>policyPublicKeys</key><string>${KEY}</string>`));
    expect(m.load().config).toEqual({ heartbeatMinutes: 45, resyncMinutes: 7.5, policyPublicKeys: [KEY] });
  });

  it('a bad value, an unknown key, a wrong type, a malformed plist: CONFIG_INVALID naming the channel and the field', () => {
    const m = machine('darwin');
    const where = m.put(PREFS, fs.readFileSync(path.join(FIX, 'bad-value.binary.plist')));
    let e = err(() => m.load());
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(new RegExp(`^managed preferences ${where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (heartbeatMinutes|server): `));
    m.put(PREFS, xmlPlist('<key>polcy</key><string>x</string>'));
    expect(err(() => m.load()).message).toBe(`managed preferences ${where}: polcy: unknown key`);
    m.put(PREFS, xmlPlist('<key>heartbeatMinutes</key><true/>'));
    expect(err(() => m.load()).message).toMatch(/^managed preferences .*: heartbeatMinutes: .*number/i);
    m.put(PREFS, xmlPlist('<key>server</key><string>https://a'));
    e = err(() => m.load());
    expect(e).toEqual({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^managed preferences .*: plist-xml-syntax: /) });
    m.put(PREFS, '<?xml version="1.0"?><plist><array/></plist>');
    expect(err(() => m.load()).message).toMatch(/: the top level must be a dict$/);
    m.put(PREFS, Buffer.alloc(2 << 20));
    expect(err(() => m.load()).message).toMatch(/: plist-too-large: /);
  });

  it('a bad agent.json is still reported as the file (line, column, field), before the profile is read', () => {
    const m = machine('darwin');
    m.put(m.configFile, '{ "server": "ftp://x" }');
    m.put(PREFS, xmlPlist('<key>server</key><string>https://fleet.example.com</string>'));
    expect(err(() => m.load()).message).toMatch(/agent\.json:1:\d+: server: /);
  });

  it('--config is the only channel when given (profile and platform file ignored); it must exist', () => {
    const m = machine('darwin');
    m.put(m.configFile, '{ "logLevel": "debug" }');
    m.put(PREFS, xmlPlist('<key>server</key><string>https://fleet.example.com</string>'));
    const explicit = path.join(m.root, 'explicit.json');
    fs.writeFileSync(explicit, '{ "policy": "/p.json" }');
    expect(m.load(explicit)).toEqual({ config: { policy: '/p.json' }, sources: { policy: `--config ${explicit}` } });
    expect(err(() => m.load(path.join(m.root, 'missing.json'))).code).toBe('CONFIG_INVALID');
  });

  it('Linux and WSL read the file only (a plist under the root is not a Linux channel)', () => {
    for (const p of ['linux', 'wsl'] as const) {
      const m = machine(p);
      m.put(PREFS, xmlPlist('<key>server</key><string>https://fleet.example.com</string>'));
      m.put(m.configFile, '{ "logLevel": "warn" }');
      expect(m.load().config).toEqual({ logLevel: 'warn' });
    }
  });
});

describe('Windows: agent.json overlaid by HKLM\\SOFTWARE\\Policies\\ccfleet', () => {
  it('runs reg.exe query with /s /reg:64; REG_SZ / REG_DWORD / REG_MULTI_SZ and subkeys; names in any case; managed wins', () => {
    const reg = fakeReg(
      regOut(['    Server    REG_SZ    https://fleet.example.com', '    HEARTBEATMINUTES    REG_DWORD    0x1e', '    resyncMinutes    REG_SZ    2.5', `    policyPublicKeys    REG_MULTI_SZ    ${KEY}\\0${KEY}`], {
        PolicyRefresh: ['    Cron    REG_SZ    */15 * * * *', '    jitterSeconds    REG_DWORD    0x0'],
      }),
    );
    const m = machine('windows', reg);
    m.put(m.configFile, '{ "server": "https://installer.example.com", "enrollSecret": "from-msi" }');
    const r = m.load();
    expect(reg.calls).toEqual([['query', 'HKLM\\SOFTWARE\\Policies\\ccfleet', '/s', '/reg:64']]);
    expect(REG_QUERY_ARGS).toEqual(reg.calls[0]);
    expect(r.config).toEqual({
      server: 'https://fleet.example.com',
      enrollSecret: 'from-msi',
      heartbeatMinutes: 30,
      resyncMinutes: 2.5,
      policyPublicKeys: [KEY, KEY],
      policyRefresh: { cron: '*/15 * * * *', jitterSeconds: 0 },
    });
    expect(r.sources).toEqual({
      server: 'registry HKLM\\SOFTWARE\\Policies\\ccfleet',
      enrollSecret: `config file ${m.host(m.configFile)}`,
      heartbeatMinutes: 'registry HKLM\\SOFTWARE\\Policies\\ccfleet',
      resyncMinutes: 'registry HKLM\\SOFTWARE\\Policies\\ccfleet',
      policyPublicKeys: 'registry HKLM\\SOFTWARE\\Policies\\ccfleet',
      policyRefresh: 'registry HKLM\\SOFTWARE\\Policies\\ccfleet',
    });
  });

  it('the key absent (exit 1, nothing printed) or no reg.exe: the file alone', () => {
    const absent = fakeReg('', 1, 'ERROR: The system was unable to find the specified registry key or value.\r\n');
    const m = machine('windows', absent);
    m.put(m.configFile, '{ "logLevel": "warn" }');
    expect(m.load().config).toEqual({ logLevel: 'warn' });
    expect(machine('windows', () => null).load().config).toEqual({});
    // wine's reg.exe says it on stdout (found running the MSI-installed service under wine)
    const wine = machine('windows', fakeReg('reg: Unable to find the specified registry key\r\n', 1));
    wine.put(wine.configFile, '{ "logLevel": "warn" }');
    expect(wine.load().config).toEqual({ logLevel: 'warn' });
  });

  it('access denied or any other reg.exe failure, a bad value, an unknown name, an unreadable type: CONFIG_INVALID naming the registry and the field', () => {
    const label = 'registry HKLM\\SOFTWARE\\Policies\\ccfleet';
    expect(err(() => machine('windows', fakeReg('', 1, 'ERROR: Access is denied.\r\n')).load())).toEqual({ code: 'CONFIG_INVALID', message: `${label}: reg.exe exited 1: ERROR: Access is denied.` });
    expect(err(() => machine('windows', fakeReg('', 5)).load()).message).toBe(`${label}: reg.exe exited 5`);
    expect(err(() => machine('windows', fakeReg(regOut(['    server    REG_SZ    ftp://x']))).load()).message).toMatch(/^registry HKLM\\SOFTWARE\\Policies\\ccfleet: server: /);
    expect(err(() => machine('windows', fakeReg(regOut(['    polcy    REG_SZ    x']))).load()).message).toBe(`${label}: polcy: unknown key`);
    expect(err(() => machine('windows', fakeReg(regOut([], { policyRefresh: ['    jitterSeconds    REG_DWORD    0x7fffffff'] }))).load()).message).toMatch(/^registry .*: policyRefresh\.jitterSeconds: /);
    expect(err(() => machine('windows', fakeReg(regOut(['    server    REG_BINARY    00']))).load()).message).toMatch(/^registry .*: server: reg-unsupported-type: /);
    expect(err(() => machine('windows', fakeReg(regOut(['    server    REG_SZ    https://a.example', '    SERVER    REG_SZ    https://b.example']))).load()).code).toBe('CONFIG_INVALID');
  });

  it('--config alone: reg.exe is not even run', () => {
    const reg = fakeReg(regOut(['    server    REG_SZ    https://fleet.example.com']));
    const m = machine('windows', reg);
    const explicit = path.join(m.root, 'x.json');
    fs.writeFileSync(explicit, '{}');
    expect(m.load(explicit).config).toEqual({});
    expect(reg.calls).toEqual([]);
  });

  it('which reg.exe: System32 on Windows, none for a --root image on Windows, PATH elsewhere (tests fake it)', () => {
    expect(defaultRegExe(null, { platform: 'win32', env: { SystemRoot: 'D:\\Win' } })).toBe('D:\\Win\\System32\\reg.exe');
    expect(defaultRegExe(null, { platform: 'win32', env: {} })).toBe('C:\\Windows\\System32\\reg.exe');
    expect(defaultRegExe('/img', { platform: 'win32', env: {} })).toBeNull();
    expect(defaultRegExe('/img', { platform: 'linux', env: {} })).toBe('reg.exe');
  });
});
