/**
 * parsePolicyText: JSONC in (comments, trailing commas, BOM, CRLF), a validated Policy with defaults out;
 * errors carry POLICY_PARSE / POLICY_INVALID, exit code 2, and name source:line:column and the field.
 */
import { describe, expect, it } from 'vitest';
import { CcfleetError } from '../../src/core/errors.js';
import { parsePolicyText } from '../../src/core/policy-load.js';

const GOOD = `// the policy
{
  "$schema": "./policy.schema.json",
  "id": "p1", /* inline */
  "version": 3,
  "env": {
    "ANTHROPIC_BASE_URL": "https://bifrost.example.com/anthropic", // trailing comma next
  },
}
`;

/** The CcfleetError thrown for this text (fails the test when nothing is thrown). */
function failure(text: string, source = 'p.jsonc'): CcfleetError {
  try {
    parsePolicyText(text, source);
  } catch (e) {
    expect(e).toBeInstanceOf(CcfleetError);
    const err = e as CcfleetError;
    expect(err.exitCode).toBe(2);
    expect(err.retryable).toBe(false);
    return err;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

/** A policy body with `extra` spliced in after "version" (so positions are predictable: line 4 onwards). */
const withFields = (extra: string) => `{\n  "id": "p1",\n  "version": 1,\n${extra}\n}\n`;
const ENV = `  "env": { "ANTHROPIC_BASE_URL": "https://bifrost.example.com/anthropic" }`;

describe('accepted input', () => {
  it('JSONC: comments and trailing commas; defaults filled in', () => {
    const p = parsePolicyText(GOOD, 'good.jsonc');
    expect(p).toMatchObject({ id: 'p1', version: 3, env: { ANTHROPIC_BASE_URL: 'https://bifrost.example.com/anthropic' } });
    expect(p.removeKeys).toEqual(['model']);
    expect(p.enforceIn).toBe('managed');
    expect(p.managedSettings).toEqual({});
    expect(p.model).toEqual({ keep: 'never', allowed: ['sonnet', 'haiku', 'opus'] });
    expect(p.users).toEqual({ exclude: [], includeRoot: false, configDirs: {} });
    expect(p.normalizeIgnoredFiles).toBe(false);
  });

  it('a UTF-8 BOM and CRLF line endings', () => {
    const p = parsePolicyText('\ufeff' + GOOD.replace(/\n/g, '\r\n'), 'bom.jsonc');
    expect(p.id).toBe('p1');
  });

  it('unknown Claude Code settings pass through managedSettings untouched', () => {
    const p = parsePolicyText(withFields(`${ENV},\n  "managedSettings": { "apiKeyHelper": "/opt/k", "permissions": { "deny": ["Bash(curl:*)"] }, "cleanupPeriodDays": 30 }`), 'x');
    expect(p.managedSettings).toEqual({ apiKeyHelper: '/opt/k', permissions: { deny: ['Bash(curl:*)'] }, cleanupPeriodDays: 30 });
  });

  it('unicode in values, and version 0', () => {
    const p = parsePolicyText('{"id":"p","version":0,"description":"Ünïcødé ✓","env":{}}', 'x');
    expect(p.description).toBe('Ünïcødé ✓');
    expect(p.version).toBe(0);
  });
});

describe('POLICY_PARSE: not JSONC', () => {
  it.each([
    ['', 'p.jsonc:1:1: the policy is empty'],
    ['  \n\t ', 'p.jsonc:1:1: the policy is empty'],
    ['\ufeff', 'p.jsonc:1:1: the policy is empty'],
  ])('empty text %j', (text, message) => {
    const e = failure(text);
    expect(e.code).toBe('POLICY_PARSE');
    expect(e.message).toBe(message);
  });

  it('a missing comma: line and column of the next entry, the jsonc error name', () => {
    const e = failure('{\n  "id": "p1"\n  "version": 1,\n  "env": {}\n}');
    expect(e.code).toBe('POLICY_PARSE');
    expect(e.message).toMatch(/^p\.jsonc:3:3: policy is not valid JSONC: a comma is expected between entries \(CommaExpected\)/);
  });

  it('an unquoted property name', () => {
    const e = failure('{\n  "id": "p1",\n  version: 1\n}');
    expect(e.message).toMatch(/^p\.jsonc:3:3: .*double quotes\) \(InvalidSymbol\)/);
  });

  it('an unclosed block comment, an unclosed string, a truncated file', () => {
    expect(failure('{ "id": "p1" /* oops\n}').message).toContain('comment is not closed');
    expect(failure('{ "id": "p1\n}').message).toContain('(UnexpectedEndOfString)');
    expect(failure('{\n  "id": "p1",\n').message).toMatch(/^p\.jsonc:3:1: /);
  });

  it('text after the object', () => {
    expect(failure('{"id":"p","version":1,"env":{}} {}').message).toContain('(EndOfFileExpected)');
  });

  it('counts lines after a BOM and across CRLF', () => {
    const e = failure('\ufeff{\r\n  "id": "p1"\r\n  "version": 1\r\n}');
    expect(e.message).toMatch(/^p\.jsonc:3:3: /);
  });

  it('names the source it was given', () => {
    expect(failure('{', '/etc/ccfleet/policy.jsonc').message).toMatch(/^\/etc\/ccfleet\/policy\.jsonc:1:2: /);
  });
});

describe('POLICY_INVALID: not a policy', () => {
  it.each([
    ['[]', 'a list'],
    ['"policy"', '"policy"'],
    ['42', '42'],
    ['null', 'null'],
  ])('%s is not an object', (text, what) => {
    const e = failure(text);
    expect(e.code).toBe('POLICY_INVALID');
    expect(e.message).toBe(`p.jsonc:1:1: a policy must be a JSON object ({ … }), not ${what}`);
  });

  it('missing required fields point at the enclosing object', () => {
    const e = failure('\n  {}');
    expect(e.message.split('\n')).toEqual(['p.jsonc:2:3: id: required, but missing', 'p.jsonc:2:3: version: required, but missing', 'p.jsonc:2:3: env: required, but missing']);
  });

  it('an unknown key points at the key, with a suggestion', () => {
    const e = failure(withFields(`${ENV},\n  "removekeys": ["model"]`));
    expect(e.code).toBe('POLICY_INVALID');
    expect(e.message).toBe('p.jsonc:5:3: removekeys: unknown key — did you mean "removeKeys"?');
    expect(failure(withFields(`${ENV},\n  "enforce_in": "user"`)).message).toContain('did you mean "enforceIn"?');
  });

  it('an environment variable or Claude Code setting at the top level says where it belongs', () => {
    expect(failure(withFields(`${ENV},\n  "ANTHROPIC_MODEL": "sonnet"`)).message).toBe('p.jsonc:5:3: ANTHROPIC_MODEL: unknown key — environment variables go inside "env"');
    expect(failure(withFields(`${ENV},\n  "apiKeyHelper": "/opt/k"`)).message).toContain('Claude Code settings go inside "managedSettings"');
  });

  it('an unknown key inside a nested object lists what is allowed there', () => {
    const e = failure(withFields(`${ENV},\n  "model": { "keep": "never", "alowed": [] }`));
    expect(e.message).toBe('p.jsonc:5:31: model.alowed: unknown key — did you mean "allowed"?');
    expect(failure(withFields(`${ENV},\n  "users": { "root": true }`)).message).toMatch(/users\.root: unknown key — allowed here: "include", "exclude", "includeRoot", "configDirs"$/);
  });

  it('a wrong type in an env value points at the value', () => {
    const e = failure(withFields(`  "env": {\n    "ANTHROPIC_BASE_URL": 8080\n  }`));
    expect(e.message).toBe('p.jsonc:5:27: env.ANTHROPIC_BASE_URL: must be a string, not 8080');
    expect(failure(withFields(`  "env": { "A": true, "B": null, "C": ["x"] }`)).message.split('\n')).toEqual([
      'p.jsonc:4:17: env.A: must be a string, not true',
      'p.jsonc:4:28: env.B: must be a string, not null',
      'p.jsonc:4:39: env.C: must be a string, not a list',
    ]);
  });

  it('an env name that is not a variable name points at the key', () => {
    const e = failure(withFields(`  "env": { "1PASSWORD": "x", "MY-VAR": "y" }`));
    expect(e.message.split('\n')).toEqual([
      'p.jsonc:4:12: env["1PASSWORD"]: key "1PASSWORD" is not valid: must be an environment variable name: letters, digits and "_", not starting with a digit',
      'p.jsonc:4:30: env["MY-VAR"]: key "MY-VAR" is not valid: must be an environment variable name: letters, digits and "_", not starting with a digit',
    ]);
  });

  it('env that is not an object', () => {
    expect(failure(withFields('  "env": []')).message).toBe('p.jsonc:4:10: env: must be an object ({ … }), not a list');
    expect(failure(withFields('  "env": "ANTHROPIC_BASE_URL=https://x"')).message).toBe('p.jsonc:4:10: env: must be an object ({ … }), not "ANTHROPIC_BASE_URL=https://x"');
  });

  it.each([
    ['"Bifrost Policy"', /^p\.jsonc:2:9: id: must be lower-case letters, .* \(got "Bifrost Policy"\)$/],
    ['""', /id: must be lower-case .*\(got ""\)$/],
    ['7', /^p\.jsonc:2:9: id: must be a string, not 7$/],
  ])('a bad id: %s', (id, re) => {
    expect(failure(`{\n  "id": ${id},\n  "version": 1,\n${ENV}\n}`).message).toMatch(re);
  });

  it.each([
    ['-1', 'p.jsonc:3:14: version: must be at least 0 (got -1)'],
    ['1.5', 'p.jsonc:3:14: version: must be a whole number, not 1.5'],
    ['"2"', 'p.jsonc:3:14: version: must be a number, not "2"'],
    ['1e300', 'p.jsonc:3:14: version: must be at most 9007199254740991 (got 1e+300)'],
  ])('a bad version: %s', (version, message) => {
    expect(failure(`{\n  "id": "p1",\n  "version": ${version},\n${ENV}\n}`).message).toBe(message);
  });

  it('bad removeKeys entries, each at its own position', () => {
    const e = failure(withFields(`${ENV},\n  "removeKeys": ["model", "", "env..X", "has space", 3, ".model"]`));
    expect(e.message.split('\n').map((l) => l.replace(/must be a settings key .*?\(no spaces, no empty parts\)/, 'BAD'))).toEqual([
      'p.jsonc:5:27: removeKeys[1]: BAD (got "")',
      'p.jsonc:5:31: removeKeys[2]: BAD (got "env..X")',
      'p.jsonc:5:41: removeKeys[3]: BAD (got "has space")',
      'p.jsonc:5:54: removeKeys[4]: must be a string, not 3',
      'p.jsonc:5:57: removeKeys[5]: BAD (got ".model")',
    ]);
    expect(failure(withFields(`${ENV},\n  "removeKeys": "model"`)).message).toBe('p.jsonc:5:17: removeKeys: must be a list ([ … ]), not "model"');
  });

  it('removeKeys must not remove what the policy sets', () => {
    const e = failure(withFields(`${ENV},\n  "removeKeys": ["model", "env.ANTHROPIC_BASE_URL"]`));
    expect(e.message).toBe(
      'p.jsonc:5:27: removeKeys[1]: removes env.ANTHROPIC_BASE_URL, which this policy\'s env sets — the agent would write it and strip it again (got "env.ANTHROPIC_BASE_URL")',
    );
    expect(failure(withFields(`${ENV},\n  "removeKeys": ["env"]`)).message).toContain('removeKeys[0]: removes env.ANTHROPIC_BASE_URL');
    // user mode: a managed setting is written into the user file, so it cannot be removed there
    const user = failure(withFields(`${ENV},\n  "enforceIn": "user",\n  "managedSettings": { "model": "sonnet" },\n  "removeKeys": ["model"]`));
    expect(user.message).toBe('p.jsonc:7:18: removeKeys[0]: removes managedSettings.model, which this user-mode policy writes into the same user file (got "model")');
    // managed mode: fine
    expect(parsePolicyText(withFields(`${ENV},\n  "managedSettings": { "model": "sonnet" },\n  "removeKeys": ["model", "env.ANTHROPIC_MODEL"]`), 'x').removeKeys).toEqual(['model', 'env.ANTHROPIC_MODEL']);
  });

  it('managedSettings: no env inside; the gateway-relevant keys are type-checked', () => {
    expect(failure(withFields(`${ENV},\n  "managedSettings": { "env": { "A": "1" } }`)).message).toBe(
      'p.jsonc:5:31: managedSettings.env: environment variables go in the top-level "env", not in managedSettings',
    );
    expect(failure(withFields(`${ENV},\n  "managedSettings": { "availableModels": "sonnet" }`)).message).toBe(
      'p.jsonc:5:43: managedSettings.availableModels: must be a list ([ … ]), not "sonnet"',
    );
    expect(failure(withFields(`${ENV},\n  "managedSettings": { "enforceAvailableModels": "yes" }`)).message).toBe(
      'p.jsonc:5:50: managedSettings.enforceAvailableModels: must be true or false, not "yes"',
    );
    expect(failure(withFields(`${ENV},\n  "managedSettings": { "forceLoginMethod": "sso" }`)).message).toBe(
      'p.jsonc:5:44: managedSettings.forceLoginMethod: must be one of "claudeai", "console" (got "sso")',
    );
    expect(failure(withFields(`${ENV},\n  "managedSettings": { "apiKeyHelper": "" }`)).message).toBe('p.jsonc:5:40: managedSettings.apiKeyHelper: must not be empty (got "")');
    expect(failure(withFields(`${ENV},\n  "managedSettings": { "policyHelper": { "timeoutMs": 5000 } }`)).message).toBe(
      'p.jsonc:5:40: managedSettings.policyHelper.path: required, but missing',
    );
    expect(failure(withFields(`${ENV},\n  "managedSettings": []`)).message).toBe('p.jsonc:5:22: managedSettings: must be an object ({ … }), not a list');
  });

  it('enums, booleans, dates and user names', () => {
    expect(failure(withFields(`${ENV},\n  "enforceIn": "root"`)).message).toBe('p.jsonc:5:16: enforceIn: must be one of "managed", "user" (got "root")');
    expect(failure(withFields(`${ENV},\n  "model": { "keep": "always" }`)).message).toBe('p.jsonc:5:22: model.keep: must be one of "never", "allowed" (got "always")');
    expect(failure(withFields(`${ENV},\n  "normalizeIgnoredFiles": "false"`)).message).toBe('p.jsonc:5:28: normalizeIgnoredFiles: must be true or false, not "false"');
    expect(failure(withFields(`${ENV},\n  "expiresAt": "next week"`)).message).toMatch(/expiresAt: must be an ISO 8601 date and time with a time zone, .* \(got "next week"\)$/);
    expect(failure(withFields(`${ENV},\n  "users": { "exclude": ["svc account"] }`)).message).toBe('p.jsonc:5:26: users.exclude[0]: must be a user name (no spaces, "/", "\\" or ":") (got "svc account")');
    expect(failure(withFields(`${ENV},\n  "minClaudeVersion": "2.1"`)).message).toMatch(/^p\.jsonc:5:23: minClaudeVersion: must match .* \(got "2\.1"\)$/);
  });

  it('schedule: cron expressions node-schedule would misread are refused, field named', () => {
    expect(failure(withFields(`${ENV},\n  "schedule": { "policyRefresh": "*/5 * * *" }`)).message).toMatch(/^p\.jsonc:5:\d+: schedule\.policyRefresh: /);
    expect(failure(withFields(`${ENV},\n  "schedule": { "resync": "61 * * * *" }`)).message).toMatch(/schedule\.resync: /);
    expect(failure(withFields(`${ENV},\n  "schedule": { "jitterSeconds": -1 }`)).message).toMatch(/schedule\.jitterSeconds: /);
    expect(failure(withFields(`${ENV},\n  "schedule": { "every": "5m" }`)).message).toMatch(/schedule.*every/);
  });

  it('duplicate keys are refused, at the second occurrence', () => {
    const e = failure('{\n  "id": "p1",\n  "version": 1,\n  "env": {\n    "ANTHROPIC_BASE_URL": "https://a/anthropic",\n    "ANTHROPIC_BASE_URL": "https://b/anthropic"\n  },\n  "id": "p2"\n}');
    expect(e.code).toBe('POLICY_INVALID');
    expect(e.message.split('\n')).toEqual([
      'p.jsonc:6:5: env.ANTHROPIC_BASE_URL: duplicate key (first at line 5) — keep one',
      'p.jsonc:8:3: id: duplicate key (first at line 2) — keep one',
    ]);
  });

  it('lists every problem, one per line, up to a limit', () => {
    const e = failure(`{ "id": "X", "version": -1, "env": { "A": 1 }, "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6 }`);
    const lines = e.message.split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[8]).toBe('… and 1 more problem(s)');
    for (const l of lines.slice(0, 8)) expect(l).toMatch(/^p\.jsonc:1:\d+: \S+: /);
  });
});
