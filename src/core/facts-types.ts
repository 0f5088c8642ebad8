/**
 * Facts about a user that no settings file holds: which Claude Code is installed, which credential it
 * will use, and which model it really used lately. Gathered read-only by src/agent/facts/*, judged by the
 * pure functions in src/core/facts-*.ts, reported per user (`claude`, `auth`, `lastUsedModel`).
 * Never a key or token: credentials appear as fingerprints only.
 */

/** How a Claude Code install got there (the path tells; `.claude.json` → `installMethod` says which one runs). */
export type InstallMethod = 'native' | 'npm-global' | 'legacy-local' | 'homebrew' | 'winget' | 'system';

export interface ClaudeInstall {
  method: InstallMethod;
  /** Machine path of the install (the launcher or package folder). */
  path: string;
  /** From the path or the package's package.json; null when it cannot be told without running it. */
  version: string | null;
}

export interface ClaudeFacts {
  installs: ClaudeInstall[];
  /** The version a session most likely runs: the install `installMethod` names, else the newest found. */
  version: string | null;
  /** `.claude.json` → `installMethod` (native | global | local | unknown), as Claude Code recorded it. */
  installMethod: string | null;
  /** The policy's `minClaudeVersion`, when it has one. */
  minVersion: string | null;
  /** True when `version` is below `minVersion`; null when either is unknown. */
  outdated: boolean | null;
}

/** Which credential Claude Code ends up sending, in its own order. */
export type CredentialKind = 'cloud-provider' | 'auth-token' | 'api-key' | 'api-key-helper' | 'oauth-token' | 'oauth-login' | 'none';

export interface AuthFacts {
  credential: CredentialKind;
  /** The settings level that supplies it ("managed", "user", "project:/p"), "claude.json" for an OAuth login, null for none. */
  source: string | null;
  /** fp:… of the credential value (never the value); null for a helper, an OAuth login or none. */
  fingerprint: string | null;
  /** The helper command, when the credential is `apiKeyHelper` (a path, not a secret). */
  apiKeyHelper?: string;
  /**
   * When settings give an ANTHROPIC_API_KEY: the user's answer to Claude Code's "use this API key?" prompt,
   * matched on the key's last 20 characters in `customApiKeyResponses` (compared in memory only).
   */
  apiKeyResponse: 'approved' | 'rejected' | 'unanswered' | null;
  /** `.claude.json` holds an `oauthAccount` (a /login happened and was not logged out). */
  oauthLogin: boolean;
  /**
   * What `claude -p` puts in each header (docs/claude-code-wire-facts.md, K01–K09): `authorization` = the auth
   * token, else the helper's output; `x-api-key` = ANTHROPIC_API_KEY, else the helper's output. Two different
   * credentials on one request are ambiguous for a gateway.
   */
  headers: { authorization: CredentialKind | null; xApiKey: CredentialKind | null };
  /** Whether `.claude.json` could be read for these facts. */
  claudeJson: 'ok' | 'absent' | 'unreadable';
}

/** One assistant turn from a transcript: what was asked for and what was served. Never message content. */
export interface ModelUse {
  /** `message.model`: what the API returned (the wire id). */
  served: string;
  /** `requestedModel` without `[1m]`: what Claude Code asked for (recent versions only), else null. */
  requested: string | null;
  /** ISO timestamp of the line. */
  at: string;
  /** The session's working folder (`cwd` of the line), machine path, or null. */
  cwd: string | null;
}

export interface UsageScan {
  /** Model uses from the newest transcripts, newest first, one per (session, served, requested) — bounded. */
  uses: ModelUse[];
  /** Transcript files whose tail was read. */
  filesRead: number;
  /** Transcript files seen (listed) in total, read or not. */
  filesSeen: number;
  /** Why the scan was limited or failed, when it was: "unsafe", "unreadable", "no-transcripts"… */
  note?: string;
}

export interface LastUsedModel extends ModelUse {
  /** Whether `served` (or `requested`) is a model the policy maps. */
  mapped: boolean;
}
