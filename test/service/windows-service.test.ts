import { describe, expect, it } from 'vitest';
import {
  nssmInstallCommands, nssmStartCommand, nssmUninstallCommands, windowsArg, windowsCommandLine, windowsServiceSpec,
} from '../../src/service/windows-service.js';

const NSSM = 'C:\\Program Files\\ccfleet\\nssm.exe';

describe('windowsServiceSpec', () => {
  it('runs ccfleet.exe daemon under nssm.exe, in the data folder, as LocalSystem, started automatically', () => {
    const s = windowsServiceSpec();
    expect(s).toMatchObject({
      name: 'ccfleet',
      displayName: 'ccfleet agent',
      binary: NSSM,
      application: 'C:\\Program Files\\ccfleet\\ccfleet.exe',
      appParameters: 'daemon',
      appDirectory: 'C:\\ProgramData\\ccfleet',
      logFile: 'C:\\ProgramData\\ccfleet\\logs\\service.log',
      start: 'auto',
      account: 'LocalSystem',
      type: 'ownProcess',
    });
    const byName = Object.fromEntries(s.parameters.map((p) => [`${p.key}\\${p.valueName}`, [p.type, p.value]]));
    expect(byName).toEqual({
      'Parameters\\Application': ['REG_EXPAND_SZ', 'C:\\Program Files\\ccfleet\\ccfleet.exe'],
      'Parameters\\AppParameters': ['REG_EXPAND_SZ', 'daemon'],
      'Parameters\\AppDirectory': ['REG_EXPAND_SZ', 'C:\\ProgramData\\ccfleet'],
      'Parameters\\AppExit\\': ['REG_EXPAND_SZ', 'Restart'],
      'Parameters\\AppRestartDelay': ['REG_DWORD', 5000],
      'Parameters\\AppThrottle': ['REG_DWORD', 5000],
      'Parameters\\AppStopMethodSkip': ['REG_DWORD', 6],
      'Parameters\\AppStopMethodConsole': ['REG_DWORD', 15000],
      'Parameters\\AppStdout': ['REG_EXPAND_SZ', 'C:\\ProgramData\\ccfleet\\logs\\service.log'],
      'Parameters\\AppStderr': ['REG_EXPAND_SZ', 'C:\\ProgramData\\ccfleet\\logs\\service.log'],
      'Parameters\\AppRotateFiles': ['REG_DWORD', 1],
      'Parameters\\AppRotateOnline': ['REG_DWORD', 1],
      'Parameters\\AppRotateBytes': ['REG_DWORD', 10 * 1024 * 1024],
    });
  });

  it('takes other folders, arguments and timings; rotation off at 0 bytes', () => {
    const s = windowsServiceSpec({ installDir: 'D:\\Apps\\cc', dataDir: 'D:\\Data\\cc', args: ['daemon', '--log-level', 'debug'], rotateBytes: 0, restartDelayMs: 0 });
    expect(s.binary).toBe('D:\\Apps\\cc\\nssm.exe');
    expect(s.appParameters).toBe('daemon --log-level debug');
    const v = (name: string) => s.parameters.find((p) => p.parameter === name)!.value;
    expect([v('AppRotateFiles'), v('AppRotateOnline'), v('AppRotateBytes'), v('AppRestartDelay')]).toEqual([0, 0, 0, 0]);
  });

  it('refuses values that could not be written safely', () => {
    expect(() => windowsServiceSpec({ name: 'cc fleet' })).toThrow(/service name/);
    expect(() => windowsServiceSpec({ installDir: 'C:\\x\\' })).toThrow(/backslash/);
    expect(() => windowsServiceSpec({ dataDir: 'C:\\"x' })).toThrow(/quote/);
    expect(() => windowsServiceSpec({ description: 'a\nb' })).toThrow(/control/);
    expect(() => windowsServiceSpec({ args: ['daemon', ''] })).toThrow(/argument/);
    expect(() => windowsServiceSpec({ throttleMs: -1 })).toThrow(/DWORD/);
    expect(() => windowsServiceSpec({ rotateBytes: 2 ** 32 })).toThrow(/DWORD/);
  });
});

