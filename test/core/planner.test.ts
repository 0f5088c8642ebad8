/**
 * Planner properties beyond the golden fixtures: a 5 MB file keeps every byte but the removed key,
 * pathological inputs never throw, the text edits are minimal, and a seeded fuzz run proves for a few
 * hundred generated files that the output is strict JSON with exactly the wanted effect and that a second
 * pass finds nothing to do.
 */
import { describe, expect, it } from 'vitest';
import { desiredValue, modelAllowed, planSettings, type SettingsTarget } from '../../src/core/plan-settings.js';
import { policySchema, type Policy, type PolicyInput } from '../../src/core/policy-schema.js';
import { removePath, setPath } from '../../src/core/json-edit.js';
import { DEFAULT_FORMAT, detectFormat } from '../../src/core/json-text.js';
import { parse as parseJsonc } from 'jsonc-parser';

const ENV = {
  ANTHROPIC_BASE_URL: 'http://gateway.example:8080/anthropic',
  ANTHROPIC_AUTH_TOKEN: 'vk-test',
  ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model',
  ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model',
};
const policy = (extra: Partial<PolicyInput> = {}): Policy => policySchema.parse({ id: 't', version: 1, env: ENV, ...extra });
const MANAGED = policy({ removeKeys: ['model', 'env.ANTHROPIC_MODEL'] });
const USER = policy({ enforceIn: 'user', removeKeys: ['model', 'env.ANTHROPIC_MODEL'] });
const stripBom = (t: string) => (t.charCodeAt(0) === 0xfeff ? t.slice(1) : t);

/** Plans, and when something is written checks it is strict JSON and that a second pass does nothing. */
function planTwice(p: Policy, role: SettingsTarget['role'], text: string | null) {
  const plan = planSettings(p, { role }, text);
  if (plan.edits.length > 0 && plan.nextText !== null) {
    JSON.parse(stripBom(plan.nextText));
    const again = planSettings(p, { role }, plan.nextText);
    expect(again.edits).toEqual([]);
    expect(again.state).toBe('compliant');
  }
  return plan;
}

describe('a 5 MB settings file', () => {
  // Generated here rather than committed: a realistic big file (a long permissions list and a big object).
  const entries = Array.from({ length: 70_000 }, (_, i) => `    "Bash(tool-${i} --flag=${'x'.repeat(i % 50)})"`);
  const big = Array.from({ length: 25_000 }, (_, i) => `    "k${i}": { "n": ${i}, "s": "välue ${i} 🚀" }`);
  const head = `{\n  "permissions": {\n    "allow": [\n${entries.join(',\n')}\n    ]\n  },\n`;
  const tail = `  "cache": {\n${big.join(',\n')}\n  },\n  "theme": "dark"\n}\n`;

  it('is at least 5 MB', () => {
    expect(Buffer.byteLength(head + tail)).toBeGreaterThan(5 * 1024 * 1024);
  });

  it('pretty-printed: only the model line goes, every other byte stays', () => {
    const modelLine = '  "model": "claude-opus-4-1",\n';
    const input = head + modelLine + tail;
    const plan = planTwice(MANAGED, 'user', input);
    expect(plan.state).toBe('drifted');
    expect(plan.nextText).toBe(head + tail);
  });

  it('minified on one line: only "model":"…", goes', () => {
    const value = JSON.parse(head + tail) as Record<string, unknown>;
    const min = JSON.stringify(value);
    const cut = min.indexOf('"cache"');
    const input = `${min.slice(0, cut)}"model":"opus",${min.slice(cut)}`;
    const plan = planTwice(MANAGED, 'user', input);
    expect(plan.nextText).toBe(min);
  });

  it('user mode: the env block is appended, the text before it is untouched', () => {
    const input = head + tail;
    const plan = planTwice(USER, 'user', input);
    const next = plan.nextText!;
    const cut = input.lastIndexOf('"theme": "dark"') + '"theme": "dark"'.length;
    expect(next.startsWith(input.slice(0, cut))).toBe(true);
    expect(next.endsWith('\n}\n')).toBe(true);
    expect((JSON.parse(next) as { env: unknown }).env).toEqual(ENV);
  });
});

