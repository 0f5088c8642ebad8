/**
 * Shared shapes of the pure core: settings scopes, findings, file states and the model a session gets.
 * These are the words of the contract (shared/design/CONTRACT.md); keep them stable.
 */

/** Where a settings file sits in Claude Code's hierarchy. */
export type Scope = 'managed' | 'user' | 'project' | 'local';

/** What a file is to ccfleet: the drop-in we own, a managed file someone else owns, or a user-side file. */
export type FileRole = 'ccfleet-dropin' | 'managed-main' | 'managed-dropin' | 'user' | 'project' | 'local';

/** The state of one file, as `check` sees it or as `repair` left it. */
export type FileState = 'compliant' | 'drifted' | 'repaired' | 'missing' | 'unparseable' | 'unsafe' | 'error';

/**
 * A finding: a stable kebab-case code, optionally the settings key it is about, and whether it breaks
 * compliance (`blocking`). Informational findings (a comment in a file Claude Code ignores anyway) are
 * reported but do not make a user non-compliant.
 */
export interface Finding {
  code: string;
  key?: string;
  message?: string;
  blocking?: boolean;
}

/** The model a session will use: what was asked for, what goes on the wire, and which setting decided. */
export interface SelectedModel {
  requested: string | null;
  resolved: string | null;
  source: string;
}

/** How a settings text parses, as Claude Code would see it. */
export type TextKind = 'absent' | 'strict' | 'jsonc' | 'invalid';

export type JsonObject = { [key: string]: unknown };
