// `reg.exe query HKLM\SOFTWARE\Policies\ccfleet /s` output (src/agent/config-sources/reg-query.ts), as
// Windows prints it: CRLF, a header per key, four-space columns, REG_MULTI_SZ items joined by a literal \0.
import { describe, expect, it } from 'vitest';
import { parseRegQuery, RegQueryError } from '../../../src/agent/config-sources/reg-query.js';

const BASE = 'HKLM\\SOFTWARE\\Policies\\ccfleet';
const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

const OUTPUT = crlf([
  '',
  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet',
  '    (Default)    REG_SZ    ',
  '    server    REG_SZ    https://fleet.example.com',
  '    enrollSecret    REG_EXPAND_SZ    %NOT_EXPANDED% with    four spaces',
  '    heartbeatMinutes    REG_DWORD    0x3c',
  '    big    REG_QWORD    0x10000000000',
  '    policyPublicKeys    REG_MULTI_SZ    keyA\\0keyB',
  '    emptyList    REG_MULTI_SZ    ',
  '    emptyString    REG_SZ',
  '',
  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet\\policyRefresh',
  '    cron    REG_SZ    */5 * * * *',
  '    jitterSeconds    REG_DWORD    0x1e',
  '',
  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet\\Deep\\Er',
  '    x    REG_DWORD    0xffffffff',
  '',
  'End of search: 11 match(es) found.',
]);

const codeOf = (text: string): string => {
  try {
    parseRegQuery(text, BASE);
  } catch (e) {
    return e instanceof RegQueryError ? `${e.code} ${e.field}` : `not a RegQueryError: ${String(e)}`;
  }
  return 'no error';
};

describe('reg query output', () => {
  it('values by type, subkeys as nested objects, the default value and the summary line skipped', () => {
    expect(parseRegQuery(OUTPUT, BASE)).toEqual({
      server: 'https://fleet.example.com',
      enrollSecret: '%NOT_EXPANDED% with    four spaces',
      heartbeatMinutes: 60,
      big: 2 ** 40,
      policyPublicKeys: ['keyA', 'keyB'],
      emptyList: [],
      emptyString: '',
      policyRefresh: { cron: '*/5 * * * *', jitterSeconds: 30 },
      Deep: { Er: { x: 4294967295 } },
    });
  });

  it('LF line endings and the hive in any case; a key with no values at all', () => {
    const text = ['hkey_local_machine\\software\\policies\\CCFLEET', '    server    REG_SZ    https://a.example'].join('\n');
    expect(parseRegQuery(text, BASE)).toEqual({ server: 'https://a.example' });
    expect(parseRegQuery('\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet\r\n', BASE)).toEqual({});
    expect(parseRegQuery('', BASE)).toEqual({});
  });

  it('a trailing \\0 of REG_MULTI_SZ does not add an empty item', () => {
    const text = crlf(['HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet', '    k    REG_MULTI_SZ    a\\0b\\0']);
    expect(parseRegQuery(text, BASE)).toEqual({ k: ['a', 'b'] });
  });

  it('refuses types ccfleet does not read, bad numbers, duplicates and keys outside the base, naming the value', () => {
    const head = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet';
    expect(codeOf(crlf([head, '    server    REG_BINARY    0A0B']))).toBe('reg-unsupported-type server');
    expect(codeOf(crlf([head, '    server    REG_NONE    ']))).toBe('reg-unsupported-type server');
    expect(codeOf(crlf([head + '\\policyRefresh', '    jitterSeconds    REG_DWORD    sixty']))).toBe('reg-bad-value policyRefresh.jitterSeconds');
    expect(codeOf(crlf([head, '    server    REG_SZ    a', '    SERVER    REG_SZ    b']))).toBe('reg-duplicate SERVER');
    expect(codeOf(crlf([head, '    sub    REG_SZ    a', '', head + '\\sub', '    x    REG_SZ    y']))).toBe('reg-duplicate sub');
    expect(codeOf(crlf(['HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleetX', '    a    REG_SZ    b']))).toBe('reg-bad-output ');
    expect(codeOf(crlf(['    a    REG_SZ    b']))).toBe('reg-bad-output ');
  });

  it('a value named "__proto__" is an own key (no prototype is changed)', () => {
    const v = parseRegQuery(crlf(['HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet', '    __proto__    REG_SZ    x']), BASE);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
  });
});
