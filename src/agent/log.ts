/**
 * The daemon's log, on winston.
 *
 *   file     JSON lines {"timestamp","level","msg","meta"?} in `logDir`/`fileName` (default ccfleet.log),
 *            rotated by size (`maxSizeBytes`, default 5 MiB) keeping at most `maxFiles` files (default 5:
 *            ccfleet.log, the live one, then ccfleet1.log … ccfleet4.log, oldest last — winston's tailable
 *            naming). The transport is log-file.ts, not winston's File transport: that one loses lines
 *            in bursts (see there).
 *            Permissions: the folder is created 0750 and log files are opened 0640 (an existing live file
 *            is tightened to 0640): root, and the admin group the service runs with, may read them;
 *            users may not — a log names every user's files and fingerprints of the fleet's credentials.
 *            The folder is the platform's root-owned log folder, never a user-controlled path.
 *   console  'plain': `LEVEL msg key=value …` lines; 'json': the file's JSON lines; always on STDERR
 *            (stdout is for --json output). For the foreground and systemd/launchd, which timestamp it.
 *
 * Redaction (src/core/redact.ts) happens before any transport sees a line: registered secrets
 * (`addSecrets`: the policy's credential values), `sk-…` keys, bearer tokens, API-key headers, URL user
 * info and the values of secret-looking meta keys become fingerprints, in the message and anywhere in the
 * meta, Error messages and stacks included.
 *
 * `close()` ends the log and resolves once the files have been written (SIGTERM: log, close, exit);
 * lines logged after it are dropped. A failing transport (disk full) never throws into the caller: one
 * line about it goes to stderr.
 */
import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import { CcfleetError } from '../core/errors.js';
import { createRedactor } from '../core/redact.js';
import { RotatingFileTransport } from './log-file.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogMeta = Record<string, unknown>;

export interface Logger {
  error(msg: string, meta?: LogMeta): void;
  warn(msg: string, meta?: LogMeta): void;
  info(msg: string, meta?: LogMeta): void;
  debug(msg: string, meta?: LogMeta): void;
  /** Values to fingerprint wherever they appear (cumulative). */
  addSecrets(values: readonly string[]): void;
  /** Flush and close; resolves once every line logged before it is in the files. Idempotent. */
  close(): Promise<void>;
}

export interface LogOptions {
  /** Folder of the JSON-lines files; null: no file. */
  logDir: string | null;
  /** Lines to stderr: plain text, JSON lines, or none. */
  console: 'plain' | 'json' | false;
  /** Default 'info'. */
  level?: LogLevel;
  /** Rotate past this size. Default 5 MiB. */
  maxSizeBytes?: number;
  /** Files kept, the live one included (≥ 2). Default 5. */
  maxFiles?: number;
  /** Default ccfleet.log. */
  fileName?: string;
}

const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
/** How long close() waits for the files before giving up (a wedged log must not hold up SIGTERM). */
const CLOSE_TIMEOUT_MS = 500;

interface Entry {
  timestamp: string;
  level: string;
  message: string;
  meta?: unknown;
}

const jsonLine = (e: Entry): string =>
  JSON.stringify({ timestamp: e.timestamp, level: e.level, msg: e.message, ...(e.meta === undefined ? {} : { meta: e.meta }) });

