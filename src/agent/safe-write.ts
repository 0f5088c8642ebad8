/**
 * The only code in ccfleet that writes a settings file. `writeFilesSafely(reqs, deps)` gives one
 * WriteResult per request, in the same order; each has exactly the meaning `writeFileSafely` gives it:
 * - atomic and crash-safe (temp file beside the target, fsync, rename, fsync the folder), re-read and
 *   byte-compared afterwards; a killed writer leaves the old or the new content, never a mix;
 * - never follows a symlink, refuses hard links, foreign owners and non-regular files (`unsafe`, with the
 *   findings), also for every folder below `trustedAncestor`;
 * - never overwrites a file that changed since it was planned (`changed`: the caller re-plans);
 * - keeps an existing file's mode (and owner), creates a new one with `createMode` owned by `owner`;
 * - `ok` only once durable: the folder fsyncs are batched (each folder once), but done before this returns.
 * As root writing for another user, the writes run in a child with that user's uid/gid (see
 * write-as-user.ts): one child per owner per batch (a few at once), at most `deps.maxPerChild` requests
 * (default 500) and about 64 MiB of text each; without `deps.helper` those writes are refused (`unsafe`)
 * rather than done as root. Everything else (the managed drop-in as root, any write by a non-root agent)
 * runs in this process, meanwhile. With `deps.pool` (the daemon), the batches go to long-lived children
 * instead (writer-pool.ts), one per owner, with the same rights and the same answers.
 * Requests are independent: a refusal or failure of one (or a child
 * dying: every request it had not answered is `io`) changes nothing for the others. Two requests for the
 * same file in one batch: the later one finds it `changed`. Never rejects: failures are WriteResults.
 */
import { effectiveOwner, type Owner } from './fs-safety.js';
import { writeManyAsUser } from './write-as-user.js';
import { writeManyInProcess } from './write-in-process.js';
import type { WriteDeps, WriteRequest, WriteResult } from './write-types.js';

export type { WriteDeps, WriteRequest, WriteResult } from './write-types.js';

const DEFAULT_MAX_PER_CHILD = 500;
const MAX_TEXT_BYTES_PER_CHILD = 64 * 1024 * 1024;
/** As-user children running at once (each is a Node start-up: mostly CPU). */
const CHILDREN_AT_ONCE = 4;

export async function writeFileSafely(req: WriteRequest, deps: WriteDeps): Promise<WriteResult> {
  const [r] = await writeFilesSafely([req], deps);
  return r!;
}

export async function writeFilesSafely(reqs: readonly WriteRequest[], deps: WriteDeps): Promise<WriteResult[]> {
  const results = new Array<WriteResult>(reqs.length);
  const local: number[] = [];
  const byOwner = new Map<string, { owner: Owner; indices: number[] }>();
  const asRoot = process.getuid?.() === 0;
  reqs.forEach((req, i) => {
    const owner = effectiveOwner(req.owner);
    if (!asRoot || !owner || owner.uid === 0) return void local.push(i);
    if (!deps.helper || deps.helper.length === 0) {
      const message = `refusing to write ${req.hostPath} as root for uid ${owner.uid}: no helper to drop privileges`;
      results[i] = { ok: false, code: 'unsafe', message, findings: [{ code: 'write-as-root-refused', message, blocking: true }] };
      return;
    }
    const key = `${owner.uid}:${owner.gid}`;
    const group = byOwner.get(key) ?? { owner, indices: [] };
    group.indices.push(i);
    byOwner.set(key, group);
  });

  const helper = deps.helper ?? [];
  const maxPerChild = Math.max(1, deps.maxPerChild ?? DEFAULT_MAX_PER_CHILD);
  const jobs = [...byOwner.values()].flatMap(({ owner, indices }) =>
    splitForChildren(indices, reqs, maxPerChild).map((part) => async () => {
      const batch = part.map((i) => reqs[i]!);
      const answers = deps.pool ? await deps.pool.write(batch, owner) : await writeManyAsUser(batch, owner, helper);
      part.forEach((i, k) => (results[i] = answers[k]!));
    }),
  );
  const children = runAtMost(CHILDREN_AT_ONCE, jobs);
  if (local.length > 0) {
    const answers = await writeManyInProcess(local.map((i) => reqs[i]!));
    local.forEach((i, k) => (results[i] = answers[k]!));
  }
  await children;
  return results;
}

/** Consecutive parts of at most `max` requests and about MAX_TEXT_BYTES_PER_CHILD of text (never empty). */
function splitForChildren(indices: number[], reqs: readonly WriteRequest[], max: number): number[][] {
  const parts: number[][] = [];
  let part: number[] = [];
  let bytes = 0;
  for (const i of indices) {
    const size = (reqs[i]!.text?.length ?? 0) * 3; // UTF-16 units → at most 3 UTF-8 bytes each
    if (part.length > 0 && (part.length >= max || bytes + size > MAX_TEXT_BYTES_PER_CHILD)) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(i);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

async function runAtMost(n: number, jobs: (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
}
