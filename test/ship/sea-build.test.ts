/**
 * The decisions behind npm run build:exe (src/ship/sea): target names, the SEA config, which strip
 * program, Authenticode inputs from the environment and osslsigncode's arguments, SHA256SUMS text — and,
 * where osslsigncode and openssl exist, those arguments signing a real PE with a throw-away certificate.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seaConfig, V8_FLAGS } from '../../src/ship/sea/sea-config.js';
import { sha256sumsText } from '../../src/ship/sea/sha256sums.js';
import { stripCommand } from '../../src/ship/sea/strip-tool.js';
import { hostTarget, parseTargets, SHIP_TARGETS } from '../../src/ship/sea/targets.js';
import { osslsigncodeSignArgs, winSigningEnv } from '../../src/ship/sea/win-sign.js';
import { DIST, REQUIRED } from './sea-exe.js';

describe('targets', () => {
  it('five outputs named ccfleet-<os>-<arch>[.exe], built from the npm Node packages', () => {
    expect(SHIP_TARGETS.map((t) => [t.file, t.node, t.format])).toEqual([
      ['ccfleet-linux-x64', 'linux-x64', 'elf'],
      ['ccfleet-linux-arm64', 'linux-arm64', 'elf'],
      ['ccfleet-darwin-x64', 'darwin-x64', 'macho'],
      ['ccfleet-darwin-arm64', 'darwin-arm64', 'macho'],
      ['ccfleet-windows-x64.exe', 'win-x64', 'pe'],
    ]);
  });

  it('--targets: all by default, a subset in build order, Node and file names accepted, unknown refused', () => {
    expect(parseTargets(undefined)).toHaveLength(5);
    expect(parseTargets(' ')).toHaveLength(5);
    expect(parseTargets('windows-x64,linux-x64').map((t) => t.name)).toEqual(['linux-x64', 'windows-x64']);
    expect(parseTargets('win-x64,ccfleet-darwin-arm64,win-x64').map((t) => t.name)).toEqual(['darwin-arm64', 'windows-x64']);
    expect(() => parseTargets('linux-x64,freebsd-x64')).toThrow(/unknown target "freebsd-x64"/);
  });

  it('host target from process.platform/arch', () => {
    expect(hostTarget('linux', 'x64')?.name).toBe('linux-x64');
    expect(hostTarget('win32', 'x64')?.name).toBe('windows-x64');
    expect(hostTarget('darwin', 'arm64')?.name).toBe('darwin-arm64');
    expect(hostTarget('linux', 'ia32')).toBeUndefined();
  });
});

describe('SEA config', () => {
  it('code cache and snapshot off (one blob for all five), the warning off, V8 flags as execArgv', () => {
    expect(seaConfig('dist/ccfleet.cjs', 'x.blob')).toEqual({
      main: 'dist/ccfleet.cjs',
      output: 'x.blob',
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: false,
      execArgv: [...V8_FLAGS],
    });
    expect(seaConfig('m', 'o', [])).not.toHaveProperty('execArgv');
  });
});

describe('strip program', () => {
  const only = (...cmds: string[]) => (c: string) => cmds.includes(c);
  it('the arch-prefixed GNU strip first, then llvm-strip, then plain strip on the same arch; null when none', () => {
    expect(stripCommand('arm64', 'x64', only('aarch64-linux-gnu-strip', 'llvm-strip', 'strip'))?.command).toBe('aarch64-linux-gnu-strip');
    expect(stripCommand('arm64', 'x64', only('llvm-strip-14', 'strip'))?.command).toBe('llvm-strip-14');
    expect(stripCommand('arm64', 'x64', only('strip'))).toBeNull(); // x86-64 strip cannot strip aarch64
    expect(stripCommand('x64', 'x64', only('strip'))?.command).toBe('strip');
    expect(stripCommand('x64', 'arm64', only('x86_64-linux-gnu-strip', 'strip'))?.command).toBe('x86_64-linux-gnu-strip');
  });
});

describe('Authenticode inputs', () => {
  it('none given: no signing; a pair or a pfx; half a pair or both kinds refused', () => {
    expect(winSigningEnv({})).toBeNull();
    expect(winSigningEnv({ CCFLEET_WIN_CERT: '', CCFLEET_WIN_KEY: '' })).toBeNull();
    expect(winSigningEnv({ CCFLEET_WIN_CERT: 'c.pem', CCFLEET_WIN_KEY: 'k.pem', CCFLEET_WIN_KEY_PASS: 'pw' })).toMatchObject({ cert: 'c.pem', key: 'k.pem', pass: 'pw' });
    expect(winSigningEnv({ CCFLEET_WIN_PFX: 'a.pfx' })).toMatchObject({ pfx: 'a.pfx' });
    expect(() => winSigningEnv({ CCFLEET_WIN_CERT: 'c.pem' })).toThrow(/both CCFLEET_WIN_CERT and CCFLEET_WIN_KEY/);
    expect(() => winSigningEnv({ CCFLEET_WIN_PFX: 'a.pfx', CCFLEET_WIN_KEY: 'k.pem' })).toThrow(/exclusive/);
  });

  it('osslsigncode arguments: SHA-256, the password only as a file, a timestamp server only when given', () => {
    expect(osslsigncodeSignArgs({ kind: 'pem', cert: 'c.pem', key: 'k.pem' }, 'in.exe', 'out.exe')).toEqual(['sign', '-certs', 'c.pem', '-key', 'k.pem', '-h', 'sha256', '-n', 'ccfleet', '-in', 'in.exe', '-out', 'out.exe']);
    expect(osslsigncodeSignArgs({ kind: 'pfx', pfx: 'a.pfx', passFile: '/tmp/p', timestampUrl: 'http://ts' }, 'i', 'o')).toEqual(['sign', '-pkcs12', 'a.pfx', '-readpass', '/tmp/p', '-h', 'sha256', '-n', 'ccfleet', '-ts', 'http://ts', '-in', 'i', '-out', 'o']);
  });
});

it('SHA256SUMS: sha256sum -c format, sorted by name', () => {
  expect(sha256sumsText([{ name: 'b', sha256: '22' }, { name: 'a', sha256: '11' }])).toBe('11  a\n22  b\n');
});

const has = (cmd: string): boolean => spawnSync('sh', ['-c', 'command -v "$1" >/dev/null 2>&1', 'sh', cmd]).status === 0;
const exe = path.join(DIST, 'ccfleet-windows-x64.exe');
const signable = !fs.existsSync(exe) ? `${exe} is missing (npm run build:exe)` : !has('osslsigncode') ? 'osslsigncode is not installed' : !has('openssl') ? 'openssl is not installed' : null;
if (signable !== null) process.stderr.write(`sea-build Authenticode check: ${signable} — ${REQUIRED ? 'FAILING (CCFLEET_SHIP=require)' : 'skipped'}\n`);

describe.runIf(signable === null || REQUIRED)('Authenticode on the built Windows executable', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-winsign-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', cwd: dir });

  it('ships without Node\'s stale signature, and our arguments sign it so that osslsigncode verifies it', () => {
    if (signable !== null) expect.fail(signable);
    const before = run('osslsigncode', ['verify', '-in', exe]);
    expect(before.status).not.toBe(0);
    expect(before.stdout + before.stderr).toMatch(/No signature found/i);

    const key = run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=ccfleet test signing', '-addext', 'extendedKeyUsage=codeSigning']);
    expect(key.status, key.stderr).toBe(0);
    const signed = path.join(dir, 'signed.exe');
    const sign = run('osslsigncode', osslsigncodeSignArgs({ kind: 'pem', cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') }, exe, signed));
    expect(sign.status, sign.stdout + sign.stderr).toBe(0);
    const verify = run('osslsigncode', ['verify', '-in', signed, '-CAfile', path.join(dir, 'cert.pem')]);
    expect(verify.stdout + verify.stderr).toMatch(/Signature verification: ok/);
    expect(verify.stdout).toMatch(/Calculated message digest\s*:\s*([0-9A-F]+)/i);
  });
});