export function createLogger(o: LogOptions): Logger {
  const level = o.level ?? 'info';
  if (!Object.hasOwn(LEVELS, level)) throw new CcfleetError('CONFIG_INVALID', `log level must be one of ${Object.keys(LEVELS).join(', ')} (got ${String(level)})`);
  const redactor = createRedactor();
  const transports: winston.transport[] = [];
  const files: RotatingFileTransport[] = [];
  let reported = false;
  const report = (err: unknown): void => {
    if (reported) return;
    reported = true;
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ccfleet: the log cannot be written: ${redactor.text(msg)}\n`);
  };

  if (o.logDir !== null) {
    const file = openFileTransport(o, (err) => {
      reported = false; // one line per failure streak of the file
      report(err);
    });
    transports.push(file);
    files.push(file);
  }
  if (o.console !== false) {
    const plain = o.console === 'plain';
    transports.push(new winston.transports.Stream({
      stream: process.stderr,
      eol: '\n',
      format: winston.format.printf((info) => (plain ? plainLine(info as unknown as Entry) : jsonLine(info as unknown as Entry))),
    }));
  }

  const w = transports.length === 0 ? null : winston.createLogger({ levels: LEVELS, level, transports, exitOnError: false });
  w?.on('error', report);

  let closed = false;
  let closing: Promise<void> | null = null;
  const log = (lvl: LogLevel) => (msg: string, meta?: LogMeta): void => {
    if (w === null || closed || LEVELS[lvl] > LEVELS[level]) return;
    const m = meta === undefined ? undefined : redactor.value(meta);
    const hasMeta = typeof m === 'object' && m !== null && Object.keys(m).length > 0;
    w.log({ level: lvl, message: redactor.text(String(msg)), timestamp: new Date().toISOString(), ...(hasMeta ? { meta: m } : {}) });
  };

  return {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    addSecrets: (values) => redactor.addSecrets(values),
    close() {
      closed = true;
      closing ??= w === null ? Promise.resolve() : endAndWait(w, files);
      return closing;
    },
  };
}

function openFileTransport(o: LogOptions, onError: (err: Error) => void): RotatingFileTransport {
  const dir = o.logDir as string;
  const maxSize = o.maxSizeBytes ?? 5 * 1024 * 1024;
  const maxFiles = o.maxFiles ?? 5;
  const fileName = o.fileName ?? 'ccfleet.log';
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new CcfleetError('CONFIG_INVALID', `log maxSizeBytes must be a positive integer (got ${maxSize})`);
  if (!Number.isInteger(maxFiles) || maxFiles < 2) throw new CcfleetError('CONFIG_INVALID', `log maxFiles must be an integer ≥ 2: the live file and one rotated (got ${maxFiles})`);
  if (fileName !== path.basename(fileName) || fileName === '' || fileName === '.' || fileName === '..') {
    throw new CcfleetError('CONFIG_INVALID', `log fileName must be a plain file name (got ${JSON.stringify(fileName)})`);
  }
  try {
    if (fs.mkdirSync(dir, { recursive: true, mode: 0o750 }) !== undefined) fs.chmodSync(dir, 0o750);
  } catch (err) {
    throw new CcfleetError('WRITE_FAILED', `cannot create the log folder ${dir}: ${(err as Error).message}`, { cause: err, exitCode: 1 });
  }
  try {
    fs.chmodSync(path.join(dir, fileName), 0o640); // a live file from before: tighten it
  } catch {
    // absent (the usual case) or not ours to change
  }
  return new RotatingFileTransport({
    dir, fileName, maxSize, maxFiles, onError,
    format: winston.format.printf((info) => jsonLine(info as unknown as Entry)),
  });
}

/** End the logger, wait for every file transport to have taken its last line ('finish'), close the files. */
async function endAndWait(w: winston.Logger, files: readonly RotatingFileTransport[]): Promise<void> {
  const finished = files.map((t) => new Promise<void>((resolve) => {
    t.once('finish', () => resolve());
    t.once('error', () => resolve());
  }));
  w.end();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    timer.unref(); // never what keeps the process alive
  });
  await Promise.race([Promise.all(finished), timeout]);
  clearTimeout(timer);
  for (const f of files) f.closeFile();
}

/** `LEVEL msg key=value …`, one line whatever the message holds (no forged lines). */
export function plainLine(e: { level: string; message: string; meta?: unknown }): string {
  let line = `${e.level.toUpperCase()} ${escapeControl(e.message)}`;
  if (typeof e.meta === 'object' && e.meta !== null && !Array.isArray(e.meta)) {
    for (const [k, v] of Object.entries(e.meta)) line += ` ${escapeControl(k)}=${plainValue(v)}`;
  }
  return line;
}

const escapeControl = (s: string): string =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

function plainValue(v: unknown): string {
  if (typeof v === 'string') return v === '' || /[\s"=\\]|[^\x20-\x7e]/.test(v) ? JSON.stringify(v) : v;
  if (v === undefined) return 'undefined';
  return JSON.stringify(v) ?? String(v);
}
