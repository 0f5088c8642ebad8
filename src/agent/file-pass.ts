/**
 * One file through the loop: inspect → plan → (apply) → re-verify. Returns the file's state, its
 * findings, and the text Claude Code will read afterwards (for the effect verdict). The only caller of
 * the safe writer; a plan built on a file that changed meanwhile is re-planned, never forced.
 */
import type { Plan } from '../core/plan-settings.js';
import type { Finding, FileState } from '../core/types.js';
import type { BackupStore } from './backups.js';
import { inspectFile, type Inspection, type Owner } from './fs-safety.js';
import { writeFileSafely, type WriteDeps } from './safe-write.js';

export type Mode = 'check' | 'repair' | 'dry-run';

export interface FilePassInput {
  machinePath: string;
  hostPath: string;
  trustedAncestor: string;
  owner: Owner | null;
  createMode: number;
  plan: (text: string | null) => Plan;
  mode: Mode;
  backups: BackupStore | null;
  writeDeps: WriteDeps;
}

export interface FilePassResult {
  state: FileState;
  findings: Finding[];
  edits: Plan['edits'];
  /** What Claude Code reads after this pass (planned text under dry-run), null when absent. */
  effectiveText: string | null;
  /** Whether the content is read by Claude Code even though we may not write it (unsafe files are). */
  error?: string;
}

const MAX_ATTEMPTS = 3;

export async function runFilePass(input: FilePassInput): Promise<FilePassResult> {
  let insp = inspect(input);
  if (insp.error) return { state: 'error', findings: [{ code: 'io-error', message: insp.error, blocking: true }], edits: [], effectiveText: null, error: insp.error };
  let plan = input.plan(insp.text);
  const unsafe = insp.unsafe.map((f) => ({ ...f, blocking: false }));
  if (unsafe.length > 0) {
    return { state: 'unsafe', findings: [...unsafe, ...plan.findings], edits: plan.edits, effectiveText: insp.text };
  }
  if (plan.edits.length === 0 || input.mode === 'check') {
    return { state: plan.state, findings: plan.findings, edits: plan.edits, effectiveText: insp.text };
  }
  if (input.mode === 'dry-run') {
    return { state: 'repaired', findings: plan.findings, edits: plan.edits, effectiveText: plan.nextText };
  }
  const firstFindings = plan.findings;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (insp.exists && insp.text !== null && input.backups && insp.stat) {
      input.backups.save(input.machinePath, insp.text, { mode: insp.stat.mode & 0o7777, uid: insp.stat.uid, gid: insp.stat.gid });
    }
    const res = await writeFileSafely(
      {
        hostPath: input.hostPath,
        text: plan.nextText,
        owner: input.owner,
        createMode: input.createMode,
        trustedAncestor: input.trustedAncestor,
        expected: insp.exists && insp.stat ? { ino: insp.stat.ino, size: insp.stat.size, mtimeMs: insp.stat.mtimeMs } : null,
      },
      input.writeDeps,
    );
    if (!res.ok && res.code !== 'changed') {
      const state: FileState = res.code === 'unsafe' ? 'unsafe' : 'error';
      const extra = res.findings ?? [{ code: res.code === 'unsafe' ? 'write-refused' : 'write-failed', message: res.message, blocking: false }];
      return { state, findings: [...extra.map((f) => ({ ...f, blocking: false })), ...plan.findings], edits: plan.edits, effectiveText: insp.text, error: res.message };
    }
    insp = inspect(input);
    if (insp.error) return { state: 'error', findings: [{ code: 'io-error', message: insp.error, blocking: true }], edits: [], effectiveText: null, error: insp.error };
    const again = input.plan(insp.text);
    if (res.ok) {
      if (again.edits.length === 0) {
        return { state: 'repaired', findings: firstFindings, edits: plan.edits, effectiveText: insp.text };
      }
      // Someone rewrote it between our write and the verify read: go round again.
    }
    plan = again;
    if (plan.edits.length === 0) return { state: 'compliant', findings: plan.findings, edits: [], effectiveText: insp.text };
  }
  return {
    state: 'drifted',
    findings: [...plan.findings, { code: 'contested', message: `still changing after ${MAX_ATTEMPTS} attempts`, blocking: true }],
    edits: plan.edits,
    effectiveText: insp.text,
  };
}

function inspect(input: FilePassInput): Inspection {
  return inspectFile(input.hostPath, { trustedAncestor: input.trustedAncestor, owner: input.owner });
}
