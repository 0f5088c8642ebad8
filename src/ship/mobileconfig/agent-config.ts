/**
 * Profile 1: the agent configuration through managed preferences. A payload whose PayloadType is the
 * preference domain `com.ccfleet.agent` is compiled by macOS into
 * /Library/Managed Preferences/com.ccfleet.agent.plist, which the agent reads (after --config and the
 * platform config file; Payload* keys are ignored). Keys are agent.json's.
 */
import { profileXml, type Dict } from './profile.js';

export const AGENT_DOMAIN = 'com.ccfleet.agent';

export interface AgentConfigProfileInput {
  server?: string;
  enrollSecret?: string;
  policy?: string;
  policyPublicKeys?: readonly string[];
  organization?: string;
}

export const AGENT_CONFIG_SAMPLE: Required<Omit<AgentConfigProfileInput, 'policy'>> = {
  server: 'https://fleet.example.com',
  enrollSecret: 'REPLACE-WITH-THE-ENROLLMENT-SECRET',
  policyPublicKeys: ['REPLACE-WITH-THE-POLICY-PUBLIC-KEY (ccfleet policy keygen prints it)'],
  organization: 'Example Corp IT',
};

export function agentConfigProfile(input: AgentConfigProfileInput = AGENT_CONFIG_SAMPLE): string {
  const content: Dict = {
    server: input.server,
    enrollSecret: input.enrollSecret,
    policy: input.policy,
    policyPublicKeys: input.policyPublicKeys ? [...input.policyPublicKeys] : undefined,
  };
  return profileXml({
    identifier: 'com.ccfleet.profile.agent-config',
    displayName: 'ccfleet agent configuration',
    description: 'Server, enrollment secret and policy signing keys for the ccfleet agent (managed preferences domain com.ccfleet.agent).',
    organization: input.organization ?? AGENT_CONFIG_SAMPLE.organization,
    payloads: [
      {
        type: AGENT_DOMAIN,
        identifier: 'com.ccfleet.profile.agent-config.prefs',
        displayName: 'ccfleet agent settings',
        content,
      },
    ],
  });
}
