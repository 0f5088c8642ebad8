/** A BOM we refuse to write (bad entry list) or cannot read (not a BOM, or a structure out of bounds). */
export type BomErrorCode =
  /** Not a BOMStore file, or an unsupported version. */
  | 'BOM_NOT_BOM'
  /** A block, tree node or field runs past the end of the file or of its block. */
  | 'BOM_TRUNCATED'
  /** A structure that is in bounds but makes no sense (bad tree magic, unknown entry type, loop). */
  | 'BOM_CORRUPT'
  /** An entry list we cannot write: duplicate or relative path, missing parent, value out of range. */
  | 'BOM_BAD_ENTRY';

export class BomError extends Error {
  readonly code: BomErrorCode;
  constructor(code: BomErrorCode, message: string) {
    super(message);
    this.name = 'BomError';
    this.code = code;
  }
}
