/**
 * Files through the loop, in batches: inspect → plan (pure) → back up → apply → re-verify.
 * Inspection and planning are per file; the writes of a batch go to the safe writer together (one
 * uid-dropped child per user, fsyncs grouped) and every written file is re-read and re-planned: only an
 * empty second plan makes it `repaired`. A file that changed under us is re-planned and retried alone,
 * never forced. Returns each file's state, findings and the text Claude Code reads afterwards.
 */
import type { Stats } from 'node:fs';
import type { Edit, Plan } from '../core/plan-settings.js';
import type { Finding, FileState } from '../core/types.js';
import type { BackupStore } from './backups.js';
import { inspectFile, type Inspection, type Owner } from './fs-safety.js';
import type { InspectCache } from './inspect-cache.js';
import { writeFilesSafely, type WriteDeps, type WriteRequest, type WriteResult } from './safe-write.js';

export type Mode = 'check' | 'repair' | 'dry-run';

export interface FileItem {
  machinePath: string;
  hostPath: string;
  trustedAncestor: string;
  owner: Owner | null;
  createMode: number;
  plan: (text: string | null) => Plan;
  /** When set, plans may be memoised by (policy, role, text): `plan` must be pure in exactly those. */
  planKey?: { policy: unknown; role: string };
}

export interface FilePassResult {
  state: FileState;
  findings: Finding[];
  edits: Edit[];
  /** What Claude Code reads after this pass (the planned text under dry-run), null when absent. */
  effectiveText: string | null;
  /** Whether the file exists (after the pass, or as planned). */
  exists: boolean;
  error?: string;
}

export interface BatchDeps {
  mode: Mode;
  backups: BackupStore | null;
  writeDeps: WriteDeps;
  /** Long-running agents keep texts and plans between passes (see inspect-cache.ts). */
  cache?: InspectCache;
  /**
   * Asked before a file is written in repair mode (the daemon's per-file rate limit): `true` to write, or the
   * reason it is held — the file is then reported drifted with a blocking `contested` finding, not written.
   */
  mayWrite?: (machinePath: string) => true | string;
}

const MAX_ATTEMPTS = 3;

interface Pending {
  item: FileItem;
  insp: Inspection;
  plan: Plan;
}

const inspect = (item: FileItem, folderCache?: Map<string, Stats | null>, textCache?: InspectCache): Inspection =>
  inspectFile(item.hostPath, { trustedAncestor: item.trustedAncestor, owner: item.owner, ...(folderCache ? { folderCache } : {}), ...(textCache ? { textCache } : {}) });

const ioError = (insp: Inspection): FilePassResult => ({
  state: 'error', findings: [{ code: 'io-error', message: insp.error, blocking: true }], edits: [], effectiveText: null, exists: insp.exists, error: insp.error,
});

/** The result of a file that needs no write (or may not get one), or null when it should be written. */
function settleWithoutWrite(p: Pending, mode: Mode, mayWrite?: BatchDeps['mayWrite']): FilePassResult | null {
  const { insp, plan } = p;
  if (insp.error) return ioError(insp);
  if (insp.unsafe.length > 0) {
    // Never written; Claude Code still reads through it, so its content counts for the verdict.
    return { state: 'unsafe', findings: [...insp.unsafe.map((f) => ({ ...f, blocking: false })), ...plan.findings], edits: plan.edits, effectiveText: insp.text, exists: insp.exists };
  }
  if (plan.edits.length === 0 || mode === 'check') {
    return { state: plan.state, findings: plan.findings, edits: plan.edits, effectiveText: insp.text, exists: insp.exists };
  }
  if (mode === 'dry-run') {
    return { state: 'repaired', findings: plan.findings, edits: plan.edits, effectiveText: plan.nextText, exists: plan.nextText !== null };
  }
  const allowed = mayWrite ? mayWrite(p.item.machinePath) : true;
  if (allowed !== true) {
    return { state: 'drifted', findings: [...plan.findings, { code: 'contested', message: allowed, blocking: true }], edits: plan.edits, effectiveText: insp.text, exists: insp.exists };
  }
  return null;
}

