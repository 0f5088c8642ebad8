/**
 * A bounded history of settings files as they were before ccfleet changed them, kept in the agent's
 * state dir (`<state>/backups`, folders 0700, files 0600: settings may hold keys). The runner saves a
 * file's content before the first change of each repair; `ccfleet restore` reads them back.
 *
 * Layout: `<dir>/<sha256(machine path), 32 hex>/<id>.bak` (the exact text) + `<id>.json` (the entry),
 * id = `<sequence, 6+ digits>-<first 12 hex of the content's sha256>`. Contents are durable before any
 * entry is written, so an entry always has its content, even after a crash (a crash while writing can
 * leave an empty or partial file: an entry that does not parse is skipped, a content without its entry
 * is never read, and the next save with that id replaces it). Per file at most
 * `keepPerFile` entries (default 10, at least 2) are kept: the oldest — the file before ccfleet first
 * changed it — always, plus the newest ones. Saving content (and mode/owner) identical to the newest entry
 * returns that entry. `saveMany` saves a whole repair's backups with one round of batched fsyncs.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CcfleetError } from '../core/errors.js';
import { ensurePrivateDir, writeNewPrivateFiles, type PrivateFile } from './private-file.js';

export interface BackupEntry {
  id: string;
  path: string;
  createdAt: string;
  sha256: string;
  mode: number;
  uid: number | null;
  gid: number | null;
  size: number;
}

export interface BackupMeta {
  mode: number;
  uid: number | null;
  gid: number | null;
}

const ID = /^(\d{6,})-[0-9a-f]{12}$/;
const KEY = /^[0-9a-f]{32}$/;
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const seqOf = (e: BackupEntry): number => Number(ID.exec(e.id)?.[1] ?? 0);
const nullableInt = (v: unknown): v is number | null => v === null || Number.isInteger(v);

function asEntry(v: unknown): BackupEntry | null {
  if (typeof v !== 'object' || v === null) return null;
  const e = v as Record<string, unknown>;
  const ok =
    typeof e.id === 'string' && ID.test(e.id) && typeof e.path === 'string' && typeof e.createdAt === 'string' &&
    typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256) && Number.isInteger(e.mode) &&
    nullableInt(e.uid) && nullableInt(e.gid) && Number.isInteger(e.size);
  return ok ? (e as unknown as BackupEntry) : null;
}

export class BackupStore {
  private readonly keep: number;
  private readonly now: () => Date;

  constructor(
    private readonly dir: string,
    opts: { keepPerFile?: number; now?: () => Date } = {},
  ) {
    this.keep = Math.max(2, opts.keepPerFile ?? 10);
    this.now = opts.now ?? (() => new Date());
  }

  save(machinePath: string, text: string, meta: BackupMeta): BackupEntry {
    return this.saveMany([{ machinePath, text, meta }])[0]!;
  }

  /**
   * Saves several files' content at once; one entry per item, in order (an item identical to its file's
   * newest entry — also one saved earlier in the same call — returns that entry). Every backup is durable
   * when this returns; the fsyncs are batched (writeNewPrivateFiles: all contents durable, then all entries).
   * Throws WRITE_REFUSED / WRITE_FAILED; entries completed before a failure stay valid.
   */
  saveMany(items: readonly { machinePath: string; text: string; meta: BackupMeta }[]): BackupEntry[] {
    const histories = new Map<string, BackupEntry[]>();
    const grown = new Set<string>();
    const contents: PrivateFile[] = [];
    const entries: PrivateFile[] = [];
    const out = items.map(({ machinePath, text, meta }) => {
      const data = Buffer.from(text, 'utf8');
      const hash = sha256(data);
      let history = histories.get(machinePath);
      if (!history) histories.set(machinePath, (history = this.history(machinePath)));
      const newest = history.at(-1);
      if (newest && newest.sha256 === hash && newest.mode === meta.mode && newest.uid === meta.uid && newest.gid === meta.gid) {
        return newest;
      }
      const seq = (newest ? seqOf(newest) : 0) + 1;
      const entry: BackupEntry = {
        id: `${String(seq).padStart(6, '0')}-${hash.slice(0, 12)}`,
        path: machinePath,
        createdAt: this.now().toISOString(),
        sha256: hash,
        mode: meta.mode,
        uid: meta.uid,
        gid: meta.gid,
        size: data.length,
      };
      history.push(entry);
      grown.add(machinePath);
      const folder = this.folderOf(machinePath);
      contents.push({ file: path.join(folder, `${entry.id}.bak`), data });
      entries.push({ file: path.join(folder, `${entry.id}.json`), data: `${JSON.stringify(entry)}\n` });
      return entry;
    });
    if (entries.length === 0) return out;
    const created = ensurePrivateDir(this.dir);
    for (const machinePath of grown) created.push(...ensurePrivateDir(this.folderOf(machinePath)));
    writeNewPrivateFiles([contents, entries], [...new Set(created)]);
    for (const machinePath of grown) this.prune(this.folderOf(machinePath), histories.get(machinePath)!);
    return out;
  }

  /** Entries newest first: of one file, or of every file (by creation time). */
  list(machinePath?: string): BackupEntry[] {
    if (machinePath !== undefined) return this.history(machinePath).reverse();
    const keys = (readdirOrEmpty(this.dir)).filter((k) => KEY.test(k));
    const all = keys.flatMap((k) => this.readFolder(path.join(this.dir, k)));
    return all.sort((a, b) => (a.createdAt === b.createdAt ? seqOf(b) - seqOf(a) : a.createdAt < b.createdAt ? 1 : -1));
  }

  original(machinePath: string): BackupEntry | null {
    return this.history(machinePath)[0] ?? null;
  }

  latest(machinePath: string): BackupEntry | null {
    return this.history(machinePath).at(-1) ?? null;
  }

  /** The saved text, after checking it still has the hash it was saved with. */
  read(entry: BackupEntry): string {
    if (!ID.test(entry.id)) throw new CcfleetError('BACKUP_NOT_FOUND', `not a backup id: ${entry.id}`);
    const file = path.join(this.folderOf(entry.path), `${entry.id}.bak`);
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (e) {
      throw new CcfleetError('BACKUP_NOT_FOUND', `backup ${entry.id} of ${entry.path} is missing`, { cause: e });
    }
    if (sha256(data) !== entry.sha256) {
      throw new CcfleetError('BACKUP_NOT_FOUND', `backup ${entry.id} of ${entry.path} is corrupt (hash mismatch)`);
    }
    return data.toString('utf8');
  }

  private folderOf(machinePath: string): string {
    return path.join(this.dir, sha256(machinePath).slice(0, 32));
  }

  /** One file's entries, oldest first. */
  private history(machinePath: string): BackupEntry[] {
    return this.readFolder(this.folderOf(machinePath))
      .filter((e) => e.path === machinePath)
      .sort((a, b) => seqOf(a) - seqOf(b));
  }

  private readFolder(folder: string): BackupEntry[] {
    const out: BackupEntry[] = [];
    for (const name of readdirOrEmpty(folder)) {
      if (!name.endsWith('.json') || !ID.test(name.slice(0, -5))) continue;
      try {
        const e = asEntry(JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8')));
        if (e && `${e.id}.json` === name) out.push(e);
      } catch {
        // An unreadable entry is skipped; its content stays on disk for a human.
      }
    }
    return out;
  }

  private prune(folder: string, history: BackupEntry[]): void {
    const drop = history.slice(1, Math.max(1, history.length - (this.keep - 1)));
    for (const e of drop) {
      fs.rmSync(path.join(folder, `${e.id}.json`), { force: true });
      fs.rmSync(path.join(folder, `${e.id}.bak`), { force: true });
    }
  }
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
