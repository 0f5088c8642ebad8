/**
 * Naming and clean-up of the writer's temp files. A temp file sits beside its target as
 * `.<target name>.ccfleet-tmp-<pid>-<8 hex>`: hidden, and never ending in `.json`, so Claude Code (which
 * reads every `managed-settings.d/*.json`) can never pick one up. A writer killed between creating and
 * renaming its temp file leaves one behind; the next write to the same target removes every temp file of
 * that target whose writer is gone (pid no longer alive) or that is older than STALE_AFTER_MS (pid reuse).
 * Only our exact naming is touched, and only regular files or symlinks (unlink never follows a link).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const STALE_AFTER_MS = 10 * 60 * 1000;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.ccfleet-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Whether a process (a writer that may own a temp file) still runs; EPERM means it exists under another uid. */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes stale temp files of `target`'s own naming; returns how many it removed. Never throws. */
export function removeStaleTemps(target: string, now = Date.now()): number {
  const dir = path.dirname(target);
  const re = new RegExp(`^\\.${escapeRe(path.basename(target))}\\.ccfleet-tmp-(\\d+)-[0-9a-f]{8}$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = re.exec(name);
    if (!m) continue;
    const p = path.join(dir, name);
    try {
      const st = fs.lstatSync(p);
      if (!st.isFile() && !st.isSymbolicLink()) continue;
      if (pidAlive(Number(m[1])) && now - st.mtimeMs < STALE_AFTER_MS) continue;
      fs.unlinkSync(p);
      removed++;
    } catch {
      // Raced with another cleaner or not ours to remove: leave it.
    }
  }
  return removed;
}
