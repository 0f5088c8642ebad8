/**
 * The POSIX `cksum` CRC (CRC-32/CKSUM): polynomial 0x04C11DB7 fed most-significant bit first, initial
 * value 0, the data followed by its length (least significant byte first, only as many bytes as the
 * length needs), result inverted. This is the checksum a BOM records for a file's content and for a
 * symlink's target (what Apple's mkbom, bomutils and Fleet's Go writer compute; `cksum` prints it).
 */
const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** Incremental form, for content read in chunks: `update` each chunk, then `digest(totalLength)`. */
export class Cksum {
  private crc = 0;
  private length = 0;

  update(chunk: Uint8Array): this {
    let crc = this.crc;
    for (let i = 0; i < chunk.length; i++) crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ chunk[i]!) & 0xff]!) >>> 0;
    this.crc = crc;
    this.length += chunk.length;
    return this;
  }

  digest(): number {
    let crc = this.crc;
    for (let n = this.length; n > 0; n = Math.floor(n / 256)) crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ n) & 0xff]!) >>> 0;
    return ~crc >>> 0;
  }
}

export function cksum(data: Uint8Array): number {
  return new Cksum().update(data).digest();
}
