/**
 * Profile 3: managed background items (com.apple.servicemanagement, macOS 13+). Since Ventura every
 * LaunchDaemon appears under System Settings › General › Login Items › "Allow in the Background",
 * where an admin user can switch it off. A rule matching the job's label marks it managed: the switch
 * is locked on and the user is not notified. Rule types Apple defines: Label, LabelPrefix,
 * BundleIdentifier, BundleIdentifierPrefix, TeamIdentifier — the last needs a Developer ID, which an
 * ad-hoc signed binary does not have, so the label is the rule here.
 */
import { profileXml } from './profile.js';

export const DAEMON_LABEL = 'com.ccfleet.agent';

export function loginItemsProfile(input: { label?: string; organization?: string } = {}): string {
  return profileXml({
    identifier: 'com.ccfleet.profile.background-item',
    displayName: 'ccfleet agent: managed background item',
    description: 'Keeps the ccfleet daemon allowed in the background; users cannot switch it off in Login Items.',
    organization: input.organization ?? 'Example Corp IT',
    payloads: [
      {
        type: 'com.apple.servicemanagement',
        identifier: 'com.ccfleet.profile.background-item.rules',
        displayName: 'Managed Login Items',
        content: {
          Rules: [{ RuleType: 'Label', RuleValue: input.label ?? DAEMON_LABEL, Comment: 'ccfleet LaunchDaemon' }],
        },
      },
    ],
  });
}
