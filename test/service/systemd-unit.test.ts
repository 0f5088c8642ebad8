import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemdConfigPath, systemdConfigService, systemdUnitFiles } from '../../src/service/systemd-config-watch.js';
import { assertUnitPath, systemdUnit } from '../../src/service/systemd-unit.js';

const REQUIRED = process.env.CCFLEET_SHIP === 'require';
const unit = systemdUnit();
/** Directive lines of one section, as [key, value]. */
function directives(text: string, section: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const h = /^\[(.+)\]$/.exec(line);
    if (h) current = h[1]!;
    else if (current === section && /^[A-Za-z]+=/.test(line)) out.push([line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  }
  return out;
}
const values = (key: string) => directives(unit, 'Service').filter(([k]) => k === key).map(([, v]) => v);

describe('ccfleet.service', () => {
  it('runs the installed binary as a restarted daemon, logging to the journal', () => {
    expect(values('ExecStart')).toEqual(['/usr/lib/ccfleet/ccfleet daemon']);
    expect(values('Type')).toEqual(['simple']);
    expect(values('Restart')).toEqual(['always']);
    expect(values('RestartSec')).toEqual(['5']);
    expect(values('RestartPreventExitStatus')).toEqual(['2']);
    expect(values('StandardError')).toEqual(['journal']);
    expect(values('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(directives(unit, 'Install')).toContainEqual(['WantedBy', 'multi-user.target']);
  });

  it('has the resource limits and the hardening, and no MemoryDenyWriteExecute', () => {
    for (const [k, v] of [
      ['CPUQuota', '50%'], ['MemoryMax', '768M'], ['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['PrivateTmp', 'yes'],
      ['ProtectKernelTunables', 'yes'], ['ProtectKernelModules', 'yes'], ['ProtectKernelLogs', 'yes'], ['ProtectControlGroups', 'yes'],
      ['RestrictSUIDSGID', 'yes'], ['LockPersonality', 'yes'], ['SystemCallArchitectures', 'native'], ['ProtectHome', 'no'],
      ['StateDirectory', 'ccfleet'], ['LogsDirectory', 'ccfleet'], ['StateDirectoryMode', '0700'], ['LogsDirectoryMode', '0700'],
    ]) expect(values(k!), k).toEqual([v]);
    expect(directives(unit, 'Service').map(([k]) => k)).not.toContain('MemoryDenyWriteExecute');
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute/m);
  });

  it('keeps exactly the capabilities the as-user write child and the root writer need', () => {
    const caps = values('CapabilityBoundingSet')[0]!.split(' ').sort();
    expect(caps).toEqual(['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID']);
  });

  it('leaves writable only the managed folder and the homes (missing ones skipped), plus extra paths when asked', () => {
    expect(values('ReadWritePaths')).toEqual(['-/etc/claude-code', '-/home -/root -/var/home']);
    const custom = systemdUnit({ homes: ['/srv/home'], extraWritablePaths: ['/data/projects'], cpuQuota: '25%', memoryMax: '1G' });
    const rw = directives(custom, 'Service').filter(([k]) => k === 'ReadWritePaths').map(([, v]) => v);
    expect(rw).toEqual(['-/etc/claude-code', '-/srv/home', '/data/projects']);
    expect(custom).toMatch(/^CPUQuota=25%$/m);
    expect(custom).toMatch(/^MemoryMax=1G$/m);
  });

  it('comments every [Service] directive block', () => {
    // Each run of directive lines starts right after a comment line.
    const lines = unit.split('\n');
    const start = lines.indexOf('[Service]');
    const end = lines.indexOf('[Install]');
    const uncommented: string[] = [];
    for (let i = start + 1; i < end; i++) {
      if (!/^[A-Za-z]+=/.test(lines[i]!)) continue;
      let j = i - 1;
      while (/^[A-Za-z]+=/.test(lines[j]!)) j--;
      if (!lines[j]!.startsWith('#') && !(lines[j] === '[Service]' && /^(Type|ExecStart)=/.test(lines[i]!))) uncommented.push(lines[i]!);
    }
    expect(uncommented).toEqual([]);
  });

  it('refuses values that could inject a directive or split a list', () => {
    expect(() => systemdUnit({ binary: '/usr/bin/x\nExecStartPre=/bin/sh' })).toThrow(/not an absolute path/);
    expect(() => systemdUnit({ homes: ['/home/a b'] })).toThrow(/not an absolute path/);
    expect(() => systemdUnit({ extraWritablePaths: ['relative'] })).toThrow(/not an absolute path/);
    expect(() => systemdUnit({ memoryMax: '1G\nUser=nobody' })).toThrow(/not a systemd size/);
    expect(() => systemdUnit({ restartSec: 0 })).toThrow(/restartSec/);
    expect(() => assertUnitPath('/a/%n', 'x')).toThrow();
    expect(assertUnitPath('/usr/lib/ccfleet/ccfleet', 'x')).toBe('/usr/lib/ccfleet/ccfleet');
  });
});

describe('ccfleet-config.path / .service', () => {
  it('watch the agent config and reload or start the daemon', () => {
    expect(systemdConfigPath()).toMatch(/^PathChanged=\/etc\/ccfleet\/agent\.json$/m);
    expect(systemdConfigPath()).toMatch(/^Unit=ccfleet-config\.service$/m);
    expect(systemdConfigPath()).toMatch(/^PartOf=ccfleet\.service$/m);
    expect(systemdConfigService()).toMatch(/^ExecStart=\/bin\/systemctl reload-or-restart ccfleet\.service$/m);
    expect(Object.keys(systemdUnitFiles(unit)).sort()).toEqual(['ccfleet-config.path', 'ccfleet-config.service', 'ccfleet.service']);
    expect(unit).toMatch(/^Also=ccfleet-config\.path$/m);
  });
});

// systemd's own parser: unknown keys, bad values and missing executables are reported on stderr.
const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
if (!analyze) process.stderr.write(`systemd unit test: systemd-analyze not found — ${REQUIRED ? 'FAILING (CCFLEET_SHIP=require)' : 'verify skipped (apt-get install systemd)'}\n`);
describe('systemd-analyze', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-unit-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('verifies the three units without a warning', (ctx) => {
    if (!analyze) {
      if (REQUIRED) throw new Error('CCFLEET_SHIP=require but systemd-analyze is missing: apt-get install systemd');
      return ctx.skip();
    }
    const bin = path.join(dir, 'ccfleet');
    fs.writeFileSync(bin, '#!/bin/sh\n', { mode: 0o755 });
    const files = systemdUnitFiles(systemdUnit({ binary: bin }), path.join(dir, 'agent.json'));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    const r = spawnSync('systemd-analyze', ['verify', ...Object.keys(files).map((n) => path.join(dir, n))], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // systemd's own exposure score (0 best, 10 worst; a bare root service is 9.6): a guard against losing hardening.
    const sec = spawnSync('systemd-analyze', ['security', '--offline=true', path.join(dir, 'ccfleet.service')], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for ccfleet\.service: ([0-9.]+)/.exec(sec.stdout + sec.stderr)?.[1]);
    expect(score).toBeLessThanOrEqual(3.0);
    // A unit with a typo is caught the same way (the check above can fail).
    fs.writeFileSync(path.join(dir, 'ccfleet.service'), files['ccfleet.service']!.replace('UMask=', 'UMsk='));
    const bad = spawnSync('systemd-analyze', ['verify', path.join(dir, 'ccfleet.service')], { encoding: 'utf8' });
    expect(bad.stderr).toMatch(/Unknown key name 'UMsk'|Unknown key 'UMsk'/);
  });
});
