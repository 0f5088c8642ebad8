/** StoreOptions with their defaults, checked once for both implementations. */
import { CcfleetError } from '../../core/errors.js';
import type { StoreOptions } from './types.js';

export function storeOptions(opts: StoreOptions): { staleHours: number; now: () => Date } {
  const staleHours = opts.staleHours ?? 24;
  if (typeof staleHours !== 'number' || !Number.isFinite(staleHours) || staleHours <= 0) {
    throw new CcfleetError('USAGE', `staleHours must be a positive number (got ${String(opts.staleHours)})`);
  }
  return { staleHours, now: opts.now ?? (() => new Date()) };
}
