/**
 * What `ccfleet doctor` reports: a list of checks, each with a stable code, a status, what it was about
 * and how long it took. `--json` prints a DoctorReport; the exit code is 1 when any check is a problem.
 * Messages never hold a credential: only fingerprints (fp:…).
 */

/** ok: fine. warning: works, with something to look at. problem: breaks Claude Code. skipped: could not or need not run (the message says why). */
export type CheckStatus = 'ok' | 'warning' | 'problem' | 'skipped';

export type CheckCode =
  | 'policy-lint'
  | 'files-strict'
  | 'user-env'
  | 'user-claude'
  | 'gateway-reachable'
  | 'gateway-health'
  | 'gateway-models'
  | 'gateway-quota'
  | 'clock';

export interface DoctorCheck {
  code: CheckCode;
  status: CheckStatus;
  /** What was checked: a gateway base URL (without user info, query or fragment), a user name... */
  target?: string;
  /** The users the check concerns (e.g. whose Claude Code uses this gateway). */
  users?: string[];
  message: string;
  /** Wall time of the check, milliseconds. */
  ms: number;
}

export interface DoctorReport {
  /** No check is a problem (warnings and skipped checks do not fail the run). */
  ok: boolean;
  policy: { id: string; version: number };
  checks: DoctorCheck[];
  summary: { ok: number; warning: number; problem: number; skipped: number };
}

/** A check before its duration is known. */
export type CheckResult = Omit<DoctorCheck, 'ms'>;
