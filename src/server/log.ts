/** What the server logs through (src/agent/log.ts's Logger fits). Never called per successful request. */
export interface ServerLog {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

export const silentLog: ServerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
