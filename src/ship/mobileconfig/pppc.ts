/**
 * Profile 2: Privacy Preferences Policy Control (com.apple.TCC.configuration-profile-policy) granting
 * Full Disk Access (SystemPolicyAllFiles) to the daemon. A root LaunchDaemon is still subject to TCC:
 * without it the daemon cannot read projects under ~/Documents, ~/Desktop, ~/Downloads or iCloud
 * Drive. Only an MDM can deliver this payload (user-approved or ADE enrollment); a hand-installed copy
 * is refused by macOS.
 *
 * TCC grants to a path only if the binary there satisfies CodeRequirement. Our binary is ad-hoc signed
 * (no Apple certificate), so the requirement is one of:
 * - `cdhash H"…"` (cdhashRequirement): exactly this build's binaries — one cdhash per architecture,
 *   or'ed. Nothing else can ever match, but every release has new cdhashes, so this profile must be
 *   re-pushed with each package version (until it is, the upgraded daemon runs without Full Disk
 *   Access and reports the folders it cannot read as errors).
 * - `identifier "com.ccfleet.agent"` (identifierRequirement): survives upgrades, but any ad-hoc
 *   signed binary carrying that identifier matches. The path is root-only, so replacing the binary
 *   already needs root — yet root alone does not get Full Disk Access on macOS, and this grant would
 *   hand it over to whatever root put there.
 * With a Developer ID certificate, sign the binary and use
 * `identifier "com.ccfleet.agent" and anchor apple generic and certificate leaf[subject.OU] = "TEAMID"`
 * — strict and upgrade-proof (pass it as `codeRequirement`).
 */
import { profileXml } from './profile.js';

export const DAEMON_BINARY = '/Library/Application Support/ccfleet/bin/ccfleet';
export const SIGNING_IDENTIFIER = 'com.ccfleet.agent';

export function cdhashRequirement(cdhashes: readonly string[]): string {
  if (cdhashes.length === 0) throw new Error('cdhashRequirement needs at least one cdhash');
  for (const h of cdhashes) if (!/^[0-9a-f]{40}$/i.test(h)) throw new Error(`cdhash ${JSON.stringify(h)} is not 40 hex digits`);
  return [...new Set(cdhashes.map((h) => h.toLowerCase()))].map((h) => `cdhash H"${h}"`).join(' or ');
}

export function identifierRequirement(identifier = SIGNING_IDENTIFIER): string {
  if (!/^[A-Za-z0-9.-]+$/.test(identifier)) throw new Error(`identifier ${JSON.stringify(identifier)} has characters a requirement cannot quote`);
  return `identifier "${identifier}"`;
}

export interface PppcProfileInput {
  codeRequirement: string;
  binary?: string;
  organization?: string;
  /** Distinguishes the cdhash variant's identifiers from the identifier variant's. */
  variant?: string;
}

export function pppcProfile(input: PppcProfileInput): string {
  const variant = input.variant ? `.${input.variant}` : '';
  return profileXml({
    identifier: `com.ccfleet.profile.full-disk-access${variant}`,
    displayName: 'ccfleet agent: Full Disk Access',
    description: 'Lets the ccfleet daemon read Claude Code settings in project folders under Documents, Desktop, Downloads and iCloud Drive.',
    organization: input.organization ?? 'Example Corp IT',
    payloads: [
      {
        type: 'com.apple.TCC.configuration-profile-policy',
        identifier: `com.ccfleet.profile.full-disk-access${variant}.tcc`,
        displayName: 'Privacy Preferences Policy Control',
        content: {
          Services: {
            SystemPolicyAllFiles: [
              {
                Identifier: input.binary ?? DAEMON_BINARY,
                IdentifierType: 'path',
                CodeRequirement: input.codeRequirement,
                StaticCode: false,
                Authorization: 'Allow',
                Comment: 'ccfleet daemon: reads and repairs Claude Code settings in every project folder',
              },
            ],
          },
        },
      },
    ],
  });
}
