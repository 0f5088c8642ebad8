/**
 * Golden planner fixtures: test/fixtures/planner/<case>/ holds the exact bytes of a settings file
 * (`input.txt`; absent = the file does not exist), a policy (`policy.jsonc` or a shared one from `_policies/`
 * named in `case.json`), the expected state and findings (`case.json`), and the exact bytes the plan writes
 * (`expected.txt`; absent = nothing is written). The expected files are the spec: review them by eye.
 *
 * Every case also proves the do-nothing property: planning again on what was written finds nothing to do.
 * `UPDATE_GOLDEN=1 npx vitest run test/core/planner-golden.test.ts` rewrites expected.txt from the planner
 * (then review the diff with git before committing).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSettings, type SettingsTarget } from '../../src/core/plan-settings.js';
import { parsePolicyText } from '../../src/core/policy-load.js';
import type { Policy } from '../../src/core/policy-schema.js';
import type { FileState, Finding } from '../../src/core/types.js';

const ROOT = path.resolve(__dirname, '../fixtures/planner');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface CaseFile {
  role: SettingsTarget['role'];
  state: FileState;
  /** "code" or "code:key", in the order the planner reports them. */
  findings: string[];
  /** A shared policy in _policies/ (without .jsonc); otherwise the case's own policy.jsonc. */
  policy?: string;
  note?: string;
}

const readIf = (p: string): string | null => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null);
const findingWord = (f: Finding): string => (f.key === undefined ? f.code : `${f.code}:${f.key}`);
const stripBom = (t: string): string => (t.charCodeAt(0) === 0xfeff ? t.slice(1) : t);

function loadPolicy(dir: string, c: CaseFile): Policy {
  const file = c.policy ? path.join(ROOT, '_policies', `${c.policy}.jsonc`) : path.join(dir, 'policy.jsonc');
  return parsePolicyText(fs.readFileSync(file, 'utf8'), file);
}

const cases = fs
  .readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
  .map((d) => d.name)
  .sort();

describe('golden planner fixtures', () => {
  it('has enough cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
  });

  it.each(cases)('%s', (name) => {
    const dir = path.join(ROOT, name);
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as CaseFile;
    const policy = loadPolicy(dir, c);
    const input = readIf(path.join(dir, 'input.txt'));
    const expectedPath = path.join(dir, 'expected.txt');

    const plan = planSettings(policy, { role: c.role }, input);
    const writes = plan.edits.length > 0;

    if (UPDATE) {
      if (writes && plan.nextText !== null) fs.writeFileSync(expectedPath, plan.nextText);
      else if (fs.existsSync(expectedPath)) fs.unlinkSync(expectedPath);
    }
    const expected = readIf(expectedPath);

    expect(plan.state).toBe(c.state);
    expect(plan.findings.map(findingWord)).toEqual(c.findings);

    if (expected === null) {
      // Nothing to write: the plan is empty and hands the input back untouched.
      expect(plan.edits).toEqual([]);
      expect(plan.nextText).toBe(input);
      return;
    }
    expect(writes).toBe(true);
    expect(plan.nextText).toBe(expected);
    // What we write is always strict JSON (a BOM is fine: Claude Code tolerates it).
    expect(() => JSON.parse(stripBom(expected))).not.toThrow();
    // A BOM in the input is kept; none is invented.
    expect(expected.charCodeAt(0) === 0xfeff).toBe(input !== null && input.charCodeAt(0) === 0xfeff);

    // Do nothing: the second pass over our own output finds nothing to do.
    const again = planSettings(policy, { role: c.role }, expected);
    expect(again.edits).toEqual([]);
    expect(again.state).toBe('compliant');
    expect(again.nextText).toBe(expected);
    expect(again.findings.filter((f) => f.blocking)).toEqual([]);
  });
});
