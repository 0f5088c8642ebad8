/**
 * The shape of `check --json` / `repair --json` (shared/design/CONTRACT.md). Fields beyond the contract
 * are additions; nothing the contract lists may be removed or renamed.
 */
import type { Scope, FileRole, FileState, Finding, SelectedModel } from '../core/types.js';
import type { Edit } from '../core/plan-settings.js';
import type { AuthFacts, ClaudeFacts, LastUsedModel } from '../core/facts-types.js';

export interface FileReport {
  path: string;
  scope: Scope;
  role: FileRole;
  user: string | null;
  /** The project folder the file belongs to (project and local files). */
  project?: string;
  state: FileState;
  compliant: boolean;
  findings: Finding[];
  /** What repair changed or would change. */
  edits?: Edit[];
  error?: string;
}

export type EnvView = Record<string, { value: string; source: string } | null>;

export interface SessionReport {
  selectedModel: SelectedModel;
  compliant: boolean;
  findings: Finding[];
}

export interface ProjectReport extends SessionReport {
  path: string;
  /** Which level wins for each policy env key — present only when it differs from the user's home session. */
  env?: EnvView;
}

export interface UserReport extends SessionReport {
  /** Which level wins for each policy env key in a session in the home folder (values of secrets as fingerprints). */
  env: EnvView;
  name: string;
  home: string;
  configDir: string;
  projects: ProjectReport[];
  /** Claude Code installs and the version a session most likely runs (read from paths and package files). */
  claude: ClaudeFacts;
  /** Which credential the settings of a session in the home give Claude Code (fingerprints only). */
  auth: AuthFacts;
  /** The newest model use in the user's transcripts (null when none was found). */
  lastUsedModel: LastUsedModel | null;
  /** How much of the transcripts was looked at. */
  usage: { filesRead: number; filesSeen: number; note?: string };
}

export interface MachineReport {
  compliant: boolean;
  mode: 'check' | 'repair' | 'dry-run';
  policy: { id: string; version: number };
  platform: string;
  managed: { compliant: boolean; dir: string; findings: Finding[] };
  users: UserReport[];
  files: FileReport[];
  summary: { users: number; files: number; nonCompliantUsers: number; repaired: number; unsafe: number; unparseable: number; errors: number };
}
