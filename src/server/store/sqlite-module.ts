/**
 * node:sqlite, loaded when a SQLite store is opened (never at bundle start, so other commands do not pay
 * for it) and without the one-line "SQLite is an experimental feature" warning Node 22 prints on first
 * load: the server's stderr stays clean, and no other warning is touched.
 */
type SqliteModule = typeof import('node:sqlite');

let loaded: SqliteModule | undefined;

export function sqliteModule(): SqliteModule {
  if (loaded !== undefined) return loaded;
  const emit = process.emitWarning;
  process.emitWarning = function filtered(this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof rest[0] === 'string' ? rest[0] : typeof warning === 'string' ? '' : warning.name;
    if (/SQLite is an experimental feature/.test(text) || (type === 'ExperimentalWarning' && /sqlite/i.test(text))) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = process.getBuiltinModule('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
  return loaded;
}
