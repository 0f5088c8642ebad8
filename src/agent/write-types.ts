/**
 * The request and result of one safe write (re-exported by safe-write.ts). A request is plain JSON: it
 * crosses a process boundary when the write runs in a child with the user's uid (see write-child.ts),
 * in a JSON array with the other requests of its batch for the same owner.
 */
import type { Finding } from '../core/types.js';
import type { FileStat, Owner } from './fs-safety.js';

export interface WriteRequest {
  hostPath: string;
  /** The whole new content; null deletes the file (only used for ccfleet's own drop-in). */
  text: string | null;
  /** Who must own the result; null = whoever runs the write. */
  owner: Owner | null;
  /** Mode of a newly created file (an existing file keeps its own mode). */
  createMode: number;
  /**
   * The folder the caller trusts (e.g. the user's home): every folder below it on the way to the file must
   * be a real folder owned by `owner`; missing ones are created owned by `owner`, mode `dirMode`.
   */
  trustedAncestor: string;
  /**
   * Mode for folders the write creates. Default 0o755: what Claude Code 2.1.332 gives `~/.claude` under the
   * usual umask 022 (checked here: it creates it with mkdir's default 0777 & ~umask; 0700 under umask 077).
   */
  dirMode?: number;
  /** The file as it was when planned; null = it was absent. A mismatch → `changed`, nothing written. */
  expected: Pick<FileStat, 'ino' | 'size' | 'mtimeMs'> | null;
}

export type WriteResult =
  | { ok: true }
  | { ok: false; code: 'unsafe' | 'changed' | 'io'; message: string; findings?: Finding[] };

export interface WriteDeps {
  /** argv prefix that runs ccfleet itself, e.g. [process.execPath, '/path/dist/ccfleet.cjs']. */
  helper: string[] | null;
  /**
   * Long-lived as-user children (writer-pool.ts, the daemon): used instead of a one-shot child per batch.
   */
  pool?: { write(reqs: readonly WriteRequest[], owner: Owner): Promise<WriteResult[]> } | undefined;
  /** Most requests one as-user child takes (default 500); a bigger batch for one owner uses several. */
  maxPerChild?: number;
}

export const DEFAULT_DIR_MODE = 0o755;