function request(p: Pending): WriteRequest {
  const { item, insp, plan } = p;
  return {
    hostPath: item.hostPath,
    text: plan.nextText,
    owner: item.owner,
    createMode: item.createMode,
    trustedAncestor: item.trustedAncestor,
    expected: insp.exists && insp.stat ? { ino: insp.stat.ino, size: insp.stat.size, mtimeMs: insp.stat.mtimeMs } : null,
  };
}

function backup(pendings: readonly Pending[], store: BackupStore | null): void {
  if (!store) return;
  const items = pendings
    .filter((p) => p.insp.exists && p.insp.text !== null && p.insp.stat)
    .map((p) => ({ machinePath: p.item.machinePath, text: p.insp.text!, meta: { mode: p.insp.stat!.mode & 0o7777, uid: p.insp.stat!.uid, gid: p.insp.stat!.gid } }));
  if (items.length) store.saveMany(items);
}

/** After a write: re-read and re-plan. Repaired only when there is nothing left to do. */
function verdictAfterWrite(p: Pending, res: WriteResult, firstFindings: Finding[]): { done: FilePassResult } | { retry: Pending } {
  if (!res.ok && res.code !== 'changed') {
    const state: FileState = res.code === 'unsafe' ? 'unsafe' : 'error';
    const extra = res.findings ?? [{ code: res.code === 'unsafe' ? 'write-refused' : 'write-failed', message: res.message }];
    return { done: { state, findings: [...extra.map((f) => ({ ...f, blocking: false })), ...p.plan.findings], edits: p.plan.edits, effectiveText: p.insp.text, exists: p.insp.exists, error: res.message } };
  }
  const insp = inspect(p.item);
  if (insp.error) return { done: ioError(insp) };
  const again = p.item.plan(insp.text);
  if (again.edits.length === 0) {
    const state: FileState = res.ok ? 'repaired' : again.state;
    return { done: { state, findings: res.ok ? firstFindings : again.findings, edits: res.ok ? p.plan.edits : [], effectiveText: insp.text, exists: insp.exists } };
  }
  return { retry: { item: p.item, insp, plan: again } };
}

export async function runBatch(items: readonly FileItem[], deps: BatchDeps): Promise<FilePassResult[]> {
  const results: (FilePassResult | null)[] = new Array(items.length).fill(null);
  let round: { index: number; pending: Pending; firstFindings: Finding[] }[] = [];
  const folderCache = new Map<string, Stats | null>();
  items.forEach((item, index) => {
    const insp = inspect(item, folderCache, deps.cache);
    const plan = insp.error ? emptyPlan() : deps.cache && item.planKey ? deps.cache.plan(item.planKey.policy, item.planKey.role, insp.text, () => item.plan(insp.text)) : item.plan(insp.text);
    const pending: Pending = { item, insp, plan };
    const settled = settleWithoutWrite(pending, deps.mode, deps.mayWrite);
    if (settled) results[index] = settled;
    else round.push({ index, pending, firstFindings: pending.plan.findings });
  });
  for (let attempt = 1; round.length > 0; attempt++) {
    if (attempt > MAX_ATTEMPTS) {
      for (const r of round) {
        results[r.index] = {
          state: 'drifted', findings: [...r.pending.plan.findings, { code: 'contested', message: `still changing after ${MAX_ATTEMPTS} attempts`, blocking: true }],
          edits: r.pending.plan.edits, effectiveText: r.pending.insp.text, exists: r.pending.insp.exists,
        };
      }
      break;
    }
    backup(round.map((r) => r.pending), deps.backups);
    const written = await writeFilesSafely(round.map((r) => request(r.pending)), deps.writeDeps);
    const next: typeof round = [];
    round.forEach((r, i) => {
      const v = verdictAfterWrite(r.pending, written[i]!, r.firstFindings);
      if ('done' in v) {
        results[r.index] = v.done;
        return;
      }
      const settled = settleWithoutWrite(v.retry, deps.mode, deps.mayWrite);
      if (settled) results[r.index] = settled;
      else next.push({ index: r.index, pending: v.retry, firstFindings: r.firstFindings });
    });
    round = next;
  }
  return results.map((r) => r!);
}

const emptyPlan = (): Plan => ({ edits: [], nextText: null, findings: [], state: 'error' });
