/**
 * A small realistic fleet for the dashboard tests, delivered the way agents deliver it: POST /v1/enroll,
 * then POST /v1/reports with `ccfleet.report/v1` documents (validated here with the real schema first).
 *
 * Nine devices: five compliant, two non-compliant (one with a hostile hostname), two stale (last report
 * 30 h and 3 days ago). Every non-stale device also reported five hours earlier, all compliant then —
 * so the trend falls from 100 % to 71 % (5 of 7 judged devices), and stale devices are not judged.
 */
import http from 'node:http';
import { REPORT_SCHEMA, reportSchema, type WireReportInput } from '../../src/core/report-schema.js';

export const HOSTILE = '<img src=x onerror=alert(1)>';

type Platform = 'linux' | 'darwin' | 'windows' | 'wsl';
type FileState = 'compliant' | 'drifted' | 'repaired' | 'missing' | 'unparseable' | 'unsafe' | 'error';

interface SeedUser {
  name: string;
  compliant: boolean;
  selected: string;
  requested?: string;
  source?: string;
  used?: string | null;
  claude?: string | null;
  findings?: Array<{ code: string; key?: string; message?: string }>;
  files?: Array<{ rel: string; scope: 'user' | 'project' | 'local'; state: FileState; findings?: Array<{ code: string; key?: string; message?: string }> }>;
}

export interface SeedDevice {
  id: string;
  hostname: string;
  platform: Platform;
  hoursAgo: number;
  users: SeedUser[];
  events?: Array<{ minutesBefore: number; kind: string; user?: string; path?: string; codes?: string[]; message?: string }>;
}

const SONNET = 'sonnet-model';
const HAIKU = 'haiku-model';
const OK_FILES: SeedUser['files'] = [{ rel: '.claude/settings.json', scope: 'user', state: 'compliant' }];

