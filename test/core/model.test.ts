/**
 * Model resolution, case by case from shared/reference/claude-code-facts.md ("How the model is chosen"),
 * corrected where the wire probe of Claude Code 2.1.332 says otherwise (docs/claude-code-wire-facts.md;
 * the case ids in the test names are that file's):
 *   --model (unknowable) > ANTHROPIC_MODEL from settings env (managed > local > project > user)
 *   > model key (managed > local > project > user) > ANTHROPIC_DEFAULT_MODEL > account default (opus),
 * then aliases map through ANTHROPIC_DEFAULT_{SONNET,OPUS,HAIKU,FABLE}_MODEL (case-insensitive, trimmed;
 * an empty mapping is unset), a trailing [1m] is stripped, and full or provider ids go verbatim.
 * On the wire, `default` in a model key is NOT an alias and ANTHROPIC_SMALL_FAST_MODEL does NOT map haiku.
 * Built-in ids come from BUILTIN_MODELS (they change with Claude Code releases), never hard-coded here.
 */
import { describe, expect, it } from 'vitest';
import { ACCOUNT_DEFAULT_ALIAS, BUILTIN_MODELS, effectiveEnv, mapAlias, mappedModels, resolveModel, stripOneM, type Layer } from '../../src/core/model.js';
import type { JsonObject } from '../../src/core/types.js';

const managed = (settings: JsonObject): Layer => ({ label: 'managed', level: 'managed', settings });
const local = (settings: JsonObject, at = '/w/p'): Layer => ({ label: `local:${at}`, level: 'local', settings });
const project = (settings: JsonObject, at = '/w/p'): Layer => ({ label: `project:${at}`, level: 'project', settings });
const user = (settings: JsonObject): Layer => ({ label: 'user', level: 'user', settings });
const env = (vars: Record<string, string>) => new Map(Object.entries(vars).map(([k, v]) => [k, { value: v }]));

