/**
 * The facts of one user that no settings file holds, gathered read-only after the settings pass:
 * installed Claude Code versions (from paths and package files, never by running anything) and the model
 * really used (the tails of the newest transcripts). The credential facts are pure (src/core/facts-auth.ts)
 * and computed with the session verdict.
 */
import type { ClaudeFacts, ClaudeInstall, LastUsedModel } from '../core/facts-types.js';
import { claudeFacts, claudeFindings } from '../core/facts-version.js';
import { lastUsedModel, usageFindings } from '../core/facts-usage.js';
import { mappedModels } from '../core/model.js';
import type { Policy } from '../core/policy-schema.js';
import type { Finding } from '../core/types.js';
import type { DiscoveredUser } from '../platform/discover.js';
import type { FsView, Platform } from '../platform/types.js';
import { findClaudeInstalls } from './facts/claude-installs.js';
import { scanTranscripts } from './facts/transcripts.js';

export interface FactsDeps {
  platform: Platform;
  fs: FsView;
  host: (machinePath: string) => string;
  /** Machine-wide installs (npm system prefixes, Homebrew, WinGet), found once per pass. */
  systemInstalls: readonly ClaudeInstall[];
  now: Date;
}

export interface UserFacts {
  claude: ClaudeFacts;
  lastUsedModel: LastUsedModel | null;
  usage: { filesRead: number; filesSeen: number; note?: string };
  findings: Finding[];
}

/** `owner`: as root, the uid every transcript folder and file must belong to (null: we are that user). */
export function gatherUserFacts(du: DiscoveredUser, policy: Policy, deps: FactsDeps, owner: { uid: number } | null): UserFacts {
  const installs = [...findClaudeInstalls(deps.platform, deps.fs, du.user.home), ...deps.systemInstalls];
  const claude = claudeFacts(installs, du.claudeJsonFacts.installMethod, policy.minClaudeVersion ?? null);
  const scan = scanTranscripts(deps.host(du.configDir), { owner });
  const mapped = mappedModels(policy.env, policy.allowedModels);
  return {
    claude,
    lastUsedModel: lastUsedModel(scan, mapped),
    usage: { filesRead: scan.filesRead, filesSeen: scan.filesSeen, ...(scan.note ? { note: scan.note } : {}) },
    findings: [...claudeFindings(claude), ...usageFindings(scan, mapped, deps.now)],
  };
}