export const FLEET: SeedDevice[] = [
  { id: 'dev-alice-mbp', hostname: 'mbp-alice', platform: 'darwin', hoursAgo: 0.2, users: [{ name: 'alice', compliant: true, selected: SONNET, used: SONNET, files: OK_FILES }] },
  {
    id: 'dev-build-07',
    hostname: 'ws-build-07',
    platform: 'linux',
    hoursAgo: 0.5,
    users: [
      { name: 'bob', compliant: true, selected: SONNET, used: SONNET, files: [{ rel: '.claude/settings.json', scope: 'user', state: 'repaired', findings: [{ code: 'model-present', key: 'model', message: 'removed "model": "claude-opus-4-1-20250805"' }] }] },
      { name: 'carol', compliant: true, selected: HAIKU, requested: 'haiku', used: HAIKU, files: OK_FILES },
    ],
    events: [{ minutesBefore: 40, kind: 'drift-repaired', user: 'bob', path: '/home/bob/.claude/settings.json', codes: ['model'] }],
  },
  { id: 'dev-dan-tp', hostname: 'thinkpad-dan', platform: 'linux', hoursAgo: 1, users: [{ name: 'dan', compliant: true, selected: SONNET, used: HAIKU, files: OK_FILES }] },
  { id: 'dev-erin-win', hostname: 'WIN-ERIN-01', platform: 'windows', hoursAgo: 2, users: [{ name: 'erin', compliant: true, selected: SONNET, used: null, claude: null, files: OK_FILES }], events: [{ minutesBefore: 130, kind: 'policy-applied', message: 'policy fleet v3 applied' }] },
  {
    id: 'dev-fay-wsl',
    hostname: 'fay-wsl',
    platform: 'wsl',
    hoursAgo: 0.1,
    users: [{ name: 'fay', compliant: true, selected: SONNET, used: SONNET, files: OK_FILES }],
    events: [
      { minutesBefore: 20, kind: 'drift-repaired', user: 'fay', path: '/home/fay/work/app/.claude/settings.local.json', codes: ['env.ANTHROPIC_BASE_URL'] },
      { minutesBefore: 10, kind: 'drift-repaired', user: 'fay', path: '/home/fay/.claude/settings.json', codes: ['model'] },
    ],
  },
  {
    id: 'dev-frank-ws',
    hostname: 'ws-frank',
    platform: 'linux',
    hoursAgo: 0.3,
    users: [
      {
        name: 'frank',
        compliant: false,
        selected: 'claude-opus-4-1-20250805',
        requested: 'claude-opus-4-1-20250805',
        source: 'project:/home/frank/src/api/.claude/settings.json.model',
        used: 'claude-opus-4-1-20250805',
        findings: [{ code: 'model-not-mapped', key: 'model', message: 'a full model id bypasses the gateway aliases' }],
        files: [
          { rel: '.claude/settings.json', scope: 'user', state: 'compliant' },
          { rel: 'src/api/.claude/settings.json', scope: 'project', state: 'unparseable', findings: [{ code: 'not-strict-json', message: 'trailing comma at line 4' }] },
        ],
      },
    ],
    events: [{ minutesBefore: 25, kind: 'repair-failed', user: 'frank', path: '/home/frank/src/api/.claude/settings.json', codes: ['not-strict-json'] }],
  },
  {
    id: 'dev-hostile',
    hostname: HOSTILE,
    platform: 'linux',
    hoursAgo: 0.4,
    users: [
      {
        name: 'mallory',
        compliant: false,
        selected: '"><script>alert(2)</script>',
        used: 'claude-3-haiku</td><td>',
        findings: [{ code: 'env-mismatch', key: 'env.ANTHROPIC_BASE_URL', message: '<b>not</b> the gateway' }],
        files: [{ rel: '.claude/settings.json', scope: 'user', state: 'drifted', findings: [{ code: 'env-mismatch', key: 'env.ANTHROPIC_BASE_URL', message: '<svg onload=alert(3)>' }] }],
      },
    ],
  },
  { id: 'dev-gina-old', hostname: 'old-laptop-gina', platform: 'darwin', hoursAgo: 72, users: [{ name: 'gina', compliant: true, selected: SONNET, used: SONNET, files: OK_FILES }] },
  { id: 'dev-henry-mbp', hostname: 'mbp-henry', platform: 'darwin', hoursAgo: 30, users: [{ name: 'henry', compliant: false, selected: 'claude-opus-4-1', used: null, files: OK_FILES }] },
];

export const EXPECT = { devices: 9, compliant: 5, noncompliant: 2, stale: 2, ratio: '71%', users: 10, nonCompliantUsers: 3, driftRepairs24h: 3 };

const home = (p: Platform, user: string) => (p === 'darwin' ? `/Users/${user}` : p === 'windows' ? `C:\\Users\\${user}` : `/home/${user}`);

