/**
 * Writes a package BOM (the `Bom` file of a flat package's component) from an entry list.
 *
 * Format (big-endian; learned from bomutils' bom.h/mkbom.cpp, Fleet's pure-Go writer and stuckliste's
 * format reference — no code copied):
 * - variables BomInfo, Paths, HLIndex, VIndex, Size64 (in that order, as mkbom writes them);
 * - Paths: a "tree" block {"tree", 1, root node, 4096, path count, 0} whose leaves list
 *   (PathInfo1, File) block pairs: PathInfo1 = {path id, metadata block}, File = {parent id, name\0}.
 *   Ids are given breadth-first with siblings in byte order from 1 ("." = 1, parent 0), so leaves are
 *   in (parent id, name) key order. Leaves hold 256 pairs (mkbom's split); more paths get one branch
 *   node listing (leaf, last File of that leaf), leaves linked forward/backward.
 * - metadata as Apple's mkbom lays it out: type, 1, flags 0x000F (full entry, plain file), mode (with
 *   type bits), uid, gid, mtime, size, 1, then checksum (files), checksum + target length + target\0
 *   (symlinks), nothing (folders), then 8 zero bytes;
 * - BomInfo {1, path count + 1, 1 entry {cpu type 0, 0, total file bytes (u32), 0}} — mkbom writes
 *   per-architecture entries for Mach-O files; the Installer does not need them;
 * - HLIndex, Size64: empty trees (no hard links; sizes over 4 GiB are refused); VIndex {1, tree, 0, 1}
 *   with an empty 128-byte-block tree.
 */
import { BlockStore, BlockWriter } from './block-store.js';
import { BomError } from './errors.js';
import { TYPE_BITS, TYPE_CODE, type BomEntry } from './types.js';
import { baseName, parentOf, validateEntries } from './validate.js';

export const LEAF_CAPACITY = 256;
const BRANCH_CAPACITY = Math.floor((4096 - 12) / 8);
const FLAGS_FULL_ENTRY = 0x000f;

const enc = new TextEncoder();

function compareBytes(a: string, b: string): number {
  const x = enc.encode(a);
  const y = enc.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Entries in id order (breadth-first, siblings by byte order) with their ids and parent ids. */
export function orderEntries(entries: readonly BomEntry[]): { entry: BomEntry; id: number; parent: number }[] {
  const byPath = validateEntries(entries);
  const children = new Map<string, BomEntry[]>();
  for (const e of byPath.values()) {
    if (e.path === '.') continue;
    const p = parentOf(e.path);
    const list = children.get(p) ?? [];
    list.push(e);
    children.set(p, list);
  }
  const out: { entry: BomEntry; id: number; parent: number }[] = [{ entry: byPath.get('.')!, id: 1, parent: 0 }];
  for (let i = 0; i < out.length; i++) {
    const { entry, id } = out[i]!;
    const kids = (children.get(entry.path) ?? []).sort((a, b) => compareBytes(baseName(a.path), baseName(b.path)));
    for (const k of kids) out.push({ entry: k, id: out.length + 1, parent: id });
  }
  return out;
}

function metadataBlock(e: BomEntry): Uint8Array {
  const w = new BlockWriter()
    .u8(TYPE_CODE[e.type])
    .u8(1)
    .u16(FLAGS_FULL_ENTRY)
    .u16(TYPE_BITS[e.type] | e.mode)
    .u32(e.uid)
    .u32(e.gid)
    .u32(e.mtime)
    .u32(e.size)
    .u8(1);
  if (e.type === 'file') w.u32(e.checksum);
  if (e.type === 'symlink') {
    const target = enc.encode(e.target!);
    w.u32(e.checksum).u32(target.length + 1).bytes(target).u8(0);
  }
  return w.zeros(8).done();
}

function treeBlock(root: number, blockSize: number, count: number): Uint8Array {
  return new BlockWriter().bytes('tree').u32(1).u32(root).u32(blockSize).u32(count).u8(0).done();
}

function nodeBlock(isLeaf: boolean, pairs: readonly [number, number][], forward = 0, backward = 0): Uint8Array {
  const w = new BlockWriter().u16(isLeaf ? 1 : 0).u16(pairs.length).u32(forward).u32(backward);
  for (const [k, v] of pairs) w.u32(k).u32(v);
  return w.done();
}

/** Writes the Paths tree and returns the block number of its "tree" header. */
function writePaths(store: BlockStore, pairs: [number, number][]): number {
  const leaves: [number, number][][] = [];
  for (let i = 0; i < pairs.length; i += LEAF_CAPACITY) leaves.push(pairs.slice(i, i + LEAF_CAPACITY));
  if (leaves.length === 0) leaves.push([]);
  if (leaves.length > BRANCH_CAPACITY) throw new BomError('BOM_BAD_ENTRY', `too many paths for one branch node (${pairs.length})`);
  const leafIds = leaves.map(() => store.reserve());
  leaves.forEach((leaf, i) => store.set(leafIds[i]!, nodeBlock(true, leaf, leafIds[i + 1] ?? 0, leafIds[i - 1] ?? 0)));
  let root = leafIds[0]!;
  if (leaves.length > 1) {
    root = store.add(nodeBlock(false, leaves.map((leaf, i) => [leafIds[i]!, leaf[leaf.length - 1]![1]])));
  }
  return store.add(treeBlock(root, 4096, pairs.length));
}

export function writeBom(entries: readonly BomEntry[]): Uint8Array {
  const ordered = orderEntries(entries);
  const store = new BlockStore();

  let totalSize = 0;
  const pairs: [number, number][] = [];
  for (const { entry, id, parent } of ordered) {
    const meta = store.add(metadataBlock(entry));
    const file = store.add(new BlockWriter().u32(parent).bytes(baseName(entry.path)).u8(0).done());
    const info1 = store.add(new BlockWriter().u32(id).u32(meta).done());
    pairs.push([info1, file]);
    if (entry.type === 'file') totalSize = (totalSize + entry.size) % 2 ** 32;
  }

  const info = new BlockWriter().u32(1).u32(ordered.length + 1).u32(1).u32(0).u32(0).u32(totalSize).u32(0).done();
  store.addVar('BomInfo', store.add(info));
  store.addVar('Paths', writePaths(store, pairs));
  store.addVar('HLIndex', store.add(treeBlock(store.add(nodeBlock(true, [])), 4096, 0)));
  const vtree = store.add(treeBlock(store.add(nodeBlock(true, [])), 128, 0));
  store.addVar('VIndex', store.add(new BlockWriter().u32(1).u32(vtree).u32(0).u8(1).done()));
  store.addVar('Size64', store.add(treeBlock(store.add(nodeBlock(true, [])), 4096, 0)));
  return store.toBytes();
}
