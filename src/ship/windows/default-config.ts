/**
 * The agent.json the MSI installs when C:\ProgramData\ccfleet\agent.json does not exist yet (its
 * component is NeverOverwrite and Permanent: an existing file is never replaced by this one, and
 * uninstalling leaves it). Every key is commented out, so it parses to `{}`. The SERVER_URL,
 * ENROLL_SECRET, POLICY_URL and POLICY_PUBLIC_KEYS properties replace the whole file when given.
 * ASCII only (the file may be edited with Notepad in any code page).
 */
export const WINDOWS_DEFAULT_AGENT_CONFIG = `// ccfleet agent configuration (JSONC: comments and trailing commas are allowed).
//
// Nothing is enforced until a policy source is set: "server" (the ccfleet server: enrollment, the signed
// policy, reports) or "policy" (a file path or http(s) URL of the policy). Values set by policy in the
// registry (HKLM\\SOFTWARE\\Policies\\ccfleet) win over this file, key by key. The ccfleet service retries
// every few minutes until a policy source is configured; 'Restart-Service ccfleet' applies a change at
// once. Only SYSTEM and Administrators can read this folder: the enrollment secret is a credential.
// Unknown keys are errors. See docs/install-windows.md.
{
  // "server": "https://fleet.example.com",
  // "enrollSecret": "<enrollment secret>",
  // "policy": "https://cdn.example.com/claude-code-policy.json",
  // "policyPublicKeys": ["<ed25519 public key>"],
  // "logLevel": "info"
}
`.replace(/\n/g, '\r\n');
