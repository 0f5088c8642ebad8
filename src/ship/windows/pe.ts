/**
 * Just enough of the PE format to tell whether an executable already carries an Authenticode signature:
 * the certificate table (data directory 4 of the optional header) is non-empty. Bounds are checked; a
 * file that is not a PE image is an error.
 */
export function peHasSignature(b: Uint8Array): boolean {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const need = (end: number) => {
    if (end > b.length) throw new Error('not a PE image (truncated)');
  };
  need(0x40);
  if (b[0] !== 0x4d || b[1] !== 0x5a) throw new Error('not a PE image (no MZ header)');
  const pe = v.getUint32(0x3c, true);
  need(pe + 24);
  if (v.getUint32(pe, true) !== 0x0000_4550) throw new Error('not a PE image (no PE signature)');
  const opt = pe + 24;
  need(opt + 2);
  const magic = v.getUint16(opt, true);
  const dirs = magic === 0x20b ? opt + 112 : magic === 0x10b ? opt + 96 : -1;
  if (dirs < 0) throw new Error(`not a PE image (optional header magic 0x${magic.toString(16)})`);
  const count = v.getUint32(dirs - 4, true);
  if (count <= 4) return false;
  need(dirs + 5 * 8);
  return v.getUint32(dirs + 4 * 8 + 4, true) > 0;
}
