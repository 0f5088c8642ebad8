/**
 * `ccfleet restore`: put files back from the backups ccfleet took before changing them — by default the
 * original (before ccfleet first touched the file), with --latest the state before the last change.
 * Writes go through the same safe writer as repair (atomic, symlink-refusing, owner and mode restored).
 * A --path without a backup is BACKUP_NOT_FOUND (exit 2) before anything is written.
 */
import path from 'node:path';
import { CcfleetError } from '../../core/errors.js';
import type { BackupEntry } from '../../agent/backups.js';
import { inspectFile } from '../../agent/fs-safety.js';
import { writeFileSafely } from '../../agent/safe-write.js';
import { toHostPath } from '../../platform/root-path.js';
import type { CommonOptions } from '../args.js';
import { baseContext } from '../context.js';
import { table } from '../table.js';
import type { CommandResult } from './result.js';

export async function restoreCommand(opts: CommonOptions, extra: Record<string, unknown>): Promise<CommandResult> {
  const ctx = baseContext(opts);
  const store = ctx.deps.backups!;
  const wanted = (extra.path as string[] | undefined) ?? [];
  const all = store.list();
  if (extra.list) {
    const shown = all.filter((e) => wanted.length === 0 || wanted.includes(e.path));
    if (opts.json) return { exitCode: 0, stdout: JSON.stringify({ backups: shown }, null, 2) + '\n' };
    const rows = shown.map((e) => [e.createdAt, e.path, String(e.size), e.sha256.slice(0, 12), e.id]);
    return { exitCode: 0, stdout: rows.length ? table(['TAKEN', 'FILE', 'BYTES', 'SHA256', 'ID'], rows, { keepEnd: [1] }) + '\n' : 'no backups\n' };
  }
  const paths = wanted.length ? wanted : [...new Set(all.map((e) => e.path))];
  const results: { path: string; from: string | null; state: 'restored' | 'would-restore' | 'unchanged' | 'failed'; message?: string }[] = [];
  // Every named path must have a backup before anything is written: a typo restores nothing.
  const entries = paths.map((p) => {
    const entry = extra.latest ? store.latest(p) : store.original(p);
    if (!entry) throw new CcfleetError('BACKUP_NOT_FOUND', `no backup of ${p} (ccfleet restore --list shows what there is)`);
    return entry;
  });
  for (const entry of entries) results.push(await restoreOne(ctx, entry, opts.dryRun));
  const failed = results.some((r) => r.state === 'failed');
  if (opts.json) return { exitCode: failed ? 1 : 0, stdout: JSON.stringify({ restored: results }, null, 2) + '\n' };
  const rows = results.map((r) => [r.path, r.state, r.from ?? '', r.message ?? '']);
  return { exitCode: failed ? 1 : 0, stdout: rows.length ? table(['FILE', 'RESULT', 'BACKUP TAKEN', 'NOTE'], rows, { keepEnd: [0] }) + '\n' : 'no backups to restore\n' };
}

async function restoreOne(ctx: ReturnType<typeof baseContext>, entry: BackupEntry, dryRun: boolean) {
  const text = ctx.deps.backups!.read(entry);
  const hostPath = toHostPath(ctx.root, ctx.platform.name, entry.path, path.sep);
  // The folders from the settings file's grand-parent down must not be symlinks (`~/.claude`, `<project>/.claude`, `managed-settings.d`).
  const ancestor = path.dirname(path.dirname(hostPath));
  const owner = ctx.deps.uid === 0 && entry.uid !== null && entry.gid !== null ? { uid: entry.uid, gid: entry.gid } : null;
  const now = inspectFile(hostPath, { trustedAncestor: ancestor, owner: null });
  if (now.text === text) return { path: entry.path, from: entry.createdAt, state: 'unchanged' as const };
  if (dryRun) return { path: entry.path, from: entry.createdAt, state: 'would-restore' as const };
  const res = await writeFileSafely(
    { hostPath, text, owner, createMode: entry.mode, trustedAncestor: ancestor, expected: now.exists && now.stat ? { ino: now.stat.ino, size: now.stat.size, mtimeMs: now.stat.mtimeMs } : null },
    ctx.deps.writeDeps,
  );
  return res.ok
    ? { path: entry.path, from: entry.createdAt, state: 'restored' as const }
    : { path: entry.path, from: entry.createdAt, state: 'failed' as const, message: `${res.code}: ${res.message}` };
}
