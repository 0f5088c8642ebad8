import type { Store, StoreOptions } from './types.js';
import { CcfleetError } from '../../core/errors.js';
export async function openPostgresStore(_url: string, _opts: StoreOptions = {}): Promise<Store> {
  throw new CcfleetError('STORE_UNAVAILABLE', 'PostgreSQL store: not yet');
}
