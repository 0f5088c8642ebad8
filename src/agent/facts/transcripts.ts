/**
 * Which models a user really used lately, from the tails of their newest Claude Code transcripts:
 * `<configDir>/projects/<cwd with non-alphanumerics → "-">/<session>.jsonl`. Read-only, bounded, and safe
 * to run as root inside a user's home.
 *
 * `scanTranscripts(hostConfigDir, opts)` never throws; whatever limited the scan is `note`:
 *   "unsafe" (a symlink, a foreign owner, or — at open — a non-regular or hard-linked file was skipped),
 *   "unreadable" (an I/O error), "no-transcripts" (no `projects/` folder or no `.jsonl` in the folders looked at).
 *   With several, the first of that list wins.
 *
 * Safety, when `owner` is set (we run as root): the config dir, `projects/`, every project folder walked and
 * every file read must be owned by `owner.uid` (folders may also be root's). Folders are lstat'ed (a symlink is skipped, "unsafe");
 * files are lstat'ed, then opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK and fstat'ed (a regular file with one link
 * and the right owner, or skipped). Only the last `tailBytes` of a file are read, with positional reads — read
 * again, larger, up to `maxTailBytes` when that tail holds no model use (a short 2.1.332 session ends with a
 * 57–111 KB prompt snapshot line after its one turn, its size depending on the model).
 * Residual: folders are checked by path, so a user who swaps a checked folder for a symlink at the right
 * instant can only lead us to a `.jsonl` the user owns anyway (every other uid's files, root's included,
 * fail the fstat owner check).
 * With `owner: null` (not root: we are the user, or the owner is unknown) symlinks are followed.
 *
 * Which files are "newest", cheaply: a folder's mtime moves when an entry is created, renamed or deleted in
 * it — a new session file — but not when a file in it is appended to. So: lstat every project folder (one
 * readdir + one lstat per folder), keep the `maxFolders` with the newest mtime, readdir + lstat only the
 * `.jsonl` files in those, and read the `maxFiles` with the newest file mtime. A session still being appended
 * in a recent folder is found by its own mtime even if it was created long ago. What can be missed: a session
 * appended today in a folder where nothing was created since at least `maxFolders` other project folders got
 * a new session (or other entry) — e.g. one long-running session while the user started sessions in 16 other
 * projects. The uses reported then still are real, recent ones (those 16 folders' sessions all started after
 * the missed session's folder last changed), just not necessarily the very newest. Deletions (Claude Code's
 * transcript clean-up) only move folders up, never hide one. Cost: ~(folders + files in the recent folders)
 * lstat calls + `maxFiles` tail reads, whatever the total number of transcripts; a full stat of every
 * transcript is what bench/transcripts.mjs compares it with.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelUse, UsageScan } from '../../core/facts-types.js';
import { usesInTail, type LineUse } from './transcript-lines.js';

export interface TranscriptScanOptions {
  /** When set (running as root), every folder and file must be owned by this uid or root, never a symlink. */
  owner: { uid: number } | null;
  /** Transcripts whose tail is read, newest first (default 8). */
  maxFiles?: number;
  /** Project folders listed, newest mtime first (default 2 × maxFiles). */
  maxFolders?: number;
  /** Bytes read from the end of each transcript (default 64 KiB; at most 16 MiB). */
  tailBytes?: number;
  /** When the tail holds no model use, it is read again up to this many bytes (default 1 MiB; at most 16 MiB). */
  maxTailBytes?: number;
  /** Uses returned, newest first (default 20). */
  maxUses?: number;
}

export const TRANSCRIPT_DEFAULTS = { maxFiles: 8, tailBytes: 64 * 1024, maxTailBytes: 1024 * 1024, maxUses: 20 } as const;
const MAX_TAIL = 16 * 1024 * 1024;

type Note = 'unsafe' | 'unreadable' | 'no-transcripts';
const NOTE_ORDER: readonly Note[] = ['unsafe', 'unreadable', 'no-transcripts'];

const C = fs.constants;
const O_NOFOLLOW: number = C.O_NOFOLLOW ?? 0;
const O_NONBLOCK: number = C.O_NONBLOCK ?? 0;

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;
const isAbsent = (e: unknown): boolean => errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR';
/** What open(O_NOFOLLOW) on a symlink fails with (Linux and macOS: ELOOP; FreeBSD: EMLINK). */
const isSymlinkRefusal = (e: unknown): boolean => errCode(e) === 'ELOOP' || errCode(e) === 'EMLINK';

const count = (v: number | undefined, dflt: number, max = Number.MAX_SAFE_INTEGER): number =>
  v !== undefined && Number.isFinite(v) && v >= 1 ? Math.min(Math.floor(v), max) : dflt;

interface Candidate {
  file: string;
  mtimeMs: number;
}

/** Newest mtime first; ties by path, so a scan is deterministic. */
const newestFirst = (a: Candidate, b: Candidate): number =>
  b.mtimeMs - a.mtimeMs || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);

class Scan {
  readonly notes = new Set<Note>();
  filesSeen = 0;
  filesRead = 0;
  private buf: Buffer | null = null;

  constructor(
    private readonly owner: { uid: number } | null,
    private readonly tailBytes: number,
    private readonly maxTailBytes: number,
  ) {}

  private fileOwnedOk(uid: number): boolean {
    return this.owner === null || uid === this.owner.uid;
  }

  private ownedOk(uid: number): boolean {
    return this.owner === null || uid === this.owner.uid || uid === 0;
  }

