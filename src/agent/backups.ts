/**
 * A bounded history of settings files as they were before ccfleet changed them, kept in the agent's
 * state dir (`<state>/backups`: folder 0700, files 0600, a symlinked or foreign folder refused for reads
 * and writes — settings may hold keys). The runner saves a repair's backups with one `saveMany` before it
 * replaces any file; `ccfleet restore` reads them back (`list`, `original`, `latest`, `read`).
 *
 * Layout: generation files `<dir>/gen-<seq, 9+ digits>.json`, each created once by one save call and never
 * changed: `{"format":"ccfleet-backups/1","full":bool,"entries":[...]}`, one entry per line, each a
 * BackupEntry plus `text` (the exact saved text; `read` checks it against the entry's sha256). Entry id =
 * `<per-file sequence, 6+ digits>-<first 12 hex of the content's sha256>`. A generation is created with
 * createPrivateFileAtomic (temp, fsync, hard link to its name — never replacing one — folder fsync): a save
 * call costs 2 fsyncs whatever the number of files, and a crash leaves the call's generation entirely
 * there or entirely absent — never an entry without its text. Durable before saveMany returns.
 *
 * Reading: the store is every valid generation from the newest `full` one on (a full generation is a
 * compacted snapshot; older ones are superseded even while still on disk). Names other than `gen-<n>.json`
 * (temp files, the old per-file folders, anything else) are never read; a generation that is not a
 * regular file of ours, does not parse, or holds one malformed entry is skipped whole. The entries of one
 * file, merged across generations, are retained as: the oldest (the file before ccfleet first changed it)
 * always, plus the newest ones up to `keepPerFile` (default 10, at least 2) — a dropped entry is gone for
 * readers at once, and dropping more never brings an older one back.
 *
 * Compaction: a save writes a full generation (every retained entry, its own included) instead of a delta
 * when the generations in use would exceed MAX_GENERATIONS, when dropped entries weigh more on disk than
 * retained ones, or when the retained entries exceed `maxEntries`/`maxBytes` (defaults 50,000 / 64 MiB of
 * text). Over a cap, the oldest entries that are neither a file's original nor its newest are dropped
 * until under 90% of both (originals and newest entries are never dropped: the caps are soft). Once the
 * full generation is durable, the generations it supersedes and killed writers' temp files are deleted
 * (no fsync needed: a superseded generation a crash brings back is ignored).
 *
 * Concurrent writers (daemon + CLI) lose nothing: a delta whose seq another writer took is linked under the
 * next free one (same temp file, no extra fsync); a full generation must hold everything below it, so when
 * its seq is taken, or a full generation made by another writer after we read the store hides ours, the
 * call is planned and written again. Store instances cache parsed generations by name and lstat signature.
 *
 * Saving content (and mode/owner) identical to the file's newest entry — also one saved earlier in the
 * same call — returns that entry and writes nothing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CcfleetError } from '../core/errors.js';
import { GEN, ID, MAX_SEQ, genName, readGeneration, serialize, signature, type Generation } from './backup-generation.js';
import { BackupIndex, type Stored } from './backup-index.js';
import { createPrivateFileAtomic, ensurePrivateDir, privateDirExists, removeStaleTemps } from './private-file.js';

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

export interface BackupStoreOptions {
  keepPerFile?: number;
  now?: () => Date;
  /** Soft caps on the retained entries (a file's original and newest entries are always kept). */
  maxEntries?: number;
  maxBytes?: number;
}

/** Generations in use (the newest full one and the deltas after it) before a save compacts them. */
export const MAX_GENERATIONS = 16;
/** Attempts of a save call (and names a delta tries) while other writers keep racing it. */
const MAX_ATTEMPTS = 20;
/** A compaction over a cap trims to this share of it, so the next saves are deltas again. */
const TRIM_TO = 0.9;

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A generation file as found: its stat signature and its content (null: not a valid generation). */
interface Found {
  seq: number;
  sig: string;
  gen: Generation | null;
}

/** The store as read from disk. */
interface View {
  /** Every `gen-<n>.json` name with what was found there. */
  files: Map<string, Found>;
  /** Highest seq of any `gen-<n>.json` name (valid or not): the next generation takes maxSeq + 1. */
  maxSeq: number;
  /** Seq of the newest valid full generation (0: none). */
  floor: number;
  /** `gen-<n>.json` names with n ≥ floor: the generations in use, valid or not. */
  inUse: number;
  index: BackupIndex;
}

export class BackupStore {
  private readonly keep: number;
  private readonly now: () => Date;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  /** The last view; its index is extended in place when only new deltas appeared. */
  private view: View | null = null;

  constructor(
    private readonly dir: string,
    opts: BackupStoreOptions = {},
  ) {
    this.keep = Math.max(2, opts.keepPerFile ?? 10);
    this.now = opts.now ?? (() => new Date());
    this.maxEntries = opts.maxEntries ?? 50_000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  }

