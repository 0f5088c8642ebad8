/**
 * `<state dir>/daemon/status.json`: what the running daemon last saw — policy in force, machine verdict,
 * watch health, contested files, recent events. Written atomically after every pass (root-only, 0600), so
 * an admin, a script or an MDM detection rule can read it without talking to the process.
 */
import path from 'node:path';
import type { MachineReport } from '../report-types.js';
import { ensurePrivateDir, writePrivateFileAtomic } from '../private-file.js';
import type { DaemonEvent } from './events.js';

export interface DaemonStatus {
  pid: number;
  deviceId: string | null;
  startedAt: string;
  at: string;
  passes: number;
  policy: { id: string; version: number; digest: string; keyId: string | null; source: string; expired: boolean } | null;
  compliant: boolean | null;
  summary: MachineReport['summary'] | null;
  watch: { folders: number; degraded: { folders: string[]; reason: string } | null };
  contested: string[];
  /** As root: the long-lived as-user write children (alive now, started since the daemon started). */
  writeChildren?: { alive: number; started: number };
  events: DaemonEvent[];
}

export const statusPath = (stateDir: string): string => path.join(stateDir, 'daemon', 'status.json');

export function writeStatus(stateDir: string, s: DaemonStatus): void {
  const file = statusPath(stateDir);
  ensurePrivateDir(path.dirname(file));
  writePrivateFileAtomic(file, `${JSON.stringify(s, null, 2)}\n`);
}
