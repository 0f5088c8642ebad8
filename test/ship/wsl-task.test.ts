/**
 * The per-user WSL scheduled task's definition (src/ship/windows/wsl-task.ts): well-formed, the principal,
 * triggers and settings docs/wsl.md describes, the exact command line, the bytes schtasks /XML gets, and the
 * names custom-actions.js hard-codes. Registration itself is exercised under wine in windows-msi.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { USERS_SID, WSL_TASK_CONFIG, WSL_TASK_NAME, WSL_TASK_XML, utf16le, wslTaskAction, wslTaskXml } from '../../src/ship/windows/wsl-task.js';

const SCRIPT = path.resolve(__dirname, '..', '..', 'installers', 'windows', 'custom-actions.js');

/** A small XML well-formedness check: one root, every tag closed in order, attributes quoted, entities known. */
function elements(xml: string): { path: string; text: string }[] {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '').replace(/<!--[\s\S]*?-->/g, '');
  const stack: string[] = [];
  const out: { path: string; text: string }[] = [];
  let roots = 0;
  const re = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:.-]+="[^"<&]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    if (m[6]) throw new Error(`stray < at ${m.index}`);
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) throw new Error(`bad entity in ${JSON.stringify(m[5])}`);
      if (stack.length === 0 && m[5].trim() !== '') throw new Error('text outside the root');
      if (m[5].trim() !== '') out.push({ path: stack.join('/'), text: m[5].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') });
      continue;
    }
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes ${stack.join('/')}`);
    } else {
      if (stack.length === 0) roots++;
      if (!selfClose) stack.push(name!);
    }
  }
  if (stack.length !== 0 || roots !== 1) throw new Error(`unbalanced: open ${stack.join('/')}, ${roots} roots`);
  return out;
}

const value = (xml: string, p: string): string | undefined => elements(xml).find((e) => e.path === p)?.text;

describe('the WSL task definition', () => {
  const xml = wslTaskXml();

  it('is one well-formed Task document, UTF-16 declared, CRLF lines', () => {
    expect(() => elements(xml)).not.toThrow();
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-16"?>\r\n')).toBe(true);
    expect(xml).toMatch(/<Task version="1\.4" xmlns="http:\/\/schemas\.microsoft\.com\/windows\/2004\/02\/mit\/task">/);
    expect(xml.replace(/\r\n/g, '')).not.toMatch(/\n/);
    expect(value(xml, 'Task/RegistrationInfo/URI')).toBe('\\ccfleet\\ccfleet-wsl');
  });

  it('the checker itself rejects broken documents', () => {
    expect(() => elements('<a><b></a></b>')).toThrow();
    expect(() => elements('<a x=1></a>')).toThrow(/stray/);
    expect(() => elements('<a>fish & chips</a>')).toThrow(/entity/);
    expect(() => elements('<a></a><b></b>')).toThrow(/roots/);
  });

  it('runs as each logged-on member of BUILTIN\\Users, least privilege', () => {
    expect(value(xml, 'Task/Principals/Principal/GroupId')).toBe(USERS_SID);
    expect(USERS_SID).toBe('S-1-5-32-545');
    expect(value(xml, 'Task/Principals/Principal/RunLevel')).toBe('LeastPrivilege');
    expect(xml).toContain('<Principal id="Users">');
    expect(xml).toContain('<Actions Context="Users">');
    expect(xml).not.toMatch(/<UserId>|<LogonType>|HighestAvailable/);
  });

  it('starts a minute after logon and every 15 minutes, indefinitely', () => {
    expect(value(xml, 'Task/Triggers/LogonTrigger/Delay')).toBe('PT1M');
    expect(value(xml, 'Task/Triggers/LogonTrigger/UserId')).toBeUndefined(); // any user
    expect(value(xml, 'Task/Triggers/TimeTrigger/Repetition/Interval')).toBe('PT15M');
    expect(value(xml, 'Task/Triggers/TimeTrigger/Repetition/Duration')).toBeUndefined();
    expect(value(xml, 'Task/Triggers/TimeTrigger/StartBoundary')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('one run at a time, bounded, hidden, also on battery', () => {
    expect(value(xml, 'Task/Settings/MultipleInstancesPolicy')).toBe('IgnoreNew');
    expect(value(xml, 'Task/Settings/ExecutionTimeLimit')).toBe('PT30M');
    expect(value(xml, 'Task/Settings/Hidden')).toBe('true');
    expect(value(xml, 'Task/Settings/DisallowStartIfOnBatteries')).toBe('false');
    expect(value(xml, 'Task/Settings/StopIfGoingOnBatteries')).toBe('false');
    expect(value(xml, 'Task/Settings/Enabled')).toBe('true');
  });

  it('the exact command line: conhost --headless, quoted paths, the users-readable config, a per-user state folder, no --report', () => {
    expect(value(xml, 'Task/Actions/Exec/Command')).toBe('%SystemRoot%\\System32\\conhost.exe');
    expect(value(xml, 'Task/Actions/Exec/Arguments')).toBe(
      '--headless "%ProgramFiles%\\ccfleet\\ccfleet.exe" wsl repair --config "%ProgramFiles%\\ccfleet\\wsl-task.json" --state-dir "%LOCALAPPDATA%\\ccfleet\\wsl-state"',
    );
    expect(wslTaskAction({ installDir: 'D:\\Apps\\cc fleet', stateDir: 'C:\\s' }).arguments).toBe(
      '--headless "D:\\Apps\\cc fleet\\ccfleet.exe" wsl repair --config "D:\\Apps\\cc fleet\\wsl-task.json" --state-dir "C:\\s"',
    );
  });

  it('refuses folders that would break the quoting, and durations that are not ISO 8601', () => {
    expect(() => wslTaskAction({ installDir: 'C:\\a"b' })).toThrow(/command line/);
    expect(() => wslTaskAction({ stateDir: 'C:\\dir\\' })).toThrow(/command line/);
    expect(() => wslTaskXml({ every: '15m' })).toThrow(/ISO 8601/);
    expect(value(wslTaskXml({ every: 'PT5M', timeLimit: 'PT1H' }), 'Task/Settings/ExecutionTimeLimit')).toBe('PT1H');
  });

  it('escapes XML metacharacters in paths', () => {
    const x = wslTaskXml({ installDir: 'C:\\R&D <tools>' });
    expect(() => elements(x)).not.toThrow();
    expect(value(x, 'Task/Actions/Exec/Arguments')).toContain('"C:\\R&D <tools>\\ccfleet.exe"');
  });

  it('as bytes: UTF-16LE with a byte order mark, as Task Scheduler exports', () => {
    const b = utf16le(xml);
    expect([...b.subarray(0, 4)]).toEqual([0xff, 0xfe, 0x3c, 0x00]);
    expect(b.subarray(2).toString('utf16le')).toBe(xml);
  });

  it('custom-actions.js uses the same task name and file names', () => {
    const js = fs.readFileSync(SCRIPT, 'utf8');
    const literal = (s: string) => JSON.stringify(s);
    expect(js).toContain(`WSL_TASK_NAME = ${literal(WSL_TASK_NAME)}`);
    expect(js).toContain(`WSL_TASK_XML = ${literal(WSL_TASK_XML)}`);
    expect(js).toContain(`WSL_TASK_CONFIG = ${literal(WSL_TASK_CONFIG)}`);
    // The users-readable file never gets the secret.
    const prepare = js.slice(js.indexOf('function PrepareWslTask()'), js.indexOf('function wslTaskData()'));
    expect(prepare).not.toMatch(/ENROLL_SECRET|enrollSecret|SERVER_URL/);
  });
});
