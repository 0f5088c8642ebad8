/**
 * Property lists, as macOS writes managed preferences (`/Library/Managed Preferences/<domain>.plist`): XML
 * (`<?xml …><plist>`) or binary (`bplist00`). `parsePlist(bytes)` is pure over the bytes and bounded
 * (size, depth, object count): a malformed, oversized or hostile file is a `PlistError` with a stable
 * kebab-case `code` (tests assert the code, never the prose) — never a hang, a crash or a huge allocation.
 *
 * Values: dict → plain object, array → array, string → string, integer/real → number (an integer outside
 * ±2^53 is `plist-int-range`), true/false → boolean, date → Date, data → Uint8Array. Sets, UIDs and null
 * (NSKeyedArchiver-only objects) are refused.
 */
import { parseBinaryPlist } from './plist-binary.js';
import { PLIST_LIMITS, PlistError, type PlistValue } from './plist-types.js';
import { parseXmlPlist } from './plist-xml.js';

export { PLIST_LIMITS, PlistError, type PlistErrorCode, type PlistValue } from './plist-types.js';

const BPLIST = [0x62, 0x70, 0x6c, 0x69, 0x73, 0x74]; // "bplist"

/** Parses an XML or binary property list. Throws PlistError. */
export function parsePlist(bytes: Uint8Array): PlistValue {
  if (bytes.length > PLIST_LIMITS.maxBytes) throw new PlistError('plist-too-large', `${bytes.length} bytes (at most ${PLIST_LIMITS.maxBytes})`);
  if (BPLIST.every((b, i) => bytes[i] === b)) {
    if (bytes[6] !== 0x30 || bytes[7] !== 0x30) throw new PlistError('plist-unsupported-version', 'only binary plist version 00 is read');
    return parseBinaryPlist(bytes);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new PlistError('plist-bad-encoding', 'neither a binary plist nor UTF-8 text');
  }
  if (!/^\ufeff?\s*</.test(text)) throw new PlistError('plist-bad-magic', 'not a property list (no "bplist00" and no XML)');
  return parseXmlPlist(text.replace(/^\ufeff/, ''));
}
