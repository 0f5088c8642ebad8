/**
 * Reads a BOM back: header, block table, variables, the BomInfo block, the four trees and every Paths
 * entry with its metadata. Every offset is bounds-checked; anything that does not add up is a BomError
 * (never a wrong answer). Reads Apple's mkbom layout (scattered blocks, pre-sized table, free list,
 * executable metadata with per-architecture records) as well as bomutils' and ours.
 */
import { BomError } from './errors.js';
import { S_IFMT, TYPE_BITS, type BomEntry, type BomEntryType } from './types.js';

export interface BomBlock {
  offset: number;
  length: number;
}

export interface BomTree {
  blockSize: number;
  /** The count the tree header claims. */
  count: number;
  /** (key block, value block) pairs of every leaf, in leaf-chain order. */
  pairs: [number, number][];
  /** Leaf block numbers in order. */
  leaves: number[];
}

export interface BomArch {
  cpuType: number;
  cpuSubtype: number;
  size: number;
  checksum: number;
}

export interface ReadEntry extends BomEntry {
  id: number;
  parent: number;
  /** Raw flags word of the metadata block (0x000F for a plain full entry). */
  flags: number;
  /** Architectures recorded for an executable (Apple's mkbom does this for Mach-O files). */
  arches?: BomArch[];
}

export interface ReadBom {
  version: number;
  /** Non-null block count from the header. */
  headerBlockCount: number;
  blocks: BomBlock[];
  /** Variables in file order. */
  vars: { name: string; block: number }[];
  info: { version: number; numberOfPaths: number; entries: { cpuType: number; size: number }[] };
  paths: BomTree;
  hlIndex: BomTree;
  size64: BomTree;
  vIndex: { version: number; tree: BomTree };
  /** Paths entries in tree order. */
  entries: ReadEntry[];
}

const dec = new TextDecoder('utf-8', { fatal: true });

function fail(code: 'BOM_NOT_BOM' | 'BOM_TRUNCATED' | 'BOM_CORRUPT', message: string): never {
  throw new BomError(code, message);
}

/** Bounds-checked big-endian cursor over one region. */
class Cursor {
  private readonly dv: DataView;
  constructor(
    private readonly b: Uint8Array,
    public at: number,
    private readonly end: number,
    private readonly what: string,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  private need(n: number): number {
    if (this.at + n > this.end) fail('BOM_TRUNCATED', `${this.what}: ${n} bytes at ${this.at} run past ${this.end}`);
    const at = this.at;
    this.at += n;
    return at;
  }
  u8(): number {
    return this.dv.getUint8(this.need(1));
  }
  u16(): number {
    return this.dv.getUint16(this.need(2));
  }
  u32(): number {
    return this.dv.getUint32(this.need(4));
  }
  bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.b.subarray(at, at + n);
  }
  /** NUL-terminated string running at most to the end of the region. */
  cString(): string {
    const rest = this.b.subarray(this.at, this.end);
    const nul = rest.indexOf(0);
    if (nul < 0) fail('BOM_TRUNCATED', `${this.what}: unterminated string at ${this.at}`);
    this.at += nul + 1;
    return decode(rest.subarray(0, nul), this.what);
  }
}

function decode(b: Uint8Array, what: string): string {
  try {
    return dec.decode(b);
  } catch {
    return fail('BOM_CORRUPT', `${what}: name is not UTF-8`);
  }
}