  save(machinePath: string, text: string, meta: BackupMeta): BackupEntry {
    return this.saveMany([{ machinePath, text, meta }])[0]!;
  }

  /**
   * Saves several files' content at once; one entry per item, in order (an item identical to its file's
   * newest entry — also one saved earlier in the same call — returns that entry). Writes one generation
   * file (2 fsyncs); every backup is durable when this returns. Throws WRITE_REFUSED / WRITE_FAILED (the
   * call's backups are then all in the store or none, as after a crash).
   */
  saveMany(items: readonly { machinePath: string; text: string; meta: BackupMeta }[]): BackupEntry[] {
    if (items.length === 0) return [];
    for (let attempt = 1; ; attempt++) {
      const view = this.load();
      const { out, added } = this.plan(view, items);
      if (added.length === 0 || this.write(view, added)) return out;
      if (attempt >= MAX_ATTEMPTS) {
        throw new CcfleetError('WRITE_FAILED', `cannot save backups in ${this.dir}: other writers kept racing`, { retryable: true });
      }
    }
  }

  /** Entries newest first: of one file, or of every file (by creation time). */
  list(machinePath?: string): BackupEntry[] {
    const index = this.load().index;
    if (machinePath !== undefined) return (index.histories.get(machinePath)?.kept ?? []).map((s) => ({ ...s.entry })).reverse();
    return [...index.kept()]
      .reverse()
      .sort((a, b) => (a.entry.createdAt === b.entry.createdAt ? 0 : a.entry.createdAt < b.entry.createdAt ? 1 : -1))
      .map((s) => ({ ...s.entry }));
  }

  original(machinePath: string): BackupEntry | null {
    const first = this.load().index.histories.get(machinePath)?.kept[0];
    return first ? { ...first.entry } : null;
  }

  latest(machinePath: string): BackupEntry | null {
    const last = this.load().index.histories.get(machinePath)?.kept.at(-1);
    return last ? { ...last.entry } : null;
  }

  /** The saved text, after checking it still has the hash it was saved with. */
  read(entry: BackupEntry): string {
    if (!ID.test(entry.id)) throw new CcfleetError('BACKUP_NOT_FOUND', `not a backup id: ${entry.id}`);
    const stored = this.load().index.histories.get(entry.path)?.kept.find((s) => s.entry.id === entry.id);
    if (!stored) throw new CcfleetError('BACKUP_NOT_FOUND', `backup ${entry.id} of ${entry.path} is missing`);
    if (sha256(Buffer.from(stored.text, 'utf8')) !== entry.sha256) {
      throw new CcfleetError('BACKUP_NOT_FOUND', `backup ${entry.id} of ${entry.path} is corrupt (hash mismatch)`);
    }
    return stored.text;
  }

  /** The entries `items` give against `view`, and the new ones among them (in order). */
  private plan(view: View, items: readonly { machinePath: string; text: string; meta: BackupMeta }[]): { out: BackupEntry[]; added: Stored[] } {
    const newest = new Map<string, Stored | undefined>();
    const handedOut = new Map<Stored, BackupEntry>();
    const added: Stored[] = [];
    const out = items.map(({ machinePath, text, meta }) => {
      const data = Buffer.from(text, 'utf8');
      const hash = sha256(data);
      const last = newest.has(machinePath) ? newest.get(machinePath) : view.index.histories.get(machinePath)?.kept.at(-1);
      const e = last?.entry;
      if (last && e && e.sha256 === hash && e.mode === meta.mode && e.uid === meta.uid && e.gid === meta.gid) {
        let given = handedOut.get(last);
        if (!given) handedOut.set(last, (given = last.gen > view.maxSeq ? last.entry : { ...last.entry }));
        return given;
      }
      const seq = (last?.seq ?? 0) + 1;
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
      const stored: Stored = { entry, text, seq, gen: view.maxSeq + 1, index: added.length };
      newest.set(machinePath, stored);
      added.push(stored);
      return entry;
    });
    return { out, added };
  }

