/**
 * Writes in this process with this process's rights (root for the managed drop-in, the user inside the
 * as-user child, a non-root agent for its own files). `writeManyInProcess(reqs)` gives one WriteResult
 * per request, in order, each with exactly the checks and guarantees of write-one.ts; only the fsyncs
 * are batched: requests go through in chunks — prepare each (checks, temp file written), fsync the chunk's
 * temp files concurrently, then commit each (re-check, rename, verify) — and every folder touched by the
 * batch is fsynced once at the end, before this returns. A result is `ok` only once its folder fsync has
 * succeeded; a failed folder fsync turns it into `io`. Requests are independent: one refused or failed
 * request changes nothing for the others (two requests for one file: the later one finds it `changed`).
 * Never rejects.
 */
import { errorCode, FolderSyncs, fsyncFd } from './fsync.js';
import { commitWrite, discardWrite, ioResult, prepareWrite, type PendingWrite } from './write-one.js';
import type { WriteRequest, WriteResult } from './write-types.js';

/** Temp files open (and fsynced together) at once. */
const CHUNK = 32;

export async function writeManyInProcess(reqs: readonly WriteRequest[]): Promise<WriteResult[]> {
  const results: WriteResult[] = new Array<WriteResult>(reqs.length);
  const syncs = new FolderSyncs();
  for (let start = 0; start < reqs.length; start += CHUNK) {
    const pending: { index: number; p: PendingWrite }[] = [];
    for (let i = start; i < Math.min(reqs.length, start + CHUNK); i++) {
      const r = prepareWrite(reqs[i]!, syncs, i);
      if ('done' in r) results[i] = r.done;
      else pending.push({ index: i, p: r.pending });
    }
    const fsynced = await Promise.all(pending.map(({ p }) => fsyncFd(p.fd!).then(() => null, errorCode)));
    pending.forEach(({ index, p }, k) => {
      const failed = fsynced[k];
      if (failed === null || failed === undefined) {
        results[index] = commitWrite(p, syncs, index);
        return;
      }
      discardWrite(p);
      results[index] = ioResult(`${p.hostPath}: fsync temp file failed: ${failed}`);
    });
  }
  for (const [index, code] of await syncs.flush()) {
    if (results[index]?.ok) results[index] = ioResult(`${reqs[index]!.hostPath}: fsync folder failed: ${code}`);
  }
  return results;
}