export function seedReport(d: SeedDevice, id: string, createdAt: Date, o: { allCompliant?: boolean } = {}): WireReportInput {
  const ok = (v: boolean) => (o.allCompliant ? true : v);
  const users = d.users.map((u) => ({
    name: u.name,
    compliant: ok(u.compliant),
    selectedModel: { requested: u.requested ?? 'sonnet', resolved: o.allCompliant ? SONNET : u.selected, source: u.source ?? 'managed.env.ANTHROPIC_DEFAULT_SONNET_MODEL' },
    findings: o.allCompliant ? [] : (u.findings ?? []),
    projects: [{ path: `${home(d.platform, u.name)}/src/api`, compliant: ok(u.compliant), selectedModel: { requested: u.requested ?? 'sonnet', resolved: o.allCompliant ? SONNET : u.selected, source: 'managed.env.ANTHROPIC_DEFAULT_SONNET_MODEL' }, findings: [] }],
    claude:
      u.claude === null
        ? { installs: [], version: null, installMethod: null, minVersion: '2.0.0', outdated: null }
        : { installs: [{ method: 'native', path: `${home(d.platform, u.name)}/.local/bin/claude`, version: u.claude ?? '2.1.332' }], version: u.claude ?? '2.1.332', installMethod: 'native', minVersion: '2.0.0', outdated: false },
    auth: { credential: 'gateway-key', source: 'managed:env.ANTHROPIC_API_KEY', fingerprint: 'fp:3f9a0c1d2e4b', apiKeyResponse: null, oauthLogin: false, headers: { authorization: null, xApiKey: 'gateway' }, claudeJson: 'ok' as const },
    lastUsedModel: u.used ? { served: u.used, requested: u.requested ?? 'sonnet', at: createdAt.toISOString(), cwd: `${home(d.platform, u.name)}/src/api`, mapped: true } : null,
  }));
  const files = [
    { path: '/etc/claude-code/managed-settings.d/50-ccfleet.json', scope: 'managed' as const, user: null, state: 'compliant' as const, findings: [] },
    ...d.users.flatMap((u) =>
      (u.files ?? []).map((f) => ({
        path: d.platform === 'windows' ? `${home(d.platform, u.name)}\\${f.rel.replaceAll('/', '\\')}` : `${home(d.platform, u.name)}/${f.rel}`,
        scope: f.scope,
        user: u.name,
        state: o.allCompliant ? ('compliant' as const) : f.state,
        findings: o.allCompliant ? [] : (f.findings ?? []),
      })),
    ),
  ];
  const at = (min: number) => new Date(createdAt.getTime() - min * 60_000).toISOString();
  const input: WireReportInput = {
    schema: REPORT_SCHEMA,
    id,
    deviceId: d.id,
    createdAt: createdAt.toISOString(),
    hostname: d.hostname,
    agentVersion: '0.1.0',
    os: { platform: d.platform, arch: d.platform === 'darwin' ? 'arm64' : 'x64', release: d.platform === 'darwin' ? '24.1.0' : '6.8.0-45-generic' },
    policy: { id: 'fleet', version: 3, digest: 'b'.repeat(64) },
    compliant: users.every((u) => u.compliant),
    managed: { compliant: true, dir: '/etc/claude-code', findings: [] },
    users,
    files,
    events: o.allCompliant ? [] : (d.events ?? []).map((e) => ({ at: at(e.minutesBefore), kind: e.kind, user: e.user ?? null, ...(e.path ? { path: e.path } : {}), ...(e.codes ? { codes: e.codes } : {}), ...(e.message ? { message: e.message } : {}) })),
  };
  reportSchema.parse(input);
  return input;
}

function post(url: string, body: unknown, token?: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const t = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(t);
        } catch {
          json = t;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** Enrols every device of `fleet` and posts its reports (an earlier all-compliant one, then the current one). */
export async function seedFleet(base: string, enrollSecret: string, fleet: readonly SeedDevice[] = FLEET, nowMs = Date.now()): Promise<void> {
  for (const d of fleet) {
    const e = await post(`${base}/v1/enroll`, { enrollSecret, deviceId: d.id, hostname: d.hostname });
    if (e.status !== 201) throw new Error(`enroll ${d.id}: ${e.status} ${JSON.stringify(e.json)}`);
    const token = (e.json as { token: string }).token;
    const reports: WireReportInput[] = [];
    if (d.hoursAgo < 24) reports.push(seedReport(d, `${d.id}-early`, new Date(nowMs - (d.hoursAgo + 5) * 3_600_000), { allCompliant: true }));
    reports.push(seedReport(d, `${d.id}-now`, new Date(nowMs - d.hoursAgo * 3_600_000)));
    for (const r of reports) {
      const p = await post(`${base}/v1/reports`, r, token);
      if (p.status !== 202) throw new Error(`report ${r.id}: ${p.status} ${JSON.stringify(p.json)}`);
    }
  }
}
