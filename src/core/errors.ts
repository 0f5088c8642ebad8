/**
 * Every failure ccfleet reports carries a stable code (tests and scripts assert the code, never the
 * prose), the exit code the CLI should use, and whether trying again could help.
 */
export type ErrorCode =
  | 'USAGE'
  | 'POLICY_NOT_FOUND'
  | 'POLICY_UNREADABLE'
  | 'POLICY_PARSE'
  | 'POLICY_INVALID'
  | 'POLICY_SIGNATURE'
  | 'CONFIG_INVALID'
  | 'ROOT_UNREADABLE'
  | 'PLATFORM_UNSUPPORTED'
  | 'WRITE_REFUSED'
  | 'WRITE_FAILED'
  | 'VERIFY_FAILED'
  | 'BACKUP_NOT_FOUND'
  /** The server's store cannot be opened or reached (retryable when the database may come back). */
  | 'STORE_UNAVAILABLE'
  /** The store's schema is newer than this ccfleet, or a migration failed. */
  | 'STORE_SCHEMA'
  /** A report for a device the store has never enrolled. */
  | 'DEVICE_UNKNOWN'
  /** A fleet query the store refuses (bad cursor, time, limit). */
  | 'INVALID_QUERY'
  | 'INTERNAL';

export class CcfleetError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, opts: { exitCode?: number; retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CcfleetError';
    this.code = code;
    this.exitCode = opts.exitCode ?? 2;
    this.retryable = opts.retryable ?? false;
  }
}

export const isCcfleetError = (e: unknown): e is CcfleetError => e instanceof CcfleetError;
