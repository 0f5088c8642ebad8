/**
 * The BOMStore container: a 512-byte header, numbered blocks, a table of named variables pointing at
 * blocks, and the block table (offset and length per block number, block 0 always null). All integers
 * are big-endian. Layout written here: header | blocks in number order | variables | block table |
 * free list (empty). Apple's mkbom scatters blocks and pre-sizes the table; readers follow the table,
 * so the order does not matter.
 */
import { BomError } from './errors.js';

export const HEADER_SIZE = 512;
const MAGIC = 'BOMStore';

export class BlockStore {
  private readonly blocks: Uint8Array[] = [new Uint8Array(0)];
  private readonly vars: { name: string; block: number }[] = [];

  /** Appends a block and returns its number. */
  add(data: Uint8Array): number {
    this.blocks.push(data);
    return this.blocks.length - 1;
  }

  /** Reserves a block number to fill later with `set` (for nodes that point forward). */
  reserve(): number {
    return this.add(new Uint8Array(0));
  }

  set(index: number, data: Uint8Array): void {
    if (index <= 0 || index >= this.blocks.length) throw new RangeError(`no block ${index}`);
    this.blocks[index] = data;
  }

  addVar(name: string, block: number): void {
    if (name.length === 0 || name.length > 255) throw new RangeError(`bad variable name ${JSON.stringify(name)}`);
    this.vars.push({ name, block });
  }

  toBytes(): Uint8Array {
    const enc = new TextEncoder();
    let dataLength = 0;
    for (const b of this.blocks) dataLength += b.length;
    const varNames = this.vars.map((v) => enc.encode(v.name));
    const varsLength = 4 + varNames.reduce((n, name) => n + 5 + name.length, 0);
    const tableLength = 4 + 8 * this.blocks.length + 4;
    const varsOffset = HEADER_SIZE + dataLength;
    const indexOffset = varsOffset + varsLength;
    const total = indexOffset + tableLength;
    if (total > 0xffffffff) throw new BomError('BOM_BAD_ENTRY', 'a BOM cannot exceed 4 GiB');

    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    out.set(enc.encode(MAGIC), 0);
    dv.setUint32(8, 1);
    dv.setUint32(12, this.blocks.length - 1);
    dv.setUint32(16, indexOffset);
    dv.setUint32(20, tableLength);
    dv.setUint32(24, varsOffset);
    dv.setUint32(28, varsLength);

    const offsets: number[] = [0];
    let at = HEADER_SIZE;
    for (let i = 1; i < this.blocks.length; i++) {
      const b = this.blocks[i]!;
      offsets.push(at);
      out.set(b, at);
      at += b.length;
    }

    dv.setUint32(at, this.vars.length);
    at += 4;
    this.vars.forEach((v, i) => {
      const name = varNames[i]!;
      dv.setUint32(at, v.block);
      dv.setUint8(at + 4, name.length);
      out.set(name, at + 5);
      at += 5 + name.length;
    });

    dv.setUint32(at, this.blocks.length);
    at += 4;
    for (let i = 0; i < this.blocks.length; i++) {
      dv.setUint32(at, offsets[i]!);
      dv.setUint32(at + 4, this.blocks[i]!.length);
      at += 8;
    }
    dv.setUint32(at, 0); // free list: no free blocks
    return out;
  }
}

/** Big-endian field writer for building one block. */
export class BlockWriter {
  private readonly parts: number[] = [];

  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.u16(v >>> 16).u16(v & 0xffff);
  }
  bytes(b: Uint8Array | string): this {
    const data = typeof b === 'string' ? new TextEncoder().encode(b) : b;
    for (const x of data) this.parts.push(x);
    return this;
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.parts.push(0);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
