/**
 * Realistic `ccfleet.report/v1` reports for the store tests and measurements (~3 KB with the default two
 * users): validated with the real schema, so what the store keeps is what the server would keep.
 */
import { reportSchema, REPORT_SCHEMA, type WireReport, type WireReportInput } from '../../src/core/report-schema.js';

export interface FixtureUser {
  name: string;
  compliant?: boolean;
  selected?: string | null;
  used?: string | null;
}

export interface FixtureEvent {
  at: string;
  kind: string;
  user?: string | null;
  path?: string;
  codes?: string[];
  message?: string;
}

export interface FixtureReport {
  id: string;
  deviceId: string;
  createdAt: string;
  hostname?: string;
  compliant?: boolean;
  users?: FixtureUser[];
  events?: FixtureEvent[];
  repairedFiles?: number;
  policyVersion?: number;
}

const DEFAULT_USERS: FixtureUser[] = [
  { name: 'alice', compliant: true, selected: 'claude-sonnet-4-5', used: 'claude-sonnet-4-5' },
  { name: 'bob', compliant: true, selected: 'claude-sonnet-4-5', used: 'claude-opus-4-1' },
];

export function makeReportInput(f: FixtureReport): WireReportInput {
  const users = f.users ?? DEFAULT_USERS;
  const home = (u: string) => `/home/${u}`;
  return {
    schema: REPORT_SCHEMA,
    id: f.id,
    deviceId: f.deviceId,
    createdAt: f.createdAt,
    hostname: f.hostname ?? `host-${f.deviceId}`,
    agentVersion: '0.1.0',
    os: { platform: 'linux', arch: 'x64', release: '6.8.0-45-generic' },
    policy: { id: 'acme-bifrost', version: f.policyVersion ?? 7, digest: 'a'.repeat(64) },
    compliant: f.compliant ?? users.every((u) => u.compliant !== false),
    managed: { compliant: true, dir: '/etc/claude-code', findings: [] },
    users: users.map((u) => ({
      name: u.name,
      compliant: u.compliant !== false,
      selectedModel: { requested: u.selected ?? null, resolved: u.selected ?? null, source: `managed:/etc/claude-code/managed-settings.json` },
      findings: u.compliant === false ? [{ code: 'model-not-allowed', key: 'model', message: `model ${u.selected ?? '?'} is not allowed by the policy`, blocking: true }] : [],
      projects: [
        {
          path: `${home(u.name)}/src/service-api`,
          compliant: u.compliant !== false,
          selectedModel: { requested: null, resolved: u.selected ?? null, source: 'user:~/.claude/settings.json' },
          findings: [],
        },
      ],
      claude: {
        installs: [{ method: 'native', path: `${home(u.name)}/.local/bin/claude`, version: '2.1.332' }],
        version: '2.1.332',
        installMethod: 'native',
        minVersion: '2.0.0',
        outdated: false,
      },
      auth: {
        credential: 'gateway-key',
        source: 'managed:env.ANTHROPIC_AUTH_TOKEN',
        fingerprint: 'fp:3f9a0c1d2e4b',
        apiKeyResponse: null,
        oauthLogin: false,
        headers: { authorization: 'gateway', xApiKey: null },
        claudeJson: 'ok',
      },
      lastUsedModel: u.used === undefined || u.used === null ? null : { served: u.used, requested: u.selected ?? null, at: f.createdAt, cwd: `${home(u.name)}/src/service-api`, mapped: false },
    })),
    files: [
      { path: '/etc/claude-code/managed-settings.json', scope: 'managed', user: null, state: 'compliant', compliant: true, findings: [] },
      ...users.flatMap((u, i) => [
        {
          path: `${home(u.name)}/.claude/settings.json`,
          scope: 'user' as const,
          user: u.name,
          state: i < (f.repairedFiles ?? 0) ? ('repaired' as const) : ('compliant' as const),
          compliant: true,
          findings: i < (f.repairedFiles ?? 0) ? [{ code: 'model-key-removed', key: 'model', message: 'removed a model key the policy forbids' }] : [],
        },
        { path: `${home(u.name)}/src/service-api/.claude/settings.json`, scope: 'project' as const, user: u.name, project: `${home(u.name)}/src/service-api`, state: 'compliant' as const, compliant: true, findings: [] },
      ]),
    ],
    events: f.events ?? [],
    eventsDropped: 0,
    spoolDropped: 0,
  };
}

export function makeReport(f: FixtureReport): WireReport {
  return reportSchema.parse(makeReportInput(f));
}