  /** lstat (stat without an owner); null when absent or skipped, with the note it deserves. */
  private look(p: string): fs.Stats | null {
    try {
      const st = this.owner ? fs.lstatSync(p) : fs.statSync(p);
      if (st.isSymbolicLink() || !this.ownedOk(st.uid)) {
        this.notes.add('unsafe');
        return null;
      }
      return st;
    } catch (e) {
      if (!isAbsent(e)) this.notes.add('unreadable');
      return null;
    }
  }

  /** A folder we may walk, or null (anything else that is not a symlink is skipped without a note). */
  folder(p: string): fs.Stats | null {
    const st = this.look(p);
    return st && st.isDirectory() ? st : null;
  }

  list(dir: string): string[] {
    try {
      return fs.readdirSync(dir);
    } catch (e) {
      if (!isAbsent(e)) this.notes.add('unreadable');
      return [];
    }
  }

  /** The `.jsonl` files of one project folder with their mtimes. */
  transcriptsIn(dir: string): Candidate[] {
    const out: Candidate[] = [];
    for (const name of this.list(dir)) {
      if (!name.endsWith('.jsonl')) continue;
      this.filesSeen++;
      const file = path.join(dir, name);
      const st = this.look(file);
      if (st && st.isFile()) out.push({ file, mtimeMs: st.mtimeMs }); // a FIFO or device is never opened
    }
    return out;
  }

  /** The uses in the tail of one transcript; [] (and a note) when it is skipped. */
  read(c: Candidate): LineUse[] {
    let fd: number;
    try {
      fd = fs.openSync(c.file, C.O_RDONLY | O_NONBLOCK | (this.owner ? O_NOFOLLOW : 0));
    } catch (e) {
      if (isSymlinkRefusal(e)) this.notes.add('unsafe');
      else if (!isAbsent(e)) this.notes.add('unreadable');
      return [];
    }
    try {
      const st = fs.fstatSync(fd);
      // One link only when running as root: a second name may be a file the user could not read themselves.
      // Files must be the user's own (not root's): a folder swapped for a symlink between our lstat and our
      // open can then only lead to a file the user owns anyway.
      if (!st.isFile() || !this.fileOwnedOk(st.uid) || (this.owner !== null && st.nlink > 1)) {
        this.notes.add('unsafe');
        return [];
      }
      // A tail with no model use is read again, 4× larger each time, up to `maxTailBytes`: Claude Code
      // 2.1.332 ends a short session's transcript with a ~110 KB line (its prompt snapshot) after the turn.
      for (let tail = this.tailBytes; ; tail = Math.min(tail * 4, this.maxTailBytes)) {
        // Read one byte before the tail: if it is a newline, the tail's first line is whole and kept.
        const start = st.size > tail ? st.size - tail - 1 : 0;
        const want = st.size - start;
        if (!this.buf || this.buf.length < tail + 1) this.buf = Buffer.allocUnsafe(tail + 1);
        let got = 0;
        while (got < want) {
          const n = fs.readSync(fd, this.buf, got, want - got, start + got);
          if (n === 0) break; // truncated while reading
          got += n;
        }
        const uses = usesInTail(this.buf.toString('utf8', 0, got), start > 0, st.mtimeMs);
        if (uses.length > 0 || start === 0 || tail >= this.maxTailBytes) {
          this.filesRead++;
          return uses;
        }
      }
    } catch {
      this.notes.add('unreadable');
      return [];
    } finally {
      fs.closeSync(fd);
    }
  }

  note(): Note | undefined {
    return NOTE_ORDER.find((n) => this.notes.has(n));
  }
}

function collect(hostConfigDir: string, opts: TranscriptScanOptions, scan: Scan): LineUse[] {
  const maxFiles = count(opts.maxFiles, TRANSCRIPT_DEFAULTS.maxFiles);
  const maxFolders = count(opts.maxFolders, 2 * maxFiles);
  const projects = path.join(hostConfigDir, 'projects');
  if (scan.folder(hostConfigDir) === null || scan.folder(projects) === null) return [];

  const folders: Candidate[] = [];
  for (const name of scan.list(projects)) {
    const file = path.join(projects, name);
    const st = scan.folder(file);
    if (st) folders.push({ file, mtimeMs: st.mtimeMs });
  }
  folders.sort(newestFirst);

  const files = folders
    .slice(0, maxFolders)
    .flatMap((f) => scan.transcriptsIn(f.file))
    .sort(newestFirst)
    .slice(0, maxFiles);

  const uses: LineUse[] = [];
  for (const c of files) uses.push(...scan.read(c));
  return uses;
}

export function scanTranscripts(hostConfigDir: string, opts: TranscriptScanOptions): UsageScan {
  const owner = process.platform === 'win32' ? null : opts.owner; // st_uid means nothing on Windows
  const tail = count(opts.tailBytes, TRANSCRIPT_DEFAULTS.tailBytes, MAX_TAIL);
  const scan = new Scan(owner, tail, Math.max(tail, count(opts.maxTailBytes, TRANSCRIPT_DEFAULTS.maxTailBytes, MAX_TAIL)));
  let found: LineUse[] = [];
  try {
    found = collect(hostConfigDir, opts, scan);
  } catch {
    scan.notes.add('unreadable'); // a bug or an fs surprise must not take the report down
  }
  if (scan.filesSeen === 0) scan.notes.add('no-transcripts');
  const uses: ModelUse[] = found
    .sort((a, b) => b.atMs - a.atMs || (a.served < b.served ? -1 : a.served > b.served ? 1 : 0))
    .slice(0, count(opts.maxUses, TRANSCRIPT_DEFAULTS.maxUses))
    .map((u) => ({ served: u.served, requested: u.requested, at: new Date(u.atMs).toISOString(), cwd: u.cwd }));
  const note = scan.note();
  return { uses, filesRead: scan.filesRead, filesSeen: scan.filesSeen, ...(note ? { note } : {}) };
}