export function readBom(b: Uint8Array): ReadBom {
  if (b.length < 32 || dec.decode(b.subarray(0, 8)) !== 'BOMStore') fail('BOM_NOT_BOM', 'no BOMStore magic');
  const h = new Cursor(b, 8, 32, 'header');
  const version = h.u32();
  if (version !== 1) fail('BOM_NOT_BOM', `unsupported BOM version ${version}`);
  const headerBlockCount = h.u32();
  const indexOffset = h.u32();
  const indexLength = h.u32();
  const varsOffset = h.u32();
  const varsLength = h.u32();
  if (indexOffset + indexLength > b.length) fail('BOM_TRUNCATED', 'block table runs past the end of the file');
  if (varsOffset + varsLength > b.length) fail('BOM_TRUNCATED', 'variables run past the end of the file');

  const t = new Cursor(b, indexOffset, indexOffset + indexLength, 'block table');
  const blockCount = t.u32();
  if (blockCount > indexLength / 8) fail('BOM_TRUNCATED', `block table claims ${blockCount} blocks in ${indexLength} bytes`);
  const blocks: BomBlock[] = [];
  for (let i = 0; i < blockCount; i++) {
    const offset = t.u32();
    const length = t.u32();
    if (offset + length > b.length) fail('BOM_TRUNCATED', `block ${i} (${offset}+${length}) runs past the end of the file`);
    blocks.push({ offset, length });
  }

  const v = new Cursor(b, varsOffset, varsOffset + varsLength, 'variables');
  const varCount = v.u32();
  const vars: { name: string; block: number }[] = [];
  for (let i = 0; i < varCount; i++) {
    const block = v.u32();
    const len = v.u8();
    const raw = v.bytes(len);
    const nul = raw.indexOf(0);
    vars.push({ name: decode(nul < 0 ? raw : raw.subarray(0, nul), 'variable name'), block });
  }

  const block = (i: number, what: string): Cursor => {
    const bl = blocks[i];
    if (i === 0 || !bl) fail('BOM_CORRUPT', `${what}: block ${i} does not exist`);
    return new Cursor(b, bl.offset, bl.offset + bl.length, `${what} (block ${i})`);
  };
  const varBlock = (name: string): number => {
    const found = vars.find((x) => x.name === name);
    if (!found) fail('BOM_CORRUPT', `variable ${name} is missing`);
    return found.block;
  };

  const readTree = (treeBlock: number, what: string): BomTree => {
    const c = block(treeBlock, what);
    if (dec.decode(c.bytes(4)) !== 'tree') fail('BOM_CORRUPT', `${what}: no "tree" magic`);
    if (c.u32() !== 1) fail('BOM_CORRUPT', `${what}: unsupported tree version`);
    const root = c.u32();
    const blockSize = c.u32();
    const count = c.u32();
    const tree: BomTree = { blockSize, count, pairs: [], leaves: [] };
    const seen = new Set<number>();
    const visit = (node: number, depth: number): void => {
      if (seen.has(node) || depth > 16) fail('BOM_CORRUPT', `${what}: node ${node} reached twice or too deep`);
      seen.add(node);
      const n = block(node, `${what} node`);
      const isLeaf = n.u16();
      const entries = n.u16();
      n.u32(); // forward
      n.u32(); // backward
      const pairs: [number, number][] = [];
      for (let i = 0; i < entries; i++) pairs.push([n.u32(), n.u32()]);
      if (isLeaf) {
        tree.leaves.push(node);
        tree.pairs.push(...pairs);
      } else {
        for (const [child] of pairs) visit(child, depth + 1);
      }
    };
    visit(root, 0);
    return tree;
  };

  const ic = block(varBlock('BomInfo'), 'BomInfo');
  const info = { version: ic.u32(), numberOfPaths: ic.u32(), entries: [] as { cpuType: number; size: number }[] };
  const infoCount = ic.u32();
  for (let i = 0; i < infoCount; i++) {
    const cpuType = ic.u32();
    ic.u32();
    const size = ic.u32();
    ic.u32();
    info.entries.push({ cpuType, size });
  }

  const paths = readTree(varBlock('Paths'), 'Paths');
  const hlIndex = readTree(varBlock('HLIndex'), 'HLIndex');
  const size64 = readTree(varBlock('Size64'), 'Size64');
  const vc = block(varBlock('VIndex'), 'VIndex');
  const vIndex = { version: vc.u32(), tree: readTree(vc.u32(), 'VIndex tree') };

  const sizes64 = new Map<number, number>();
  for (const [k, val] of size64.pairs) {
    const kc = block(k, 'Size64 key');
    const hi = kc.u32();
    sizes64.set(val, hi * 2 ** 32 + kc.u32());
  }

  const raw = paths.pairs.map(([key, value]) => {
    const k = block(key, 'PathInfo1');
    const id = k.u32();
    const metaBlock = k.u32();
    const f = block(value, 'File');
    const parent = f.u32();
    const name = f.cString();
    return { id, parent, name, ...readMetadata(block(metaBlock, 'metadata'), sizes64.get(metaBlock)) };
  });

  const byId = new Map(raw.map((r) => [r.id, r]));
  if (byId.size !== raw.length) fail('BOM_CORRUPT', 'two Paths entries share an id');
  const pathOf = (id: number): string => {
    const parts: string[] = [];
    for (let cur = byId.get(id), steps = 0; cur; cur = byId.get(cur.parent), steps++) {
      if (steps > raw.length) fail('BOM_CORRUPT', `parent loop at path id ${id}`);
      parts.unshift(cur.name);
      if (cur.parent === 0) return parts.join('/');
    }
    return fail('BOM_CORRUPT', `path id ${id} has a parent that is not in the tree`);
  };
  const entries: ReadEntry[] = raw.map((r) => {
    const { name: _name, ...rest } = r;
    return { ...rest, path: pathOf(r.id) };
  });

  return { version, headerBlockCount, blocks, vars, info, paths, hlIndex, size64, vIndex, entries };
}

const TYPES: Record<number, BomEntryType> = { 1: 'file', 2: 'dir', 3: 'symlink' };

function readMetadata(c: Cursor, size64: number | undefined): Omit<ReadEntry, 'id' | 'parent' | 'path'> {
  const typeCode = c.u8();
  const type = TYPES[typeCode];
  if (!type) fail('BOM_CORRUPT', `entry type ${typeCode} is not a file, folder or symlink`);
  c.u8();
  const flags = c.u16();
  if ((flags & 0xf) === 0) {
    // A paths-only BOM (mkbom -s): no metadata at all.
    return { type, flags, mode: 0, uid: 0, gid: 0, mtime: 0, size: 0, checksum: 0 };
  }
  const fullMode = c.u16();
  if ((fullMode & S_IFMT) !== TYPE_BITS[type]) fail('BOM_CORRUPT', `mode ${fullMode.toString(8)} does not match entry type ${type}`);
  const uid = c.u32();
  const gid = c.u32();
  const mtime = c.u32();
  let size = c.u32();
  c.u8();
  if (size64 !== undefined) size = size64;
  const base = { type, flags, mode: fullMode & 0o7777, uid, gid, mtime, size, checksum: 0 };
  if (type === 'dir') return base;
  const checksum = c.u32();
  if (type === 'symlink') {
    const len = c.u32();
    const target = c.bytes(len);
    if (len === 0 || target[len - 1] !== 0) fail('BOM_CORRUPT', 'symlink target is not NUL-terminated');
    return { ...base, checksum, target: decode(target.subarray(0, len - 1), 'symlink target') };
  }
  if (flags >>> 12 !== 0) {
    // Executable: a marker byte, then per-architecture records {cpu type, subtype, size, checksum}.
    c.u8();
    const n = c.u32();
    const arches: BomArch[] = [];
    for (let i = 0; i < n; i++) arches.push({ cpuType: c.u32(), cpuSubtype: c.u32(), size: c.u32(), checksum: c.u32() });
    return { ...base, checksum, arches };
  }
  return { ...base, checksum };
}
