/** The Bom entries describing a payload list (sizes and POSIX cksums computed from the content). */
import { cksum } from '../bom/cksum.js';
import type { BomEntry } from '../bom/types.js';
import type { CpioEntry } from '../cpio/write.js';

export function bomEntriesFor(items: readonly CpioEntry[]): BomEntry[] {
  const enc = new TextEncoder();
  return items.map((i): BomEntry => {
    const base = { path: i.path, type: i.type, mode: i.mode, uid: i.uid, gid: i.gid, mtime: i.mtime };
    if (i.type === 'file') {
      const data = i.data ?? new Uint8Array(0);
      return { ...base, size: data.length, checksum: cksum(data) };
    }
    if (i.type === 'symlink') {
      const target = enc.encode(i.target ?? '');
      return { ...base, size: target.length, checksum: cksum(target), target: i.target! };
    }
    return { ...base, size: 0, checksum: 0 };
  });
}
