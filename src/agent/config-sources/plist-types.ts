/** Shared types, errors and bounds of the plist parsers (plist.ts, plist-xml.ts, plist-binary.ts). */
export type PlistValue = string | number | boolean | Date | Uint8Array | PlistValue[] | { [key: string]: PlistValue };

export type PlistErrorCode =
  | 'plist-too-large'
  | 'plist-bad-magic'
  | 'plist-unsupported-version'
  | 'plist-truncated'
  | 'plist-bad-trailer'
  | 'plist-bad-offset'
  | 'plist-bad-ref'
  | 'plist-bad-marker'
  | 'plist-bad-string'
  | 'plist-bad-key'
  | 'plist-duplicate-key'
  | 'plist-int-range'
  | 'plist-too-deep'
  | 'plist-too-many-objects'
  | 'plist-cycle'
  | 'plist-bad-encoding'
  | 'plist-xml-syntax'
  | 'plist-xml-entity'
  | 'plist-xml-doctype'
  | 'plist-bad-value';

export class PlistError extends Error {
  readonly code: PlistErrorCode;
  constructor(code: PlistErrorCode, message: string) {
    super(message);
    this.name = 'PlistError';
    this.code = code;
  }
}

/** Bounds: a managed-preferences plist is a few hundred bytes; these leave room and stop anything hostile. */
export const PLIST_LIMITS = {
  /** Largest input accepted, in bytes. */
  maxBytes: 1 << 20,
  /** Deepest nesting of arrays/dicts. */
  maxDepth: 32,
  /** Values produced in total (counts shared binary objects each time they are reached: no DAG blow-up). */
  maxNodes: 100_000,
} as const;

/** Sets a key on a plain object without invoking a `__proto__` setter (keys come from the file). */
export function setKey(obj: { [key: string]: PlistValue }, key: string, value: PlistValue): void {
  if (Object.prototype.hasOwnProperty.call(obj, key)) throw new PlistError('plist-duplicate-key', `key "${key}" appears twice in one dict`);
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
