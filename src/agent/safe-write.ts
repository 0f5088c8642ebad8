/**
 * The only code in ccfleet that writes a settings file. `writeFileSafely(req, deps)`:
 * - atomic and crash-safe (temp file beside the target, fsync, rename, fsync the folder), re-read and
 *   byte-compared afterwards; a killed writer leaves the old or the new content, never a mix;
 * - never follows a symlink, refuses hard links, foreign owners and non-regular files (`unsafe`, with the
 *   findings), also for every folder below `trustedAncestor`;
 * - never overwrites a file that changed since it was planned (`changed`: the caller re-plans);
 * - keeps an existing file's mode (and owner), creates a new one with `createMode` owned by `owner`.
 * As root writing for another user, the write runs in a child with that user's uid/gid (see
 * write-as-user.ts); without `deps.helper` that write is refused (`unsafe`) rather than done as root.
 * Everything else (the managed drop-in as root, any write by a non-root agent) runs in this process.
 * Never rejects: failures are WriteResults.
 */
import { effectiveOwner } from './fs-safety.js';
import { writeAsUser } from './write-as-user.js';
import { writeInProcess } from './write-in-process.js';
import type { WriteDeps, WriteRequest, WriteResult } from './write-types.js';

export type { WriteDeps, WriteRequest, WriteResult } from './write-types.js';

export async function writeFileSafely(req: WriteRequest, deps: WriteDeps): Promise<WriteResult> {
  const owner = effectiveOwner(req.owner);
  if (process.getuid?.() === 0 && owner && owner.uid !== 0) {
    if (!deps.helper || deps.helper.length === 0) {
      const message = `refusing to write ${req.hostPath} as root for uid ${owner.uid}: no helper to drop privileges`;
      return { ok: false, code: 'unsafe', message, findings: [{ code: 'write-as-root-refused', message, blocking: true }] };
    }
    return writeAsUser(req, owner, deps.helper);
  }
  return writeInProcess(req);
}
