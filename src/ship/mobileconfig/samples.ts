/**
 * The profile files the macOS build writes to dist/installers/macos-profiles/. Those that do not depend
 * on a build (every file but the cdhash one) are also committed in installers/macos/profiles/ and a
 * test keeps the two identical.
 */
import { agentConfigProfile } from './agent-config.js';
import { loginItemsProfile } from './login-items.js';
import { cdhashRequirement, identifierRequirement, pppcProfile } from './pppc.js';

export const SAMPLE_FILES = {
  agentConfig: 'ccfleet-agent-config.mobileconfig',
  fullDiskAccess: 'ccfleet-full-disk-access.mobileconfig',
  fullDiskAccessCdhash: 'ccfleet-full-disk-access-cdhash.mobileconfig',
  backgroundItem: 'ccfleet-background-item.mobileconfig',
} as const;

/** The build-independent profiles, by file name. */
export function committedProfiles(): Record<string, string> {
  return {
    [SAMPLE_FILES.agentConfig]: agentConfigProfile(),
    [SAMPLE_FILES.fullDiskAccess]: pppcProfile({ codeRequirement: identifierRequirement() }),
    [SAMPLE_FILES.backgroundItem]: loginItemsProfile(),
  };
}

/** Every profile of a build; the cdhash one only when the binaries' cdhashes are known. */
export function buildProfiles(cdhashes: readonly string[]): Record<string, string> {
  const out = committedProfiles();
  if (cdhashes.length > 0) {
    out[SAMPLE_FILES.fullDiskAccessCdhash] = pppcProfile({ codeRequirement: cdhashRequirement(cdhashes), variant: 'cdhash' });
  }
  return out;
}
