export { nameUuid, profileValue, profileXml, type Payload, type ProfileInput } from './profile.js';
export { agentConfigProfile, AGENT_CONFIG_SAMPLE, AGENT_DOMAIN, type AgentConfigProfileInput } from './agent-config.js';
export { pppcProfile, cdhashRequirement, identifierRequirement, DAEMON_BINARY, SIGNING_IDENTIFIER } from './pppc.js';
export { loginItemsProfile, DAEMON_LABEL } from './login-items.js';
export { buildProfiles, committedProfiles, SAMPLE_FILES } from './samples.js';
