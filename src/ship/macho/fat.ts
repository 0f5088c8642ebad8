/**
 * Fat (universal) files: a big-endian header listing slices, each a thin Mach-O at an aligned offset.
 * `parseFat` reads the table; `buildFat` lays slices out again (each at the next offset aligned to
 * 2^align, as lipo does) — needed after signing, since a slice's size changes.
 */
import { need, u32be, u64be, view } from './bytes.js';
import { FAT_MAGIC, FAT_MAGIC_64 } from './constants.js';
import { MachoError } from './errors.js';

export interface FatArch {
  cputype: number;
  cpusubtype: number;
  offset: number;
  size: number;
  /** log2 of the slice alignment. */
  align: number;
}

export interface FatFile {
  is64: boolean;
  arches: FatArch[];
}

export function isFat(bin: Uint8Array): boolean {
  if (bin.byteLength < 8) return false;
  const magic = u32be(bin, 0);
  // 0xcafebabe is also a Java class file; its second word (a class version) is ≥ 45, a fat count is small.
  return (magic === FAT_MAGIC || magic === FAT_MAGIC_64) && u32be(bin, 4) < 45;
}

export function parseFat(bin: Uint8Array): FatFile {
  need(bin, 0, 8, 'fat header');
  const magic = u32be(bin, 0);
  if (magic !== FAT_MAGIC && magic !== FAT_MAGIC_64) throw new MachoError('MACHO_NOT_MACHO', 'not a fat file');
  const is64 = magic === FAT_MAGIC_64;
  const n = u32be(bin, 4);
  const entry = is64 ? 32 : 20;
  need(bin, 8, n * entry, 'fat arch table');
  if (n === 0) throw new MachoError('MACHO_LAYOUT', 'a universal file with no slices');
  const arches: FatArch[] = [];
  for (let i = 0; i < n; i++) {
    const o = 8 + i * entry;
    const a: FatArch = is64
      ? { cputype: u32be(bin, o), cpusubtype: u32be(bin, o + 4), offset: u64be(bin, o + 8), size: u64be(bin, o + 16), align: u32be(bin, o + 24) }
      : { cputype: u32be(bin, o), cpusubtype: u32be(bin, o + 4), offset: u32be(bin, o + 8), size: u32be(bin, o + 12), align: u32be(bin, o + 16) };
    need(bin, a.offset, a.size, `fat slice ${i}`);
    if (a.align > 20) throw new MachoError('MACHO_LAYOUT', `fat slice ${i} alignment 2^${a.align} is implausible`);
    arches.push(a);
  }
  return { is64, arches };
}

export function sliceOf(bin: Uint8Array, a: FatArch): Uint8Array {
  return bin.subarray(a.offset, a.offset + a.size);
}

/** Lays out slices in the given order; keeps the header form (32/64-bit) of the original. */
export function buildFat(is64: boolean, slices: { arch: FatArch; data: Uint8Array }[]): Uint8Array {
  const entry = is64 ? 32 : 20;
  let end = 8 + slices.length * entry;
  const placed = slices.map(({ arch, data }) => {
    const a = 2 ** arch.align;
    const offset = Math.ceil(end / a) * a;
    end = offset + data.byteLength;
    return { arch: { ...arch, offset, size: data.byteLength }, data };
  });
  if (!is64 && end > 0xffffffff) throw new MachoError('MACHO_LAYOUT', 'fat file over 4 GiB needs a 64-bit fat header');
  const out = new Uint8Array(end);
  const v = view(out);
  v.setUint32(0, is64 ? FAT_MAGIC_64 : FAT_MAGIC, false);
  v.setUint32(4, placed.length, false);
  placed.forEach(({ arch, data }, i) => {
    const o = 8 + i * entry;
    v.setUint32(o, arch.cputype, false);
    v.setUint32(o + 4, arch.cpusubtype, false);
    if (is64) {
      v.setBigUint64(o + 8, BigInt(arch.offset), false);
      v.setBigUint64(o + 16, BigInt(arch.size), false);
      v.setUint32(o + 24, arch.align, false);
    } else {
      v.setUint32(o + 8, arch.offset, false);
      v.setUint32(o + 12, arch.size, false);
      v.setUint32(o + 16, arch.align, false);
    }
    out.set(data, arch.offset);
  });
  return out;
}