describe('nssm command lines', () => {
  it('install: nssm install with the application and arguments, then one set per setting', () => {
    const cmds = nssmInstallCommands();
    expect(cmds.map((c) => windowsCommandLine(c.slice(1)))).toEqual([
      'install ccfleet "C:\\Program Files\\ccfleet\\ccfleet.exe" daemon',
      'set ccfleet DisplayName "ccfleet agent"',
      `set ccfleet Description ${windowsArg(windowsServiceSpec().description)}`,
      'set ccfleet Type SERVICE_WIN32_OWN_PROCESS',
      'set ccfleet Start SERVICE_AUTO_START',
      'set ccfleet ObjectName LocalSystem',
      'set ccfleet AppParameters daemon',
      'set ccfleet AppDirectory C:\\ProgramData\\ccfleet',
      'set ccfleet AppExit Default Restart',
      'set ccfleet AppRestartDelay 5000',
      'set ccfleet AppThrottle 5000',
      'set ccfleet AppStopMethodSkip 6',
      'set ccfleet AppStopMethodConsole 15000',
      'set ccfleet AppStdout C:\\ProgramData\\ccfleet\\logs\\service.log',
      'set ccfleet AppStderr C:\\ProgramData\\ccfleet\\logs\\service.log',
      'set ccfleet AppRotateFiles 1',
      'set ccfleet AppRotateOnline 1',
      'set ccfleet AppRotateBytes 10485760',
    ]);
    expect(cmds.every((c) => c[0] === NSSM)).toBe(true);
  });

  it('every registry parameter except Application (given to install) has a set command', () => {
    const sets = new Set(nssmInstallCommands().slice(1).map((c) => c[3]));
    for (const p of windowsServiceSpec().parameters) if (p.parameter !== 'Application') expect(sets.has(p.parameter)).toBe(true);
  });

  it('start, and uninstall as the inverse: stop then remove (confirm)', () => {
    expect(nssmStartCommand()).toEqual([NSSM, 'start', 'ccfleet']);
    expect(nssmUninstallCommands()).toEqual([
      [NSSM, 'stop', 'ccfleet'],
      [NSSM, 'remove', 'ccfleet', 'confirm'],
    ]);
    expect(nssmUninstallCommands({ name: 'other', installDir: 'D:\\x' })).toEqual([
      ['D:\\x\\nssm.exe', 'stop', 'other'],
      ['D:\\x\\nssm.exe', 'remove', 'other', 'confirm'],
    ]);
  });
});

describe('windowsArg (CommandLineToArgvW quoting)', () => {
  it.each([
    ['plain', 'plain'],
    ['', '""'],
    ['a b', '"a b"'],
    ['C:\\Program Files\\x\\', '"C:\\Program Files\\x\\\\"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['a\\"b', '"a\\\\\\"b"'],
    ['no\\space\\', 'no\\space\\'],
  ])('%j → %s', (arg, quoted) => {
    expect(windowsArg(arg)).toBe(quoted);
  });

  it('round-trips through the CommandLineToArgvW rules', () => {
    const args = ['C:\\Program Files\\ccfleet\\ccfleet.exe', 'a "q" b', 'trail\\', 'x\\\\"y', '', 'tab\there'];
    expect(parseArgv(windowsCommandLine(args))).toEqual(args);
  });
});

/** CommandLineToArgvW's rules for arguments after the program name (2n backslashes + quote → n + toggle). */
function parseArgv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (c === '\\') {
        let n = 0;
        while (line[i] === '\\') {
          n++;
          i++;
        }
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) arg += '"';
          else quoted = !quoted;
        } else {
          arg += '\\'.repeat(n);
          i--;
        }
      } else if (c === '"') quoted = !quoted;
      else if ((c === ' ' || c === '\t') && !quoted) break;
      else arg += c;
    }
    out.push(arg);
  }
  return out;
}
