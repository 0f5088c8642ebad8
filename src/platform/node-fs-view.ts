/**
 * The real FsView: node:fs over this host, for machine paths of `platform`, each mapped under `root`
 * with toHostPath (root null = the real machine; on a real Windows host `C:\...` is then used as is).
 * Read-only and never throws: absent, unreadable, too large or not a regular file is null/false.
 * readText follows symlinks (Claude Code reads through them), opens non-blocking so a FIFO planted
 * where a settings file should be cannot hang the agent, and refuses files over `maxBytes` (16 MiB).
 * owner() is null on a Windows host, where stat's uid/gid are meaningless. A machine path that is not
 * absolute on this host (`C:\Users` on Linux without a root) is treated as absent, never resolved
 * against the working directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toHostPath } from './root-path.js';
import type { FsView, PlatformName } from './types.js';

export const DEFAULT_MAX_READ_BYTES = 16 * 1024 * 1024;

export interface NodeFsViewOptions {
  maxBytes?: number;
}

export function createNodeFsView(root: string | null, platform: PlatformName, opts: NodeFsViewOptions = {}): FsView {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_READ_BYTES;
  const host = (p: string): string => {
    const h = toHostPath(root, platform, p, path.sep);
    if (!path.isAbsolute(h)) throw new Error(`not an absolute path on this host: ${h}`);
    return h;
  };
  const stat = (p: string): fs.Stats | null => fs.statSync(host(p), { throwIfNoEntry: false }) ?? null;
  const safe = <T>(fallback: T, f: () => T): T => {
    try {
      return f();
    } catch {
      return fallback;
    }
  };
  return {
    readText: (p) => safe(null, () => readCapped(host(p), maxBytes)),
    listDir: (p) => safe(null, () => fs.readdirSync(host(p)).sort()),
    isDir: (p) => safe(false, () => stat(p)?.isDirectory() ?? false),
    exists: (p) => safe(false, () => stat(p) !== null),
    owner: (p) =>
      safe(null, () => {
        if (process.platform === 'win32') return null;
        const s = stat(p);
        return s ? { uid: s.uid, gid: s.gid } : null;
      }),
    readLink: (p) => safe(null, () => fs.readlinkSync(host(p))),
  };
}

function readCapped(file: string, maxBytes: number): string | null {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) return null;
    // Read to EOF rather than trusting the size: the file may grow while we read.
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(Math.min(Math.max(st.size, 1), maxBytes) + 1);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) return null;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
