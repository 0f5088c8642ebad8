/**
 * The macOS managed-preferences channel: the machine-wide domain `com.ccfleet.agent`, which macOS writes
 * to `/Library/Managed Preferences/com.ccfleet.agent.plist` (root-owned) from a configuration profile
 * (Jamf "Application & Custom Settings", Kandji/Intune custom profiles). XML or binary plist. Top-level
 * `Payload*` keys are profile bookkeeping some MDMs leave in the compiled file; they are dropped.
 * Every other key must be an agent config key (schema-checked by the caller).
 */
import fs from 'node:fs';
import { CcfleetError } from '../../core/errors.js';
import { parsePlist, PLIST_LIMITS, PlistError, type PlistValue } from './plist.js';

export const MANAGED_PREFS_PLIST = '/Library/Managed Preferences/com.ccfleet.agent.plist';

/** The plist's top-level dict without profile bookkeeping, or null when the file does not exist. */
export function readManagedPrefs(hostPath: string, label: string): { [k: string]: PlistValue } | null {
  let bytes: Buffer;
  try {
    bytes = readBounded(hostPath, PLIST_LIMITS.maxBytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (e instanceof PlistError) throw new CcfleetError('CONFIG_INVALID', `${label}: ${e.code}: ${e.message}`);
    throw new CcfleetError('CONFIG_INVALID', `${label}: cannot read (${code ?? (e as Error).message})`);
  }
  let value: PlistValue;
  try {
    value = parsePlist(bytes);
  } catch (e) {
    if (e instanceof PlistError) throw new CcfleetError('CONFIG_INVALID', `${label}: ${e.code}: ${e.message}`);
    throw e;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date || value instanceof Uint8Array) {
    throw new CcfleetError('CONFIG_INVALID', `${label}: the top level must be a dict`);
  }
  const out: { [k: string]: PlistValue } = {};
  for (const [k, v] of Object.entries(value)) {
    if (/^Payload[A-Z]/.test(k)) continue;
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Reads a regular file of at most `max` bytes (a FIFO or a huge file is refused before reading). */
function readBounded(file: string, max: number): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new PlistError('plist-bad-magic', 'not a regular file');
    if (st.size > max) throw new PlistError('plist-too-large', `${st.size} bytes (at most ${max})`);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < st.size) {
      const got = fs.readSync(fd, buf, n, st.size - n, n);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}