const ALIASES = { ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model' };
const GATEWAY = managed({ env: { ANTHROPIC_BASE_URL: 'http://gw/anthropic', ...ALIASES } });

describe('resolveModel: which setting decides', () => {
  it.each<[string, Layer[], { requested: string | null; resolved: string | null; source: string }]>([
    // 2. ANTHROPIC_MODEL from any settings env beats every model key, even a managed one.
    ['user env ANTHROPIC_MODEL beats a managed model key', [managed({ model: 'haiku' }), user({ env: { ANTHROPIC_MODEL: 'claude-x-1' } })], { requested: 'claude-x-1', resolved: 'claude-x-1', source: 'user.env.ANTHROPIC_MODEL' }],
    ['managed env ANTHROPIC_MODEL beats a local one', [managed({ env: { ANTHROPIC_MODEL: 'm' } }), local({ env: { ANTHROPIC_MODEL: 'l' } })], { requested: 'm', resolved: 'm', source: 'managed.env.ANTHROPIC_MODEL' }],
    ['local env beats project env', [local({ env: { ANTHROPIC_MODEL: 'l' } }), project({ env: { ANTHROPIC_MODEL: 'p' } }), user({ env: { ANTHROPIC_MODEL: 'u' } })], { requested: 'l', resolved: 'l', source: 'local:/w/p.env.ANTHROPIC_MODEL' }],
    ['project env beats user env', [project({ env: { ANTHROPIC_MODEL: 'p' } }), user({ env: { ANTHROPIC_MODEL: 'u' } })], { requested: 'p', resolved: 'p', source: 'project:/w/p.env.ANTHROPIC_MODEL' }],
    ['an ANTHROPIC_MODEL alias is mapped', [GATEWAY, user({ env: { ANTHROPIC_MODEL: 'sonnet' } })], { requested: 'sonnet', resolved: 'sonnet-model', source: 'user.env.ANTHROPIC_MODEL' }],
    ['X03: an empty ANTHROPIC_MODEL does not count', [user({ env: { ANTHROPIC_MODEL: '' }, model: 'haiku' })], { requested: 'haiku', resolved: BUILTIN_MODELS.haiku, source: 'user.model' }],
    ['X13: an empty higher ANTHROPIC_MODEL masks a lower one', [project({ env: { ANTHROPIC_MODEL: '' } }), user({ env: { ANTHROPIC_MODEL: 'haiku' }, model: 'sonnet' })], { requested: 'sonnet', resolved: BUILTIN_MODELS.sonnet, source: 'user.model' }],
    ['M03: a user ANTHROPIC_MODEL beats a managed model key', [managed({ model: 'haiku' }), user({ env: { ANTHROPIC_MODEL: 'sonnet' } })], { requested: 'sonnet', resolved: BUILTIN_MODELS.sonnet, source: 'user.env.ANTHROPIC_MODEL' }],
    ['P04: env ANTHROPIC_MODEL per key, project over user', [project({ env: { ANTHROPIC_MODEL: 'sonnet' } }), user({ env: { ANTHROPIC_MODEL: 'haiku' } })], { requested: 'sonnet', resolved: BUILTIN_MODELS.sonnet, source: 'project:/w/p.env.ANTHROPIC_MODEL' }],
    // 3. the model key: managed > local > project > user
    ['managed model beats local model', [managed({ model: 'claude-m' }), local({ model: 'claude-l' })], { requested: 'claude-m', resolved: 'claude-m', source: 'managed.model' }],
    ['local model beats project model', [local({ model: 'claude-l' }), project({ model: 'claude-p' }), user({ model: 'claude-u' })], { requested: 'claude-l', resolved: 'claude-l', source: 'local:/w/p.model' }],
    ['project model beats user model', [project({ model: 'claude-p' }), user({ model: 'claude-u' })], { requested: 'claude-p', resolved: 'claude-p', source: 'project:/w/p.model' }],
    ['the model key ranks by level, not by list position', [user({ model: 'claude-u' }), project({ model: 'claude-p' })], { requested: 'claude-p', resolved: 'claude-p', source: 'project:/w/p.model' }],
    ['user model alone', [GATEWAY, user({ model: 'haiku' })], { requested: 'haiku', resolved: 'haiku-model', source: 'user.model' }],
    ['a non-string or empty model key does not count', [project({ model: 42 }), user({ model: '' })], { requested: ACCOUNT_DEFAULT_ALIAS, resolved: BUILTIN_MODELS.opus, source: 'default' }],
    // 4. ANTHROPIC_DEFAULT_MODEL when no model is set anywhere
    ['D06: ANTHROPIC_DEFAULT_MODEL is alias-mapped', [managed({ env: { ANTHROPIC_DEFAULT_MODEL: 'sonnet', ...ALIASES } })], { requested: 'sonnet', resolved: 'sonnet-model', source: 'managed.env.ANTHROPIC_DEFAULT_MODEL' }],
    ['D07: ANTHROPIC_DEFAULT_MODEL beats the account default', [user({ env: { ANTHROPIC_DEFAULT_MODEL: 'custom-default', ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model' } })], { requested: 'custom-default', resolved: 'custom-default', source: 'user.env.ANTHROPIC_DEFAULT_MODEL' }],
    ['M14: a user model key beats a managed ANTHROPIC_DEFAULT_MODEL', [managed({ env: { ANTHROPIC_DEFAULT_MODEL: 'custom-default' } }), user({ model: 'sonnet' })], { requested: 'sonnet', resolved: BUILTIN_MODELS.sonnet, source: 'user.model' }],
    ['D04: ANTHROPIC_MODEL beats ANTHROPIC_DEFAULT_MODEL', [user({ env: { ANTHROPIC_DEFAULT_MODEL: 'custom-default', ANTHROPIC_MODEL: 'haiku' } })], { requested: 'haiku', resolved: BUILTIN_MODELS.haiku, source: 'user.env.ANTHROPIC_MODEL' }],
    ['X15: ANTHROPIC_DEFAULT_MODEL=default is the account default', [user({ env: { ANTHROPIC_DEFAULT_MODEL: 'default' } })], { requested: 'default', resolved: BUILTIN_MODELS.opus, source: 'user.env.ANTHROPIC_DEFAULT_MODEL' }],
    ['X02: an empty model key falls through to ANTHROPIC_DEFAULT_MODEL', [user({ model: '', env: { ANTHROPIC_DEFAULT_MODEL: 'sonnet' } })], { requested: 'sonnet', resolved: BUILTIN_MODELS.sonnet, source: 'user.env.ANTHROPIC_DEFAULT_MODEL' }],
    ['A07: a model key "default" is sent verbatim', [GATEWAY, user({ model: 'default' })], { requested: 'default', resolved: 'default', source: 'user.model' }],
    // 5. nothing set: the account default, the opus family
    ['A01: no settings at all: the built-in Opus id', [], { requested: 'opus', resolved: BUILTIN_MODELS.opus, source: 'default' }],
    ['A10: the guide\'s alias setup without an opus mapping sends the built-in Opus id', [GATEWAY], { requested: 'opus', resolved: BUILTIN_MODELS.opus, source: 'default' }],
    ['A09: the default goes through the opus mapping', [managed({ env: { ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model' } })], { requested: 'opus', resolved: 'opus-model', source: 'default' }],
    ['M19: managed model and mapping beat a user model', [managed({ model: 'sonnet', env: { ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model' } }), user({ model: 'opus' })], { requested: 'sonnet', resolved: 'sonnet-model', source: 'managed.model' }],
  ])('%s', (_name, layers, want) => {
    expect(resolveModel(layers)).toEqual(want);
  });

  it('env merges per key across levels: the alias mapping may come from another level than the model', () => {
    const layers = [managed({ env: { ANTHROPIC_DEFAULT_SONNET_MODEL: 'managed-sonnet' } }), project({ model: 'sonnet' }), user({ env: { ANTHROPIC_DEFAULT_SONNET_MODEL: 'user-sonnet' } })];
    expect(resolveModel(layers)).toEqual({ requested: 'sonnet', resolved: 'managed-sonnet', source: 'project:/w/p.model' });
  });

  it('a non-object env is ignored, a non-string env value is ignored', () => {
    const layers = [managed({ env: 'ANTHROPIC_MODEL=x' }), project({ env: { ANTHROPIC_MODEL: 7 } }), user({ env: { ANTHROPIC_MODEL: 'claude-u' } })];
    expect(resolveModel(layers)).toEqual({ requested: 'claude-u', resolved: 'claude-u', source: 'user.env.ANTHROPIC_MODEL' });
  });
});

describe('mapAlias: aliases, [1m], full and provider ids', () => {
  const E = env({ ...ALIASES, ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model', ANTHROPIC_DEFAULT_FABLE_MODEL: 'fable-model' });
  it.each([
    ['sonnet', 'sonnet-model'],
    ['opus', 'opus-model'],
    ['haiku', 'haiku-model'],
    ['fable', 'fable-model'], // B02
    ['best', 'opus-model'], // B04: best is opus
    ['SONNET', 'sonnet-model'], // A16: case-insensitive
    ['Opus', 'opus-model'], // X05
    [' sonnet ', 'sonnet-model'], // X01: trimmed
    // [1m] is stripped before sending, from the alias and from the mapped value
    ['sonnet[1m]', 'sonnet-model'], // A11
    ['opus[1M]', 'opus-model'],
    ['fable[1m]', 'fable-model'], // X14
    // opusplan outside plan mode runs the sonnet model (A06)
    ['opusplan', 'sonnet-model'],
    // `default` in a model key is not an alias: sent verbatim (A07, A08)
    ['default', 'default'],
    // a full id bypasses the alias mapping and is sent verbatim, minus [1m] (A14, A15, A17)
    ['claude-opus-4-5', 'claude-opus-4-5'],
    ['claude-opus-4-5[1m]', 'claude-opus-4-5'],
    ['my-custom-model', 'my-custom-model'],
    ['sonnet-model', 'sonnet-model'],
    // provider ids go verbatim too
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc', 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc'],
    ['claude-opus-4-1@20250805', 'claude-opus-4-1@20250805'],
    ['anthropic/claude-sonnet-4.5', 'anthropic/claude-sonnet-4.5'],
    ['sonnets', 'sonnets'],
  ])('%j → %j', (name, want) => {
    expect(mapAlias(name, E)).toBe(want);
  });

  it('unmapped aliases fall back to the built-in ids (A02–A05, B01, B03)', () => {
    const none = env({});
    expect(mapAlias('sonnet', none)).toBe(BUILTIN_MODELS.sonnet);
    expect(mapAlias('opus', none)).toBe(BUILTIN_MODELS.opus);
    expect(mapAlias('best', none)).toBe(BUILTIN_MODELS.opus);
    expect(mapAlias('haiku', none)).toBe(BUILTIN_MODELS.haiku);
    expect(mapAlias('haiku[1m]', none)).toBe(BUILTIN_MODELS.haiku);
    expect(mapAlias('fable', none)).toBe(BUILTIN_MODELS.fable);
    expect(mapAlias('opusplan', none)).toBe(BUILTIN_MODELS.sonnet);
    expect(mapAlias('default', none)).toBe('default');
  });

  it('X09: opusplan follows the sonnet mapping only', () => {
    expect(mapAlias('opusplan', env({ ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model' }))).toBe(BUILTIN_MODELS.sonnet);
  });

  it('E01–E03: ANTHROPIC_SMALL_FAST_MODEL does not map haiku; ANTHROPIC_DEFAULT_HAIKU_MODEL does', () => {
    expect(mapAlias('haiku', env({ ANTHROPIC_SMALL_FAST_MODEL: 'small-fast' }))).toBe(BUILTIN_MODELS.haiku);
    expect(mapAlias('haiku', env({ ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model' }))).toBe('haiku-model');
    expect(mapAlias('haiku', env({ ANTHROPIC_SMALL_FAST_MODEL: 'small-fast', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model' }))).toBe('haiku-model');
  });

  it('X10: an empty mapping is unset (the built-in id goes out)', () => {
    expect(mapAlias('sonnet', env({ ANTHROPIC_DEFAULT_SONNET_MODEL: '' }))).toBe(BUILTIN_MODELS.sonnet);
  });

  it('X12: an empty higher-level mapping masks a lower one, then counts as unset', () => {
    const layers = [project({ env: { ANTHROPIC_DEFAULT_SONNET_MODEL: '' } }), user({ model: 'sonnet', env: { ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model' } })];
    expect(resolveModel(layers)).toEqual({ requested: 'sonnet', resolved: BUILTIN_MODELS.sonnet, source: 'user.model' });
  });

  it('P07: the mapping is taken per key from the highest level', () => {
    const layers = [project({ env: { ANTHROPIC_DEFAULT_SONNET_MODEL: 'proj-sonnet' } }), user({ model: 'sonnet', env: { ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model' } })];
    expect(resolveModel(layers).resolved).toBe('proj-sonnet');
  });

  it('A12: a mapped value carrying [1m] is sent without it', () => {
    expect(mapAlias('sonnet', env({ ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-5[1m]' }))).toBe('claude-sonnet-4-5');
  });

  it('R01–R41: retired Opus 4.0/4.1 ids are the opus alias; other full ids, and a mapping value, go verbatim', () => {
    const mapped = env({ ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model' });
    for (const id of ['claude-opus-4-1', 'claude-opus-4-0', 'claude-opus-4-1-20250805', 'claude-opus-4-20250514', 'CLAUDE-OPUS-4-1', ' claude-opus-4-1 ', 'claude-opus-4-1[1m]']) {
      expect(mapAlias(id, mapped), id).toBe('opus-model');
    }
    expect(mapAlias('claude-opus-4-1', env({}))).toBe(BUILTIN_MODELS.opus);
    for (const id of ['claude-opus-4', 'claude-opus-4-0-20250514', 'claude-opus-4-1-latest', 'claude-opus-4-2', 'anthropic/claude-opus-4-1', 'claude-3-opus-20240229', 'claude-sonnet-4-0', 'claude-opus-4-5']) {
      expect(mapAlias(id, mapped), id).toBe(id);
    }
    // R41: the mapping's value is sent as it is, never mapped again.
    expect(mapAlias('opus', env({ ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude-opus-4-1' }))).toBe('claude-opus-4-1');
  });

  it('stripOneM strips only a trailing [1m]', () => {
    expect(stripOneM('a[1m]')).toBe('a');
    expect(stripOneM('a[1m]b')).toBe('a[1m]b');
    expect(stripOneM('a[2m]')).toBe('a[2m]');
  });
});

describe('effectiveEnv', () => {
  it('per key, the first layer in the list that sets it (callers list highest precedence first)', () => {
    const e = effectiveEnv([managed({ env: { A: 'm' } }), local({ env: { A: 'l', B: 'l' } }), user({ env: { B: 'u', C: 'u' } })]);
    expect(Object.fromEntries([...e].map(([k, v]) => [k, `${v.value}@${v.label}`]))).toEqual({ A: 'm@managed', B: 'l@local:/w/p', C: 'u@user' });
  });
});

describe('mappedModels: what the policy routes', () => {
  it('the alias mapping values, [1m] stripped', () => {
    expect([...mappedModels({ ...ALIASES, ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model[1m]', ANTHROPIC_BASE_URL: 'http://gw' }, [])].sort()).toEqual(['haiku-model', 'opus-model', 'sonnet-model']);
    expect([...mappedModels({ ANTHROPIC_DEFAULT_FABLE_MODEL: 'fable-model' }, [])]).toEqual(['fable-model']);
  });
  it('the deprecated ANTHROPIC_SMALL_FAST_MODEL still counts as routed', () => {
    expect([...mappedModels({ ANTHROPIC_SMALL_FAST_MODEL: 'small-fast' }, [])]).toEqual(['small-fast']);
  });
  it('ANTHROPIC_MODEL / ANTHROPIC_DEFAULT_MODEL count as what they resolve to', () => {
    expect([...mappedModels({ ...ALIASES, ANTHROPIC_MODEL: 'sonnet' }, [])].sort()).toEqual(['haiku-model', 'sonnet-model']);
    expect([...mappedModels({ ANTHROPIC_MODEL: 'claude-pinned' }, [])]).toEqual(['claude-pinned']);
    expect([...mappedModels({ ANTHROPIC_DEFAULT_MODEL: 'opus' }, [])]).toEqual([BUILTIN_MODELS.opus]);
    expect([...mappedModels({ ANTHROPIC_DEFAULT_MODEL: 'default', ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model' }, [])]).toEqual(['opus-model']);
  });
  it('allowedModels are added as given ([1m] stripped); empty values are skipped', () => {
    expect([...mappedModels({ ANTHROPIC_DEFAULT_SONNET_MODEL: '' }, ['claude-opus-4-1', 'x[1m]'])].sort()).toEqual(['claude-opus-4-1', 'x']);
  });
  it('an unmapped opus is not routed: the account default of the guide\'s setup is unmapped', () => {
    const mapped = mappedModels(ALIASES, []);
    expect(mapped.has(resolveModel([GATEWAY]).resolved!)).toBe(false);
    expect(mapped.has(resolveModel([GATEWAY, user({ model: 'sonnet' })]).resolved!)).toBe(true);
  });
});