describe('pathological inputs never throw', () => {
  it('nesting far deeper than the parser stack: reported, not thrown, not written', () => {
    const n = 20_000;
    const text = `{"deep":${'['.repeat(n)}${']'.repeat(n)},"model":"opus"}`;
    const plan = planSettings(MANAGED, { role: 'user' }, text);
    expect(plan.edits).toEqual([]);
    expect(plan.nextText).toBe(text);
    expect(plan.state).toBe('error');
    expect(plan.findings.map((f) => f.code)).toEqual(['plan-failed']);
  });

  it('deep nesting without anything to change is simply compliant', () => {
    const n = 20_000;
    const text = `{"deep":${'['.repeat(n)}${']'.repeat(n)}}`;
    expect(planSettings(MANAGED, { role: 'user' }, text).state).toBe('compliant');
  });

  it.each([
    ['lone surrogate escapes', '{"\\ud800":"\\udfff","model":"x"}'],
    ['a __proto__ key', '{"__proto__":{"model":"x"},"model":"y"}'],
    ['a constructor key', '{"constructor":1,"model":"y","toString":2}'],
    ['huge numbers', '{"n":1e999,"m":-0,"model":1.5e-400}'],
    ['NUL and control escapes', '{"a":"\\u0000\\b\\f","model":"\\u0000"}'],
    ['only a BOM', '\ufeff'],
    ['a BOM then garbage', '\ufeff}{'],
    ['duplicate everything', '{"env":{"ANTHROPIC_MODEL":"a"},"env":{"ANTHROPIC_MODEL":"b","ANTHROPIC_MODEL":"c"},"model":1,"model":2}'],
  ])('%s', (_name, text) => {
    for (const p of [MANAGED, USER]) {
      for (const role of ['user', 'project', 'local'] as const) {
        const plan = planTwice(p, role, text);
        if (plan.edits.length > 0) {
          const body = stripBom(plan.nextText!);
          const parsed = JSON.parse(body) as Record<string, unknown>;
          expect(Object.prototype.hasOwnProperty.call(parsed, 'model')).toBe(false);
        }
      }
    }
  });

  it('__proto__ is treated as an ordinary key, like JSON.parse does', () => {
    const plan = planTwice(MANAGED, 'user', '{"__proto__":{"model":"x"},"model":"y"}');
    expect(plan.nextText).toBe('{"__proto__":{"model":"x"}}');
  });
});

describe('policy interactions', () => {
  it('user mode with an empty policy env does not invent an env block (and keeps the text edit minimal)', () => {
    const p = policy({ env: {}, enforceIn: 'user' });
    const plan = planTwice(p, 'user', '{\n    "a": 1, "model": "x"\n}');
    expect(plan.nextText).toBe('{\n    "a": 1\n}');
  });

  // The schema rejects policies whose removeKeys remove what their own env sets; a Policy object built
  // another way must still give a stable plan (the planner never undoes its own write).
  it('removeKeys naming the env block itself in user mode is stable (the policy writes env)', () => {
    const p: Policy = { ...USER, removeKeys: ['model', 'env'] };
    const plan = planTwice(p, 'user', '{\n  "env": {\n    "FOO": "1"\n  }\n}\n');
    expect((JSON.parse(plan.nextText!) as { env: unknown }).env).toEqual({ FOO: '1', ...ENV });
    // …while project files lose their env block entirely.
    expect(planTwice(p, 'project', '{"env":{"FOO":"1"}}').nextText).toBe('{}');
  });

  it('removeKeys naming a pinned env key in user mode keeps the policy value in the user file', () => {
    const p: Policy = { ...USER, env: { ...ENV, ANTHROPIC_MODEL: 'pinned' }, removeKeys: ['model', 'env.ANTHROPIC_MODEL'] };
    const plan = planTwice(p, 'user', '{"env":{"ANTHROPIC_MODEL":"opus"}}');
    expect(plan.findings.map((f) => `${f.code}:${f.key}`)).toContain('env-mismatch:env.ANTHROPIC_MODEL');
    expect((JSON.parse(plan.nextText!) as { env: Record<string, string> }).env.ANTHROPIC_MODEL).toBe('pinned');
    // A local file loses its own value once, reported once.
    const local = planTwice(p, 'local', '{"env":{"ANTHROPIC_MODEL":"opus"}}');
    expect(local.findings.map((f) => f.code)).toEqual(['key-present']);
    expect(local.edits).toEqual([{ op: 'remove', key: 'env.ANTHROPIC_MODEL' }]);
  });

  it('a managedSettings model in user mode is written, not removed', () => {
    const p = policy({ enforceIn: 'user', removeKeys: [], managedSettings: { model: 'sonnet' } });
    const plan = planTwice(p, 'user', '{"model":"opus","env":' + JSON.stringify(ENV) + '}');
    expect(plan.findings.map((f) => `${f.code}:${f.key}`)).toEqual(['setting-mismatch:model']);
    expect(plan.nextText).toBe('{"model":"sonnet","env":' + JSON.stringify(ENV) + '}');
  });

  it('a project ANTHROPIC_MODEL differing from a pinned policy value is a conflict and goes', () => {
    const p = policy({ enforceIn: 'user', env: { ...ENV, ANTHROPIC_MODEL: 'pinned' } });
    const plan = planTwice(p, 'project', '{"env":{"ANTHROPIC_MODEL":"opus","X":"1"}}');
    expect(plan.findings.map((f) => `${f.code}:${f.key}`)).toEqual(['env-conflict:env.ANTHROPIC_MODEL']);
    expect(plan.nextText).toBe('{"env":{"X":"1"}}');
  });

  it('an absent project file in user mode is never created', () => {
    expect(planSettings(USER, { role: 'project' }, null)).toEqual({ edits: [], nextText: null, findings: [], state: 'missing' });
  });

  it('the plan never changes the policy or a caller object', () => {
    const p = policy({ enforceIn: 'user' });
    const before = JSON.stringify(p);
    planSettings(p, { role: 'user' }, '{"env":{"X":"1"}}');
    planSettings(p, { role: 'user' }, null);
    expect(JSON.stringify(p)).toBe(before);
  });
});

