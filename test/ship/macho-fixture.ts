// Tiny Mach-O executables built byte by byte for the signing tests (independent of src/ship/macho,
// so the parser and signer are checked against a writer they do not share code with).

export const ARM64 = 0x0100000c;
export const X86_64 = 0x01000007;

export interface FixtureOptions {
  cputype?: number;
  /** MH_EXECUTE (2) unless set (6 = MH_DYLIB). */
  filetype?: number;
  /** Bytes of code in __text (pseudo-random, so every page differs). */
  codeBytes?: number;
  /** Bytes of __LINKEDIT data before any signature. */
  linkeditBytes?: number;
  /** An existing signature blob: adds LC_CODE_SIGNATURE and puts these bytes at the end of __LINKEDIT. */
  signature?: Uint8Array;
  /** false: the first section starts right after the load commands (no room for another command). */
  headerRoom?: boolean;
  /** Bytes appended after __LINKEDIT (not covered by any segment). */
  trailing?: number;
  seed?: number;
}

export interface Fixture {
  bin: Uint8Array;
  textSize: number;
  codeOffset: number;
  linkeditOffset: number;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

function fill(b: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < b.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
}

function segname(v: DataView, at: number, name: string): void {
  for (let i = 0; i < name.length; i++) v.setUint8(at + i, name.charCodeAt(i));
}

export function machoFixture(o: FixtureOptions = {}): Fixture {
  const cputype = o.cputype ?? ARM64;
  const codeBytes = o.codeBytes ?? 5000;
  const linkeditBytes = o.linkeditBytes ?? 1000;
  const pg = cputype === ARM64 ? 0x4000 : 0x1000;
  const cmds = [72, 72 + 80, 72, ...(o.signature ? [16] : [])];
  const sizeofcmds = cmds.reduce((a, b) => a + b, 0);
  const lcEnd = 32 + sizeofcmds;
  const codeOffset = o.headerRoom === false ? lcEnd : 0x1000;
  const textSize = align(codeOffset + codeBytes, pg);
  const sigOff = align(textSize + linkeditBytes, 16);
  const linkeditSize = o.signature ? sigOff + o.signature.length - textSize : linkeditBytes;
  const fileSize = textSize + linkeditSize + (o.trailing ?? 0);
  const bin = new Uint8Array(fileSize);
  const v = new DataView(bin.buffer);
  const le = true;
  v.setUint32(0, 0xfeedfacf, le);
  v.setUint32(4, cputype, le);
  v.setUint32(8, cputype === ARM64 ? 0 : 3, le);
  v.setUint32(12, o.filetype ?? 2, le);
  v.setUint32(16, cmds.length, le);
  v.setUint32(20, sizeofcmds, le);
  v.setUint32(24, 0x00200085, le); // NOUNDEFS | DYLDLINK | TWOLEVEL | PIE
  let at = 32;
  // __PAGEZERO
  v.setUint32(at, 0x19, le);
  v.setUint32(at + 4, 72, le);
  segname(v, at + 8, '__PAGEZERO');
  v.setBigUint64(at + 32, 0x100000000n, le);
  at += 72;
  // __TEXT with one section
  const base = 0x100000000n;
  v.setUint32(at, 0x19, le);
  v.setUint32(at + 4, 72 + 80, le);
  segname(v, at + 8, '__TEXT');
  v.setBigUint64(at + 24, base, le);
  v.setBigUint64(at + 32, BigInt(textSize), le);
  v.setBigUint64(at + 40, 0n, le);
  v.setBigUint64(at + 48, BigInt(textSize), le);
  v.setUint32(at + 56, 5, le);
  v.setUint32(at + 60, 5, le);
  v.setUint32(at + 64, 1, le);
  const sect = at + 72;
  segname(v, sect, '__text');
  segname(v, sect + 16, '__TEXT');
  v.setBigUint64(sect + 32, base + BigInt(codeOffset), le);
  v.setBigUint64(sect + 40, BigInt(codeBytes), le);
  v.setUint32(sect + 48, codeOffset, le);
  v.setUint32(sect + 52, 2, le);
  v.setUint32(sect + 64, 0x80000400, le);
  at += 72 + 80;
  // __LINKEDIT
  v.setUint32(at, 0x19, le);
  v.setUint32(at + 4, 72, le);
  segname(v, at + 8, '__LINKEDIT');
  v.setBigUint64(at + 24, base + BigInt(textSize), le);
  v.setBigUint64(at + 32, BigInt(align(linkeditSize, pg)), le);
  v.setBigUint64(at + 40, BigInt(textSize), le);
  v.setBigUint64(at + 48, BigInt(linkeditSize), le);
  v.setUint32(at + 56, 1, le);
  v.setUint32(at + 60, 1, le);
  at += 72;
  if (o.signature) {
    v.setUint32(at, 0x1d, le);
    v.setUint32(at + 4, 16, le);
    v.setUint32(at + 8, sigOff, le);
    v.setUint32(at + 12, o.signature.length, le);
    bin.set(o.signature, sigOff);
  }
  const seed = o.seed ?? 7;
  fill(bin.subarray(codeOffset, codeOffset + codeBytes), seed);
  fill(bin.subarray(textSize, textSize + linkeditBytes), seed + 1);
  if (o.trailing) fill(bin.subarray(fileSize - o.trailing), seed + 2);
  return { bin, textSize, codeOffset, linkeditOffset: textSize };
}

/** A universal file: 32-bit fat header, each slice at a 16 KiB boundary. */
export function fatFixture(slices: { cputype: number; bin: Uint8Array }[]): Uint8Array {
  let end = 8 + slices.length * 20;
  const offsets = slices.map((s) => {
    const off = align(end, 0x4000);
    end = off + s.bin.length;
    return off;
  });
  const out = new Uint8Array(end);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xcafebabe);
  v.setUint32(4, slices.length);
  slices.forEach((s, i) => {
    const at = 8 + i * 20;
    v.setUint32(at, s.cputype);
    v.setUint32(at + 4, s.cputype === ARM64 ? 0 : 3);
    v.setUint32(at + 8, offsets[i]!);
    v.setUint32(at + 12, s.bin.length);
    v.setUint32(at + 16, 14);
    out.set(s.bin, offsets[i]!);
  });
  return out;
}

/** A garbage embedded-signature SuperBlob of `size` bytes (one blob that is not a CodeDirectory). */
export function bogusSignature(size: number): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xfade0cc0);
  v.setUint32(4, size);
  v.setUint32(8, 1);
  v.setUint32(12, 0x10000);
  v.setUint32(16, 20);
  v.setUint32(20, 0xfade0b01);
  v.setUint32(24, size - 20);
  fill(b.subarray(28), 3);
  return b;
}
