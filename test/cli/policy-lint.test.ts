/**
 * `ccfleet policy lint <file>`: exit 0 on a clean policy, 1 when there is any finding (errors or
 * warnings, as linters do), 2 on a policy that is not valid; the header counts errors and warnings
 * separately; --json gives one document, also for an invalid policy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, repoRoot } from '../support/cli.js';
import { ENV } from './e2e-fixture.js';

let dir: string;
const file = (name: string, body: unknown) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  return p;
};
let p: Record<'warn' | 'error' | 'invalid' | 'invalid2', string>;
const clean = path.join(repoRoot, 'policies', 'alias-routing.jsonc');

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-lint-'));
  const base = { id: 'lint', version: 1, env: ENV, removeKeys: ['model', 'env.ANTHROPIC_MODEL'] };
  p = {
    // works, with known traps: warnings only
    warn: file('warn.json', base),
    // plain http to a remote gateway: an error, plus the same warnings
    error: file('error.json', { ...base, env: { ...ENV, ANTHROPIC_BASE_URL: 'http://gw.example.com/anthropic' } }),
    invalid: file('invalid.jsonc', '{\n  "id": "lint",\n  "version": -1,\n  "env": {}\n}\n'),
    invalid2: file('invalid2.json', '{"id":"lint"}'),
  };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('policy lint', () => {
  it('a clean policy: exit 0, "no findings"', () => {
    const r = cli(['policy', 'lint', clean]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toBe(`${clean}: policy bifrost-alias-routing v1 — valid, no findings\n`);
    const j = cli(['policy', 'lint', clean, '--json']);
    expect(j.code).toBe(0);
    expect(j.json).toMatchObject({ valid: true, policy: { id: 'bifrost-alias-routing', version: 1 }, counts: { errors: 0, warnings: 0 }, warnings: [] });
  });

  it('warnings only: exit 1, the header counts 0 errors and the warnings', () => {
    const r = cli(['policy', 'lint', p.warn]);
    expect(r.code).toBe(1);
    const j = cli(['policy', 'lint', '--json', p.warn]);
    expect(j.code).toBe(1);
    const n = j.json.warnings.length;
    expect(n).toBeGreaterThan(0);
    expect(j.json.warnings.every((w: { severity: string }) => w.severity === 'warning')).toBe(true);
    expect(j.json.counts).toEqual({ errors: 0, warnings: n });
    expect(r.stdout.split('\n')[0]).toBe(`${p.warn}: policy lint v1 — valid, with 0 errors and ${n} warning${n === 1 ? '' : 's'}`);
    expect(r.stdout).toMatch(/^warning\s+default-model-not-removed\s+removeKeys\s/m);
  });

  it('errors and warnings: exit 1, counted separately, errors first', () => {
    const j = cli(['policy', 'lint', '--json', p.error]);
    expect(j.code).toBe(1);
    expect(j.json.counts.errors).toBe(1);
    expect(j.json.counts.warnings).toBe(j.json.warnings.length - 1);
    expect(j.json.warnings[0]).toMatchObject({ code: 'insecure-base-url', severity: 'error', field: 'env.ANTHROPIC_BASE_URL' });
    const r = cli(['policy', 'lint', p.error]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^.*error\\.json: policy lint v1 — valid, with 1 error and ${j.json.counts.warnings} warnings\\n`));
    expect(r.stdout).toMatch(/\n\nSEVERITY\s+CODE\s+FIELD\s+MESSAGE\n-+.*\nerror\s+insecure-base-url\s/);
  });

  it('an invalid policy: exit 2, one error line naming file:line:col and the field; --json says why', () => {
    const r = cli(['policy', 'lint', p.invalid]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ccfleet: POLICY_INVALID: \S*invalid\.jsonc:3:\d+: version\b[^\n]*\n$/);
    const j = cli(['policy', 'lint', '--json', p.invalid]);
    expect(j.code).toBe(2);
    expect(j.json).toMatchObject({ valid: false, error: { code: 'POLICY_INVALID' } });
    expect(j.json.error.message).toMatch(/invalid\.jsonc:3:\d+: version/);
    expect(j.stderr).toMatch(/^ccfleet: POLICY_INVALID: [^\n]+\n$/);
  });

  it('several schema errors still make one stderr line', () => {
    const r = cli(['policy', 'lint', p.invalid2]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ccfleet: POLICY_INVALID: [^\n]*version[^\n]*; [^\n]*env[^\n]*\n$/);
  });
});
