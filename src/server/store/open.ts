/**
 * `openStore(url)`: the server's one way to get a Store. `postgres://…` / `postgresql://…` is PostgreSQL
 * (a pg Pool; replicas may share the database); anything else is a SQLite file (folder made 0700, file
 * 0600; `:memory:` for tests). Migrations run before it resolves. Each implementation is loaded only
 * when chosen. Errors: USAGE (bad URL or options), STORE_UNAVAILABLE (cannot open or reach; retryable
 * for PostgreSQL), STORE_SCHEMA (database newer than this ccfleet, or a migration failed) — messages
 * never carry the URL's password.
 */
import { storeOptions } from './options.js';
import { parseStoreUrl } from './store-url.js';
import type { Store, StoreOptions } from './types.js';

export async function openStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  storeOptions(opts);
  const target = parseStoreUrl(url);
  if (target.kind === 'postgres') {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(target.url, opts);
  }
  const { openSqliteStore } = await import('./sqlite.js');
  return openSqliteStore(target.path, opts);
}
