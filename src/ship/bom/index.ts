/** BOM (bill of materials) writer and reader for flat macOS packages. */
export { cksum, Cksum } from './cksum.js';
export { BomError, type BomErrorCode } from './errors.js';
export { readBom, type ReadBom, type ReadEntry, type BomTree } from './read.js';
export { BOM_VARS, type BomEntry, type BomEntryType } from './types.js';
export { writeBom, orderEntries, LEAF_CAPACITY } from './write.js';
