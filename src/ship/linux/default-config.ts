/**
 * The default agent.json of the Linux packages, shipped as /usr/share/ccfleet/agent.json.default and copied
 * to /etc/ccfleet/agent.json by the install scripts only when that file does not exist (an MDM-dropped or
 * edited file is never replaced, and nothing ever prompts). Every key is commented out, so it parses to
 * `{}`: a valid config that names no policy source. The daemon then exits 2 ("no policy"), which the unit
 * does not restart; ccfleet-config.path starts it once IT writes a real config. JSONC, like every agent
 * config. Changing this text changes only what new installs get.
 */
export const DEFAULT_AGENT_CONFIG = `// ccfleet agent configuration (JSONC: comments and trailing commas are allowed).
//
// Nothing is enforced until a policy source is set: "server" (the ccfleet server: enrollment, the signed
// policy, reports) or "policy" (a file path or http(s) URL of the policy). When this file changes, the
// service reloads (or starts) by itself; 'systemctl reload ccfleet' does the same by hand, and a change of
// "server" needs 'systemctl restart ccfleet'. Keep this file mode 0600 root: the enrollment secret is a
// credential. Unknown keys are errors. See docs/install-linux.md.
{
  // "server": "https://fleet.example.com",
  // "enrollSecret": "<enrollment secret>",
  // "policy": "https://cdn.example.com/claude-code-policy.json",
  // "policyPublicKeys": ["<ed25519 public key>"],
  // "logLevel": "info"
}
`;
