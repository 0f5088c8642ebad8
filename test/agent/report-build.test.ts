/**
 * buildReport: a `check --json` document of a real fixture machine becomes a ccfleet.report/v1 report that
 * the server's own schema accepts — only what the schema carries, a new id each time, `~` paths with the
 * policy's `report.homePaths: 'tilde'`, bounded, never a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineReport } from '../../src/agent/report-types.js';
import { buildReport, type BuildContext } from '../../src/agent/report/build-report.js';
import { homeRewriter } from '../../src/agent/report/home-paths.js';
import { RAW_SECRET, reportSchema } from '../../src/core/report-schema.js';
import { fixture, SECRET, type Fixture } from '../cli/e2e-fixture.js';

const ctx = (m: MachineReport, extra: Partial<BuildContext> = {}): BuildContext => ({
  deviceId: '0b7d3c1e-1111-4222-8333-944445555666',
  hostname: 'laptop-1',
  agentVersion: '0.1.0',
  os: { platform: 'linux', arch: 'x64', release: '6.1.0' },
  policyDigest: 'a'.repeat(64),
  events: [],
  eventsDropped: 0,
  spoolDropped: 0,
  now: new Date('2030-01-02T03:04:05.000Z'),
  homePaths: 'full',
  homes: Object.fromEntries(m.users.map((u) => [u.name, u.home])),
  ...extra,
});

describe('buildReport', () => {
  let f: Fixture;
  let m: MachineReport;
  beforeAll(() => {
    f = fixture('linux', [{ name: 'alice' }, { name: 'bob' }]);
    f.put('/home/alice/.claude.json', JSON.stringify({ projects: { '/home/alice/api': {}, '/home/bob/shared': {} } }));
    f.put('/home/alice/api/.claude/settings.json', JSON.stringify({ model: 'claude-opus-4-5' }));
    f.put('/home/bob/shared/.claude/settings.local.json', JSON.stringify({ env: { ANTHROPIC_MODEL: 'opus' } }));
    f.put('/home/bob/.claude/settings.json', JSON.stringify({ env: { ANTHROPIC_API_KEY: 'sk-bf-a-user-key-0123456789abcdef' } }));
    f.put('/home/alice/.claude/projects/-home-alice-api/s.jsonl', JSON.stringify({ type: 'assistant', timestamp: new Date().toISOString(), cwd: '/home/alice/api', message: { model: 'sonnet-model' } }) + '\n');
    const r = f.json('check');
    m = r.json as MachineReport;
  });
  afterAll(() => f.cleanup());

  it('passes the server schema, carries only what it defines, and gets a new id each time', () => {
    const a = buildReport(m, ctx(m));
    expect(reportSchema.parse(a)).toEqual(a); // nothing the schema would strip or add
    const b = buildReport(m, ctx(m));
    expect(b.id).not.toBe(a.id);
    expect(a).toMatchObject({ schema: 'ccfleet.report/v1', deviceId: '0b7d3c1e-1111-4222-8333-944445555666', createdAt: '2030-01-02T03:04:05.000Z', compliant: m.compliant, policy: { id: 'e2e', version: 1, digest: 'a'.repeat(64) } });
    const text = JSON.stringify(a);
    for (const dropped of ['"edits"', '"env"', '"home"', '"configDir"', '"usage"', '"role"', '"summary"', '"mode"']) expect(text).not.toContain(dropped);
    const alice = a.users.find((u) => u.name === 'alice')!;
    expect(alice.lastUsedModel).toMatchObject({ served: 'sonnet-model', cwd: '/home/alice/api' });
    expect(a.files.map((x) => x.path)).toContain('/home/alice/api/.claude/settings.json');
  });

  it('never carries a secret: the policy key, a user key, or a raw key smuggled into a path', () => {
    const planted: MachineReport = JSON.parse(JSON.stringify(m));
    planted.files[0]!.findings.push({ code: 'x', message: `found sk-ant-api03-abcdefghijklmnopqrstuvwxyz in a file, and Bearer abcdefghijklmnopqrstuvwxyz012345` });
    const a = buildReport(planted, ctx(planted, { events: [{ at: '2030-01-01T00:00:00.000Z', kind: 'drift-repaired', user: 'alice', path: '/home/alice/sk-abcdefghijklmnop0123/x.json' }] }));
    const text = JSON.stringify(a);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('sk-bf-a-user-key');
    expect(RAW_SECRET.test(text)).toBe(false);
    expect(text).toMatch(/found fp:[0-9a-f]{12} in a file, and fp:[0-9a-f]{12}/);
    expect(reportSchema.safeParse(a).success).toBe(true);
  });

  it("homePaths 'tilde': every path under a home is ~/… for its user, ~name/… for another user's", () => {
    const a = buildReport(m, ctx(m, { homePaths: 'tilde', events: [{ at: '2030-01-01T00:00:00.000Z', kind: 'drift-repaired', user: 'alice', path: '/home/alice/api/.claude/settings.json', message: 'removed model from /home/alice/api/.claude/settings.json' }] }));
    expect(reportSchema.safeParse(a).success).toBe(true);
    const text = JSON.stringify(a);
    expect(text).not.toContain('/home/alice');
    expect(text).not.toContain('/home/bob');
    const alice = a.users.find((u) => u.name === 'alice')!;
    expect(alice.projects.map((p) => p.path).sort()).toEqual(['~/api', '~bob/shared']);
    expect(alice.lastUsedModel?.cwd).toBe('~/api');
    expect(alice.projects.find((p) => p.path === '~/api')!.selectedModel.source).toMatch(/^(project|local):~\/api\b/);
    expect(a.files.map((x) => x.path)).toEqual(expect.arrayContaining(['~/api/.claude/settings.json', '~/.claude/settings.json', '/etc/claude-code/managed-settings.d/50-ccfleet.json']));
    expect(a.events[0]).toMatchObject({ path: '~/api/.claude/settings.json', message: 'removed model from ~/api/.claude/settings.json' });
    // 'full' leaves them as they are.
    expect(JSON.stringify(buildReport(m, ctx(m)))).toContain('"/home/alice/api"');
  });

  it('home rewriting: only whole path components; Windows homes in either case and slash', () => {
    const posix = homeRewriter({ al: '/home/al', root: '/root/' }, false);
    expect(posix('/home/al/x', 'al')).toBe('~/x');
    expect(posix('/home/al', 'al')).toBe('~');
    expect(posix('/home/alice/x', 'al')).toBe('/home/alice/x');
    expect(posix('project:/home/al/p.model', 'al')).toBe('project:~/p.model');
    expect(posix('/srv/home/al/x', 'al')).toBe('/srv/home/al/x');
    expect(posix('/root/.claude', null)).toBe('~root/.claude');
    const win = homeRewriter({ a: 'C:\\Users\\a' }, true);
    expect(win('C:\\Users\\a\\p', 'a')).toBe('~\\p');
    expect(win('c:/users/a/p', 'a')).toBe('~/p');
    expect(win('C:\\Users\\ab\\p', 'a')).toBe('C:\\Users\\ab\\p');
  });

  it('cuts what exceeds the schema bounds, so the server never refuses a report for its size', () => {
    const big: MachineReport = JSON.parse(JSON.stringify(m));
    const u = big.users[0]!;
    u.findings = Array.from({ length: 500 }, (_, i) => ({ code: `c${i}`, message: 'x'.repeat(5000), key: 'k'.repeat(900) }));
    u.claude.installs = Array.from({ length: 100 }, () => ({ method: 'native' as const, path: '/p'.repeat(3000), version: '1'.repeat(100) }));
    u.selectedModel = { requested: 'm'.repeat(300), resolved: null, source: 's'.repeat(2000) };
    const events = Array.from({ length: 1500 }, (_, i) => ({ at: 'not a time', kind: 'k'.repeat(100), codes: Array.from({ length: 80 }, () => `c${i}`) }));
    const a = buildReport(big, ctx(big, { hostname: 'h'.repeat(400), events, eventsDropped: 3, spoolDropped: 7, policyDigest: 'nope' }));
    expect(reportSchema.safeParse(a).error?.issues ?? []).toEqual([]);
    expect(a.users[0]!.findings).toHaveLength(200);
    expect(a.events).toHaveLength(1000);
    expect(a.eventsDropped).toBe(3 + 500);
    expect(a.spoolDropped).toBe(7);
    expect(a.policy?.digest).toBeNull();
    expect(a.events[0]!.at).toBe('2030-01-02T03:04:05.000Z');
  });
});
