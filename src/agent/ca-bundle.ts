/**
 * The agent config's `caFile`: extra certificate authorities (PEM) trusted on top of Node's defaults for
 * the agent's own HTTPS (policy, reports) — a server behind a company CA. Returns the full trust list to
 * hand to undici (`ca`), or undefined (Node's defaults) when no file is named. A missing, unreadable or
 * garbage file is a configuration error (CONFIG_INVALID, exit 2) naming the field, before any request.
 */
import { CcfleetError, isCcfleetError } from '../core/errors.js';
import { readCaFile, trustedRoots } from './doctor/ca.js';

export function trustFromCaFile(file: string | undefined, field = 'caFile'): string[] | undefined {
  if (file === undefined) return undefined;
  try {
    return trustedRoots(readCaFile(file));
  } catch (e) {
    // readCaFile speaks of doctor's `--ca` option; here the file comes from the agent config.
    const message = isCcfleetError(e) ? e.message.replace(/^--ca /, '') : String(e);
    throw new CcfleetError('CONFIG_INVALID', `${field}: ${message}`, { cause: e });
  }
}
