/** wsl.exe's output as text, distribution names, the derived device identity and the in-distro script. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeWslOutput, parseDistroList } from '../../src/agent/wsl/wsl-text.js';
import { distroDeviceId, distroHostname, distroSlug } from '../../src/agent/wsl/identity.js';
import { distroScript } from '../../src/agent/wsl/distro-script.js';
import { defaultLinuxExe, wslSettings } from '../../src/agent/wsl/config.js';
import { wslConfigSchema } from '../../src/agent/wsl/config.js';

const u16 = (s: string) => Buffer.from(s, 'utf16le');

describe('decodeWslOutput + parseDistroList', () => {
  it.each([
    ['UTF-16LE with BOM and CRLF', Buffer.concat([Buffer.from([0xff, 0xfe]), u16('Ubuntu\r\nDebian\r\n')])],
    ['UTF-16LE without BOM', u16('Ubuntu\r\nDebian\r\n')],
    ['UTF-16LE with stray NULs before CRLF', u16('Ubuntu\u0000\r\nDebian\u0000\r\n')],
    ['UTF-8 (WSL_UTF8=1) with LF', Buffer.from('Ubuntu\nDebian\n')],
    ['UTF-8 with BOM and CR only', Buffer.from('\ufeffUbuntu\rDebian\r')],
    ['an odd trailing byte', Buffer.concat([u16('Ubuntu\r\nDebian\r\n'), Buffer.from([0x00])])],
  ])('%s', (_what, buf) => {
    expect(parseDistroList(decodeWslOutput(buf))).toEqual(['Ubuntu', 'Debian']);
  });

  it('takes a name out of the default marker and skips headers, messages, blanks and duplicates', () => {
    const text = 'Windows Subsystem for Linux Distributions:\r\nUbuntu-22.04 (Default)\r\n\r\n* Debian (Standard)\r\n  kali-linux  \r\nubuntu-22.04 (Default)\r\nUbuntu-22.04\r\n';
    expect(parseDistroList(decodeWslOutput(u16(text)))).toEqual(['Ubuntu-22.04', 'Debian', 'kali-linux', 'ubuntu-22.04']);
    expect(parseDistroList('Windows Subsystem for Linux has no installed distributions.\r\n')).toEqual([]);
    expect(parseDistroList('bad\u0007name\r\nok\r\n')).toEqual(['ok']);
  });
});

describe('distribution identity', () => {
  const host = '0f8c2a9e-5d1b-4c3a-9e7f-1a2b3c4d5e6f';
  const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
  it('derives a readable, stable, case-insensitive id from the host id and the name', () => {
    expect(distroDeviceId(host, 'Ubuntu-22.04')).toBe(`${host}:wsl:ubuntu-22.04`);
    expect(distroDeviceId(host, 'ubuntu-22.04')).toBe(distroDeviceId(host, 'Ubuntu-22.04'));
    expect(distroDeviceId(host, 'Debian')).not.toBe(distroDeviceId(host, 'Ubuntu-22.04'));
    expect(distroDeviceId('other-host', 'Debian')).not.toBe(distroDeviceId(host, 'Debian'));
    expect(distroHostname('LAPTOP-7', 'Debian')).toBe('LAPTOP-7/Debian');
  });
  it('keeps odd names distinct and always within the server pattern', () => {
    const a = distroSlug('my distro');
    const b = distroSlug('my_distro');
    expect(a).toMatch(/^my-distro-[0-9a-f]{8}$/);
    expect(b).toBe('my_distro');
    for (const name of ['my distro', 'Ümlaut', 'x'.repeat(300), '..', 'a/b']) {
      expect(distroDeviceId(host, name)).toMatch(ID);
      expect(distroDeviceId('h'.repeat(120), name)).toMatch(ID);
    }
  });
});

describe('the in-distribution script', () => {
  it('carries the policy bytes exactly, even one that contains here-doc look-alikes and no final newline', () => {
    const policy = Buffer.from('{ "id": "p", "x": "$HOME `id` \\\\ \'q\'" }\nEOF\nCCFLEET_POLICY_\n{"tail": true}');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wsl-script-'));
    try {
      // A fake wslpath and "executable" that copies the policy file it is given to the output.
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, 'wslpath'), `#!/bin/sh\necho '${dir}/exe'\n`, { mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'exe'), '#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = --policy ] && cat "$2"; [ "$1" = --config ] && cat "$2" >&2; shift; done\nexit 1\n', { mode: 0o755 });
      const r = spawnSync('sh', ['-s', 'C:\\Program Files\\x', '30', 'repair', '--json'], { input: distroScript(policy), env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TMPDIR: dir } });
      expect(r.status).toBe(1);
      expect(r.stdout.toString()).toBe(`${policy.toString()}\n`);
      expect(r.stderr.toString()).toMatch(/ccfleet-wsl: kernel \S+/);
      expect(r.stderr.toString()).toContain('{}');
      // the private temp folder is gone afterwards
      expect(fs.readdirSync(dir).filter((n) => n.startsWith('ccfleet-wsl.'))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 97 when the executable is not there and 96 when wslpath cannot convert', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wsl-script-'));
    try {
      fs.writeFileSync(path.join(dir, 'wslpath'), `#!/bin/sh\necho '${dir}/nothing here'\n`, { mode: 0o755 });
      const run = (env: NodeJS.ProcessEnv) => spawnSync('/bin/sh', ['-s', 'C:\\x', '30', 'check'], { input: distroScript(Buffer.from('{}')), env });
      expect(run({ ...process.env, PATH: `${dir}:${process.env.PATH}` }).status).toBe(97);
      expect(run({ PATH: '/nonexistent' }).status).toBe(96);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('wsl settings', () => {
  it('defaults: running distributions, 15 min, probe 1 min, 120 s, repair, the executable beside ccfleet.exe', () => {
    expect(wslSettings(undefined, 'C:\\Program Files\\ccfleet\\ccfleet.exe', 'x64')).toEqual({
      enabled: true, selection: 'running', exclude: [], everyMs: 900_000, probeMs: 60_000, timeoutMs: 120_000, mode: 'repair',
      linuxExe: 'C:\\Program Files\\ccfleet\\ccfleet-linux-x64',
    });
    expect(defaultLinuxExe('D:\\ccfleet\\ccfleet.exe', 'arm64')).toBe('D:\\ccfleet\\ccfleet-linux-arm64');
    expect(wslSettings({ everyMinutes: 5, probeMinutes: 30 }, 'C:\\c.exe', 'x64').probeMs).toBe(300_000);
  });
  it('refuses unknown keys and bad values', () => {
    expect(wslConfigSchema.safeParse({ distributions: 'stopped' }).success).toBe(false);
    expect(wslConfigSchema.safeParse({ everyMinute: 5 }).success).toBe(false);
    expect(wslConfigSchema.safeParse({ timeoutSeconds: 1 }).success).toBe(false);
    expect(wslConfigSchema.safeParse({ distributions: 'all', exclude: ['Ubuntu'], mode: 'check' }).success).toBe(true);
  });
});
