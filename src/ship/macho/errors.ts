/**
 * A Mach-O file we cannot parse or sign. Verification never throws this for a bad signature — a bad
 * signature is a verdict (see verify.ts); this is for input that is not a Mach-O we handle at all.
 */
export type MachoErrorCode =
  /** Not a Mach-O (nor a fat/universal) file. */
  | 'MACHO_NOT_MACHO'
  /** A Mach-O we do not handle: 32-bit, big-endian, or a CPU we do not ship. */
  | 'MACHO_UNSUPPORTED'
  /** A header, load command or blob runs past the end of its container. */
  | 'MACHO_TRUNCATED'
  /** The layout cannot be signed: no __TEXT/__LINKEDIT, data after the signature, no room for a load command. */
  | 'MACHO_LAYOUT'
  /** A bad argument (identifier). */
  | 'MACHO_USAGE';

export class MachoError extends Error {
  readonly code: MachoErrorCode;
  constructor(code: MachoErrorCode, message: string) {
    super(message);
    this.name = 'MachoError';
    this.code = code;
  }
}
