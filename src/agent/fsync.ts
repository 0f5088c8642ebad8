/**
 * Durability helpers shared by the safe writer and the agent's private files.
 * - `fsyncDir(dir)`: makes a rename, unlink or mkdir inside `dir` durable (synchronous).
 * - `fsyncFd(fd)`: fsync through libuv's thread pool, so several run at once and the filesystem can
 *   commit them together (ext4's journal groups concurrent fsyncs into one commit).
 * - `FolderSyncs`: folder fsyncs deferred to the end of a batch. Each folder is fsynced once, whoever
 *   needed it; `flush()` reports which callers' folders failed. Deferring is safe for the crash guarantee
 *   (a file is always its old or its new content needs only the temp file fsynced before its rename);
 *   the folder fsync is about the rename surviving a crash, and a batch does it before it returns.
 * Windows: folders cannot be fsynced (no-op); EINVAL/ENOTSUP (filesystems without folder fsync) are ignored.
 */
import fs from 'node:fs';

const C = fs.constants;
const O_DIRECTORY: number = C.O_DIRECTORY ?? 0;
const isWindows = process.platform === 'win32';
/** Folder fsyncs in flight at once during a flush. */
const FLUSH_PARALLEL = 16;

const ignorable = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'EINVAL' || code === 'ENOTSUP';
};

export function fsyncDir(dir: string): void {
  if (isWindows) return;
  const fd = fs.openSync(dir, C.O_RDONLY | O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    if (!ignorable(e)) throw e;
  } finally {
    fs.closeSync(fd);
  }
}

export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
}

async function fsyncDirAsync(dir: string): Promise<void> {
  if (isWindows) return;
  const handle = await fs.promises.open(dir, C.O_RDONLY | O_DIRECTORY);
  try {
    await handle.sync();
  } catch (e) {
    if (!ignorable(e)) throw e;
  } finally {
    await handle.close();
  }
}

export const errorCode = (e: unknown): string => (e as NodeJS.ErrnoException | null)?.code ?? String(e);

export class FolderSyncs {
  private readonly waiting = new Map<string, number[]>();

  /** Folder `dir` must be fsynced before the result of caller `who` (e.g. a request index) is final. */
  add(dir: string, who: number): void {
    const list = this.waiting.get(dir);
    if (list) list.push(who);
    else this.waiting.set(dir, [who]);
  }

  /** Fsyncs every folder once; returns caller → error code for the callers whose folder failed. */
  async flush(): Promise<Map<number, string>> {
    const failed = new Map<number, string>();
    const dirs = [...this.waiting.entries()];
    this.waiting.clear();
    for (let i = 0; i < dirs.length; i += FLUSH_PARALLEL) {
      await Promise.all(
        dirs.slice(i, i + FLUSH_PARALLEL).map(([dir, who]) =>
          fsyncDirAsync(dir).catch((e: unknown) => {
            for (const w of who) if (!failed.has(w)) failed.set(w, errorCode(e));
          }),
        ),
      );
    }
    return failed;
  }
}