  /**
   * Writes one generation with `added` (a delta, or a full one when compaction is due); false when another
   * writer took its seq or superseded it meanwhile (the caller plans the call again from a fresh view).
   */
  private write(view: View, added: Stored[]): boolean {
    const created = ensurePrivateDir(this.dir);
    const next = view.index.preview(added);
    const t = next.totals;
    const overCap = (t.kept > this.maxEntries || t.liveBytes > this.maxBytes) && t.middles > 0;
    const full = view.inUse + 1 > MAX_GENERATIONS || t.deadWeight > t.liveWeight || overCap;
    const entries = !full
      ? added
      : overCap
        ? view.index.trimmed(next.histories, Math.floor(this.maxEntries * TRIM_TO), Math.floor(this.maxBytes * TRIM_TO))
        : view.index.kept(next.histories);
    // A full generation must hold everything below it: only the seq after every name we read will do.
    // A delta holds only its own entries: when another writer took its seq, the next free one does.
    const names = (attempt: number): string | null => {
      if (attempt > 0 && (full || attempt >= MAX_ATTEMPTS)) return null;
      const seq = attempt === 0 ? view.maxSeq + 1 : this.maxSeqOnDisk() + 1;
      if (seq > MAX_SEQ) throw new CcfleetError('WRITE_FAILED', `cannot save backups in ${this.dir}: generation numbers exhausted`);
      return genName(seq);
    };
    const name = createPrivateFileAtomic(this.dir, serialize(full, entries), names, created);
    if (name === null) return false;
    // A full generation that another writer made after we read the store, but before our file existed,
    // does not hold our entries and hides our generation: plan again.
    const seq = Number(GEN.exec(name)![1]);
    const listing = fs.readdirSync(this.dir);
    for (const other of listing) {
      const m = GEN.exec(other);
      if (m && Number(m[1]) > seq && this.found(other, Number(m[1])).gen?.full) return false;
    }
    this.collect(listing, full ? seq : view.floor);
    return true;
  }

  private maxSeqOnDisk(): number {
    let max = 0;
    for (const name of fs.readdirSync(this.dir)) max = Math.max(max, Number(GEN.exec(name)?.[1] ?? 0));
    return max;
  }

  /** Deletes generations below `floor` (superseded) and killed writers' temp files. Best effort. */
  private collect(listing: readonly string[], floor: number): void {
    try {
      for (const name of listing) {
        const m = GEN.exec(name);
        if (!m || Number(m[1]) >= floor) continue;
        const file = path.join(this.dir, name);
        if (fs.lstatSync(file).isFile()) fs.unlinkSync(file);
      }
      removeStaleTemps(this.dir, GEN, listing);
    } catch {
      // Another writer collecting at the same time, or a file we may not remove: left for the next save.
    }
  }

  /**
   * The store as it is on disk now. Generation files are never changed once created, so one whose name
   * and stat signature were seen before is not read again; when only deltas appeared, the index is
   * extended with their entries instead of rebuilt.
   */
  private load(): View {
    if (!privateDirExists(this.dir)) {
      this.view = null;
      return emptyView(this.keep);
    }
    const prev = this.view;
    const files = new Map<string, Found>();
    for (const name of fs.readdirSync(this.dir)) {
      const m = GEN.exec(name);
      if (m) files.set(name, this.found(name, Number(m[1])));
    }
    if (prev && sameFiles(prev.files, files)) return prev;
    const extended = prev && this.extend(prev, files);
    return (this.view = extended ?? this.rebuild(files));
  }

  /** What is at `name` now: the cached read when the stat signature is unchanged, else a fresh read. */
  private found(name: string, seq: number): Found {
    const file = path.join(this.dir, name);
    const sig = signature(file);
    const known = this.view?.files.get(name);
    if (known && sig !== null && known.sig === sig) return known;
    return { seq, ...readGeneration(file, seq) };
  }

  private rebuild(files: Map<string, Found>): View {
    let floor = 0;
    let maxSeq = 0;
    for (const f of files.values()) {
      maxSeq = Math.max(maxSeq, f.seq);
      if (f.gen?.full) floor = Math.max(floor, f.seq);
    }
    const index = new BackupIndex(this.keep);
    let inUse = 0;
    const entries: Stored[] = [];
    for (const f of files.values()) {
      if (f.seq < floor) continue;
      inUse++;
      if (f.gen) entries.push(...f.gen.entries);
    }
    index.add(entries);
    return { files, maxSeq, floor, inUse, index };
  }

  /** `prev` extended with the new files when every file it had is unchanged and no new one is full; else null. */
  private extend(prev: View, files: Map<string, Found>): View | null {
    for (const [name, f] of prev.files) if (files.get(name) !== f) return null;
    const fresh = [...files].filter(([name]) => !prev.files.has(name)).map(([, f]) => f);
    if (fresh.some((f) => f.gen?.full && f.seq >= prev.floor)) return null;
    const inUse = fresh.filter((f) => f.seq >= prev.floor);
    prev.index.add(inUse.flatMap((f) => f.gen?.entries ?? []));
    const maxSeq = Math.max(prev.maxSeq, ...fresh.map((f) => f.seq));
    return { files, maxSeq, floor: prev.floor, inUse: prev.inUse + inUse.length, index: prev.index };
  }
}

const emptyView = (keep: number): View => ({ files: new Map(), maxSeq: 0, floor: 0, inUse: 0, index: new BackupIndex(keep) });

function sameFiles(a: Map<string, Found>, b: Map<string, Found>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, f] of a) if (b.get(name) !== f) return false;
  return true;
}
