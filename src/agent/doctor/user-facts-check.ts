/**
 * `user-claude`: per user, what the facts (src/core/facts-*.ts) say about the Claude Code that will run —
 *   problem  no credential at all ("Not logged in"), or the policy's API key rejected at the prompt
 *   warning  Claude Code older than the policy's minimum, two credentials on one request, a recent session
 *            that asked for a model the policy does not map, or only an OAuth login to send to the gateway
 *   ok       otherwise (with the version, credential and last model used in the message)
 * Pure over a `check`-mode report; fingerprints only.
 */
import type { MachineReport } from '../report-types.js';
import type { CheckResult } from './types.js';

export function userClaudeChecks(report: MachineReport): CheckResult[] {
  return report.users.map((u) => {
    const problems: string[] = [];
    const warnings: string[] = [];
    const has = (code: string) => u.findings.filter((f) => f.code === code);
    if (u.auth.credential === 'none') problems.push('no credential: Claude Code says "Not logged in"');
    if (has('key-rejected').length) problems.push('the policy\'s API key was rejected at Claude Code\'s prompt: interactive sessions do not send it');
    if (u.auth.credential === 'oauth-login') warnings.push('only a claude.ai login to send to the gateway');
    if (u.claude.outdated) warnings.push(`Claude Code ${u.claude.version} is older than the policy's minimum ${u.claude.minVersion}`);
    if (has('credential-ambiguous').length) warnings.push('two different credentials go out on each request');
    for (const f of has('model-override-used')) warnings.push(`recent sessions asked for ${f.key}, which the policy does not map`);
    const facts = [
      u.claude.version ? `Claude Code ${u.claude.version}` : u.claude.installs.length ? 'Claude Code (version unknown)' : 'no Claude Code install found',
      `credential ${u.auth.credential}${u.auth.fingerprint ? ` ${u.auth.fingerprint}` : ''}`,
      u.lastUsedModel ? `last used ${u.lastUsedModel.served}` : 'no recent use found',
    ].join(', ');
    const base = { code: 'user-claude' as const, target: u.name, users: [u.name] };
    if (problems.length) return { ...base, status: 'problem' as const, message: [...problems, ...warnings].join('; ') + ` (${facts})` };
    if (warnings.length) return { ...base, status: 'warning' as const, message: warnings.join('; ') + ` (${facts})` };
    return { ...base, status: 'ok' as const, message: facts };
  });
}
