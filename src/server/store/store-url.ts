/**
 * What `--store` names: `postgres://…` / `postgresql://…` is PostgreSQL; plain paths (or `:memory:`),
 * `sqlite:<path>` / `sqlite://<path>` (so `sqlite:///var/lib/x.db` is absolute) and `file:` URLs are a
 * SQLite file. Any other `scheme://` is refused rather than becoming a
 * file called `mysql:`. URLs are shown only through `redactStoreUrl` (never a password).
 */
import { fileURLToPath } from 'node:url';
import { CcfleetError } from '../../core/errors.js';

export type StoreTarget = { kind: 'postgres'; url: string } | { kind: 'sqlite'; path: string };

export function parseStoreUrl(raw: string): StoreTarget {
  const url = raw.trim();
  if (url === '') throw new CcfleetError('USAGE', 'the store URL is empty (a SQLite file path or postgres://…)');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres', url };
  if (scheme === 'sqlite') {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw new CcfleetError('USAGE', 'sqlite: store URL names no file');
    return { kind: 'sqlite', path };
  }
  if (scheme === 'file') {
    try {
      return { kind: 'sqlite', path: fileURLToPath(url) };
    } catch (e) {
      throw new CcfleetError('USAGE', `not a usable file: URL for the store: ${redactStoreUrl(url)}`, { cause: e });
    }
  }
  if (scheme !== undefined && scheme.length > 1 && url.slice(scheme.length).startsWith('://')) {
    throw new CcfleetError('USAGE', `unsupported store URL scheme "${scheme}:" (use a SQLite file path or postgres://…)`);
  }
  return { kind: 'sqlite', path: url };
}

/** The URL without its password (and without a query, which may carry one too). */
export function redactStoreUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password !== '') u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1];
    return scheme === undefined ? '(store URL)' : `${scheme}://…`;
  }
}

/** An error message from a driver with any occurrence of the URL's password masked. */
export function scrubSecret(message: string, raw: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(raw).password);
  } catch {
    return message;
  }
  return password.length >= 3 ? message.split(password).join('***') : message;
}
