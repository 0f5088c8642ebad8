/** A small MachineReport (one user, one file) and ccfleet.report/v1 reports built from it, for the reporting tests. */
import type { MachineReport } from '../../src/agent/report-types.js';
import { buildReport, type BuildContext } from '../../src/agent/report/build-report.js';
import type { WireReport } from '../../src/core/report-schema.js';

export const POLICY_KEY = 'sk-bf-report-policy-key-0123456789abcdef';

export function sampleMachine(): MachineReport {
  const model = { requested: 'sonnet', resolved: 'sonnet-model', source: 'managed.env.ANTHROPIC_DEFAULT_SONNET_MODEL' };
  return {
    compliant: true,
    mode: 'check',
    policy: { id: 'p', version: 3 },
    platform: 'linux',
    managed: { compliant: true, dir: '/etc/claude-code', findings: [] },
    users: [
      {
        name: 'alice',
        home: '/home/alice',
        configDir: '/home/alice/.claude',
        compliant: true,
        selectedModel: model,
        findings: [],
        env: { ANTHROPIC_API_KEY: { value: 'fp:0123456789ab', source: 'managed' } },
        projects: [{ path: '/home/alice/api', compliant: true, selectedModel: model, findings: [] }],
        claude: { installs: [], version: null, installMethod: null, minVersion: null, outdated: null },
        auth: { credential: 'api-key', source: 'managed', fingerprint: 'fp:0123456789ab', apiKeyResponse: null, oauthLogin: false, headers: { authorization: null, xApiKey: 'api-key' }, claudeJson: 'absent' },
        lastUsedModel: null,
        usage: { filesRead: 0, filesSeen: 0 },
      },
    ],
    files: [{ path: '/home/alice/.claude/settings.json', scope: 'user', role: 'user', user: 'alice', state: 'compliant', compliant: true, findings: [] }],
    summary: { users: 1, files: 1, nonCompliantUsers: 0, repaired: 0, unsafe: 0, unparseable: 0, errors: 0 },
  };
}

export function sampleReport(extra: Partial<BuildContext> = {}, m: MachineReport = sampleMachine()): WireReport {
  return buildReport(m, {
    deviceId: '0b7d3c1e-1111-4222-8333-944445555666',
    hostname: 'laptop-1',
    agentVersion: '0.1.0',
    os: { platform: 'linux', arch: 'x64', release: '6.1.0' },
    policyDigest: null,
    events: [],
    eventsDropped: 0,
    spoolDropped: 0,
    now: new Date(),
    homePaths: 'full',
    homes: { alice: '/home/alice' },
    ...extra,
  });
}