describe('modelAllowed', () => {
  const keep = policy({ model: { keep: 'allowed', allowed: ['sonnet', 'haiku', 'opus'] } });
  it.each([
    ['sonnet', true],
    ['SONNET', true],
    [' sonnet ', true],
    ['sonnet[1m]', true],
    ['haiku', true],
    ['opus', false], // allowed by name, but unmapped: would send the built-in Opus id
    ['claude-sonnet-4-5', false],
    ['sonnet-model', false], // not in the allowed list
    ['', false],
  ] as const)('%j → %s', (value, want) => {
    expect(modelAllowed(keep, value)).toBe(want);
  });
  it('never keeps anything when keep is "never" (the default)', () => {
    expect(modelAllowed(MANAGED, 'sonnet')).toBe(false);
  });
  it('non-strings are never allowed', () => {
    expect(modelAllowed(keep, null)).toBe(false);
    expect(modelAllowed(keep, 42)).toBe(false);
    expect(modelAllowed(keep, ['sonnet'])).toBe(false);
  });
  it('a full id is kept when the policy lists it and counts it as mapped', () => {
    const p = policy({ model: { keep: 'allowed', allowed: ['claude-opus-4-5'] }, allowedModels: ['claude-opus-4-5'] });
    expect(modelAllowed(p, 'claude-opus-4-5')).toBe(true);
  });
  it('opus is kept once the policy maps it', () => {
    const p = policy({ env: { ...ENV, ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model' }, model: { keep: 'allowed', allowed: ['opus'] } });
    expect(modelAllowed(p, 'opus')).toBe(true);
  });
});

describe('json-edit', () => {
  const F = DEFAULT_FORMAT;
  it('removal of an absent path or on a non-object root is a no-op', () => {
    expect(removePath('{"a":1}', ['model'], F)).toBe('{"a":1}');
    expect(removePath('{"a":1}', ['env', 'X'], F)).toBe('{"a":1}');
    expect(removePath('{"env":"s"}', ['env', 'X'], F)).toBe('{"env":"s"}');
    expect(removePath('[{"model":1}]', ['model'], F)).toBe('[{"model":1}]');
    expect(removePath('', ['model'], F)).toBe('');
    expect(removePath('{"a":1}', [], F)).toBe('{"a":1}');
  });
  it('removes every duplicate in the effective parent only', () => {
    expect(removePath('{"m":1,"a":{"m":2},"m":3,"m":4}', ['m'], F)).toBe('{"a":{"m":2}}');
    expect(removePath('{"e":{"x":1},"e":{"x":2,"y":3}}', ['e', 'x'], F)).toBe('{"e":{"x":1},"e":{"y":3}}');
  });
  it('sets inside a missing parent, a non-object parent and an empty object', () => {
    expect(setPath('{"a":1}', ['env', 'X'], 'v', F)).toBe('{"a":1,"env":{"X":"v"}}');
    expect(setPath('{"env":"s"}', ['env', 'X'], 'v', F)).toBe('{"env":{"X":"v"}}');
    expect(setPath('{}', ['env', 'X'], 'v', F)).toBe('{\n  "env": {\n    "X": "v"\n  }\n}');
    expect(setPath('{ "a": {} }', ['a', 'b'], 1, F)).toBe('{ "a": {"b": 1} }');
  });
  it('replacing a duplicated key leaves exactly one, the last one, with the new value', () => {
    expect(setPath('{"k":1,"a":2,"k":3}', ['k'], 9, F)).toBe('{"a":2,"k":9}');
  });
  it('follows the file indentation and line endings when inserting', () => {
    const text = '{\r\n\t"a": {\r\n\t\t"b": 1\r\n\t}\r\n}\r\n';
    expect(setPath(text, ['a', 'c'], { d: [1] }, detectFormat(text))).toBe('{\r\n\t"a": {\r\n\t\t"b": 1,\r\n\t\t"c": {\r\n\t\t\t"d": [\r\n\t\t\t\t1\r\n\t\t\t]\r\n\t\t}\r\n\t}\r\n}\r\n');
  });
  it('leaves a text it cannot parse as a tree alone', () => {
    expect(setPath('', ['a'], 1, F)).toBe('');
    expect(setPath('[1]', ['a'], 1, F)).toBe('[1]');
  });
});

// ---------------------------------------------------------------------------------------------------
// Seeded fuzz: generated settings texts in every style, with duplicates, through every policy and role.

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Pairs = { pairs: [string, Gen][] };
type Gen = string | number | boolean | null | Gen[] | Pairs;

function serialize(v: Gen, indent: string, eol: string, level: number, compactSpace: boolean): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const pad = indent === '' ? '' : eol + indent.repeat(level + 1);
  const close = indent === '' ? '' : eol + indent.repeat(level);
  const colon = indent === '' && !compactSpace ? ':' : ': ';
  const comma = indent === '' && compactSpace ? ', ' : ',';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${v.map((x) => pad + serialize(x, indent, eol, level + 1, compactSpace)).join(comma)}${close}]`;
  }
  if (v.pairs.length === 0) return '{}';
  return `{${v.pairs.map(([k, x]) => `${pad}${JSON.stringify(k)}${colon}${serialize(x, indent, eol, level + 1, compactSpace)}`).join(comma)}${close}}`;
}

function generate(r: () => number): Gen {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const scalar = (): Gen => pick<Gen>(['opus', 'sonnet', 'sonnet[1m]', 'claude-opus-4-1', 'ü🚀', '', 42, -1.5, true, false, null]);
  const envObj = (): Gen => {
    const keys = ['ANTHROPIC_MODEL', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_AUTH_TOKEN', 'FOO', 'ANTHROPIC_DEFAULT_SONNET_MODEL'];
    const n = Math.floor(r() * 5);
    const pairs: [string, Gen][] = [];
    for (let i = 0; i < n; i++) {
      const k = pick(keys);
      const v: Gen = r() < 0.5 && k in ENV ? ENV[k as keyof typeof ENV] : r() < 0.9 ? pick(['x', 'opus', 'http://other']) : 7;
      pairs.push([k, v]);
    }
    return { pairs };
  };
  const value = (depth: number): Gen => {
    const x = r();
    if (depth > 3 || x < 0.5) return scalar();
    if (x < 0.7) return Array.from({ length: Math.floor(r() * 3) }, () => value(depth + 1));
    return { pairs: Array.from({ length: Math.floor(r() * 4) }, () => [pick(['model', 'a', 'Model', 'nested']), value(depth + 1)] as [string, Gen]) };
  };
  const top: [string, Gen][] = [];
  const n = Math.floor(r() * 7);
  for (let i = 0; i < n; i++) {
    const k = pick(['model', 'model', 'env', 'env', 'theme', 'models', 'permissions', 'availableModels', 'ключ']);
    const v = k === 'env' ? (r() < 0.85 ? envObj() : pick<Gen>(['str', null, [], 1])) : value(1);
    top.push([k, v]);
  }
  return { pairs: top };
}

describe('seeded fuzz: strict output, exact effect, do-nothing second pass', () => {
  const policies: [string, Policy][] = [
    ['managed', MANAGED],
    ['managed-default-keys', policy()],
    ['user', USER],
    ['user-pin', policy({ enforceIn: 'user', env: { ...ENV, ANTHROPIC_MODEL: 'sonnet' } })],
    // The schema rejects a removeKeys entry the policy's own env sets; the planner stays stable anyway.
    ['user-self-contradicting', { ...USER, env: { ...ENV, ANTHROPIC_MODEL: 'sonnet' }, removeKeys: ['model', 'env', 'env.ANTHROPIC_MODEL'] }],
    ['user-settings', policy({ enforceIn: 'user', managedSettings: { availableModels: ['sonnet'], theme: 'dark' } })],
    ['keep-allowed', policy({ model: { keep: 'allowed', allowed: ['sonnet', 'haiku'] } })],
  ];
  const roles = ['user', 'project', 'local'] as const;
  const r = rng(20260);
  const samples = Array.from({ length: 300 }, (_, i) => {
    const gen = generate(r);
    const indent = ['', '', '  ', '    ', '\t'][Math.floor(r() * 5)]!;
    const eol = r() < 0.3 ? '\r\n' : '\n';
    const text = (r() < 0.1 ? '\ufeff' : '') + serialize(gen, indent, eol, 0, r() < 0.5) + (r() < 0.7 ? eol : '');
    return { i, text };
  });

  it.each(policies)('%s', (_name, p) => {
    for (const { text } of samples) {
      for (const role of roles) {
        const plan = planSettings(p, { role }, text);
        const original = JSON.parse(stripBom(text)) as Record<string, unknown>;
        const want = desiredValue(original, p, { role });
        if (plan.edits.length === 0) {
          expect(plan.state).toBe('compliant');
          expect(plan.nextText).toBe(text);
          expect(JSON.parse(stripBom(text))).toEqual(want);
          continue;
        }
        const next = plan.nextText!;
        expect(next.charCodeAt(0) === 0xfeff).toBe(text.charCodeAt(0) === 0xfeff);
        expect(JSON.parse(stripBom(next))).toEqual(want);
        const again = planSettings(p, { role }, next);
        expect(again.edits).toEqual([]);
        expect(again.state).toBe('compliant');
        // Line endings never get mixed: a CRLF file gains no bare LF and vice versa.
        if (text.includes('\r\n')) expect(next.replace(/\r\n/g, '')).not.toMatch(/\n/);
        else expect(next).not.toMatch(/\r/);
      }
    }
  });

  it('normalising JSONC (comments, trailing commas): strict output with the wanted effect, then nothing to do', () => {
    const p = policy({ normalizeIgnoredFiles: true, removeKeys: ['model', 'env.ANTHROPIC_MODEL'] });
    for (const { text } of samples) {
      const body = stripBom(text);
      const close = body.lastIndexOf('}');
      // A comment up front and a trailing comma before the last brace (when the object has properties).
      const jsonc = `// chosen by /model\n${body.slice(0, close).replace(/\s*$/, (ws) => (body.slice(0, close).trim() === '{' ? ws : `,${ws}`))}${body.slice(close)}`;
      for (const role of roles) {
        const plan = planSettings(p, { role }, jsonc);
        expect(plan.state).toBe('unparseable');
        expect(plan.findings[0]!.code).toBe('not-strict-json');
        expect(plan.edits[0]).toEqual({ op: 'rewrite' });
        const next = plan.nextText!;
        expect(JSON.parse(next)).toEqual(desiredValue(parseJsonc(jsonc, [], { allowTrailingComma: true }) as Record<string, unknown>, p, { role }));
        const again = planSettings(p, { role }, next);
        expect(again.edits).toEqual([]);
        expect(again.state).toBe('compliant');
      }
    }
  });
});
