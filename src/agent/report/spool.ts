/**
 * The report spool: `<state dir>/spool/`, a folder of reports waiting for the server. A report is written
 * here (atomically and durably, private-file.ts: folder 0700, files 0600) before any attempt to send it, and
 * removed only once the server took it (2xx) or refused it for good (400/413/422). So it survives restarts,
 * kill -9 and power loss, and a report is sent at least once (the server is idempotent on the report id).
 *
 *   const spool = Spool.open(stateDir);          // creates the folder; sweeps temp files of killed writers
 *   const r = buildReport(m, { …, spoolDropped: spool.pendingDropped() });
 *   spool.put(r);                                // on disk now; oldest dropped past the bounds
 *   for (const e of spool.list()) { const item = spool.read(e); … spool.remove(e.id); }   // oldest first
 *
 * Names: `<ms, 13 digits>-<seq, 6 digits>-<report id>.json`, so the names sort by time (ms never goes back
 * within the spool: a clock set back continues from the newest name). Bounds: `maxCount` reports (default
 * 5,000) and `maxBytes` (default 50 MiB); past either the OLDEST go first — never the report just put.
 *
 * Dropped reports are counted in `state.json` (a small private file beside them). The count travels in
 * the next report built (`spoolDropped`): put() claims it (subtracts what the report carries), and gives
 * it back — with one more for the report itself — if that report is dropped in turn; a report refused by
 * the server (remove with `carry`) gives back what it carried. So each drop is reported once, as long as
 * a report reaches the server. A crash between writing a report and the count can only over-count.
 * A spool file that is not a whole report of ours (half-written by something else, garbage, a symlink,
 * too big) is deleted and counted as dropped, never a crash. Two processes (the daemon and `ccfleet
 * report`) may share a spool: both may send one report (harmless: idempotent), and a count may be lost
 * in a race of their state writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPORT_SCHEMA, type WireReport } from '../../core/report-schema.js';
import { O_NOFOLLOW } from '../fs-safety.js';
import { createPrivateFileAtomic, ensurePrivateDir, removeStaleTemps, writePrivateFileAtomic } from '../private-file.js';

export interface SpoolOptions {
  /** Default 5,000 reports. */
  maxCount?: number;
  /** Default 50 MiB. */
  maxBytes?: number;
  /** Milliseconds since the epoch (names). Default Date.now. */
  now?: () => number;
  /** Told about each report dropped or file discarded (for the log). */
  onDrop?: (what: { name: string; reason: 'full' | 'garbage' }) => void;
}

export interface SpoolEntry {
  /** File name in the spool folder. */
  name: string;
  /** The report id. */
  id: string;
  /** When it was spooled (ms since the epoch, from the name). */
  at: number;
  bytes: number;
}

export interface SpooledReport {
  entry: SpoolEntry;
  /** The exact bytes to send (JSON of the report). */
  body: Buffer;
  /** The `spoolDropped` the report carries (given back if the server refuses it). */
  spoolDropped: number;
}

export interface SpoolStats {
  count: number;
  bytes: number;
  /** Dropped reports not yet claimed by a report. */
  dropped: number;
}

// 5,000 reports: more than three days offline at one report a minute (a day is 1,440; ~3.3 KB each, well under the byte cap).
export const SPOOL_DEFAULTS = { maxCount: 5000, maxBytes: 50 * 1024 * 1024 } as const;

const NAME = /^(\d{13})-(\d{6})-([A-Za-z0-9][A-Za-z0-9._-]{0,127})\.json$/;
const STATE = 'state.json';
/** Names whose temp files a killed writer may leave (`.<name>.tmp-<pid>-<hex>`). */
const OURS = /^(\d{13}-\d{6}-.+\.json|state\.json)$/;

export const spoolDir = (stateDir: string): string => path.join(stateDir, 'spool');

export class Spool {
  readonly dir: string;
  private readonly maxCount: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private lastMs = 0;
  private seq = 0;
  private readonly sizes = new Map<string, number>();
  /** Report id → file name, as last listed (names never change; a stale entry only means "gone"). */
  private readonly names = new Map<string, string>();

  private constructor(dir: string, private readonly o: SpoolOptions) {
    this.dir = dir;
    this.maxCount = o.maxCount ?? SPOOL_DEFAULTS.maxCount;
    this.maxBytes = o.maxBytes ?? SPOOL_DEFAULTS.maxBytes;
    this.now = o.now ?? Date.now;
    if (!(Number.isInteger(this.maxCount) && this.maxCount >= 1 && this.maxBytes >= 1)) throw new RangeError('spool bounds must be ≥ 1');
  }

  /** Opens (creating) `<stateDir>/spool`; WRITE_REFUSED when it is a symlink or someone else's. */
  static open(stateDir: string, o: SpoolOptions = {}): Spool {
    const s = new Spool(spoolDir(stateDir), o);
    ensurePrivateDir(s.dir);
    const names = fs.readdirSync(s.dir);
    removeStaleTemps(s.dir, OURS, names);
    for (const n of names) {
      const m = NAME.exec(n);
      if (!m) continue;
      const ms = Number(m[1]);
      const seq = Number(m[2]);
      if (ms > s.lastMs) [s.lastMs, s.seq] = [ms, seq + 1];
      else if (ms === s.lastMs) s.seq = Math.max(s.seq, seq + 1);
    }
    return s;
  }

  /**
   * Writes `report` (durably) and claims the dropped count it carries; then drops the oldest reports
   * while the spool is over its bounds. Throws WRITE_FAILED when the disk refuses (nothing claimed).
   */
  put(report: WireReport): SpoolEntry {
    if (!NAME.test(`0000000000000-000000-${report.id}.json`)) throw new RangeError(`report id ${JSON.stringify(report.id)} cannot name a spool file`);
    const body = Buffer.from(JSON.stringify(report), 'utf8');
    const ms = Math.max(this.now(), this.lastMs);
    if (ms !== this.lastMs) this.seq = 0;
    this.lastMs = ms;
    const name = createPrivateFileAtomic(this.dir, body, (attempt) => (attempt > 1000 ? null : fileName(ms, this.seq++ % 1_000_000, report.id)));
    if (name === null) throw new RangeError('no free spool name'); // 1,000 reports in one millisecond
    const entry: SpoolEntry = { name, id: report.id, at: ms, bytes: body.length };
    const evicted = this.evict(name);
    this.updateDropped((n) => n + evicted - report.spoolDropped);
    return entry;
  }

  /** Reports waiting, oldest first. */
  list(): SpoolEntry[] {
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(this.dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const out: SpoolEntry[] = [];
    const seen = new Set<string>();
    for (const d of dirents) {
      const m = NAME.exec(d.name);
      if (!m || d.isDirectory()) continue; // a folder is not a file of ours, nothing to send or drop
      const bytes = this.sizeOf(d);
      if (bytes === null) continue; // removed meanwhile (sent by another process)
      seen.add(d.name);
      out.push({ name: d.name, id: m[3]!, at: Number(m[1]), bytes });
    }
    for (const name of this.sizes.keys()) if (!seen.has(name)) this.sizes.delete(name);
    this.names.clear();
    for (const e of out) this.names.set(e.id, e.name);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * The report's bytes, or null when it is gone (sent by another process) or is not a whole report of ours
   * — then it is deleted and counted as dropped.
   */
  read(entry: SpoolEntry): SpooledReport | null {
    const file = path.join(this.dir, entry.name);
    let body: Buffer;
    try {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | O_NOFOLLOW);
      try {
        const st = fs.fstatSync(fd);
        if (!st.isFile() || st.size > this.maxBytes) return this.discard(entry);
        body = fs.readFileSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      return this.discard(entry); // ELOOP (a symlink), EISDIR, …
    }
    const carried = carriedDrops(body, entry.id);
    if (carried === null) return this.discard(entry);
    return { entry: { ...entry, bytes: body.length }, body, spoolDropped: carried };
  }

  /**
   * Removes a report (after a 2xx, or a refusal for good). `carry`: the dropped count it carried, given
   * back because the server never took it. False when it was not there.
   */
  remove(id: string, opts: { carry?: number } = {}): boolean {
    let name = this.names.get(id);
    if (name === undefined) {
      try {
        name = fs.readdirSync(this.dir).find((n) => n.endsWith(`-${id}.json`) && NAME.exec(n)?.[3] === id);
      } catch {
        name = undefined;
      }
    }
    let removed = false;
    if (name !== undefined) {
      try {
        fs.unlinkSync(path.join(this.dir, name));
        removed = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      this.sizes.delete(name);
      this.names.delete(id);
    }
    const carry = opts.carry ?? 0;
    if (removed && carry > 0) this.updateDropped((n) => n + carry);
    return removed;
  }

  /** Dropped reports not yet carried by a report: the next report's `spoolDropped`. */
  pendingDropped(): number {
    return this.readState().dropped;
  }

  stats(): SpoolStats {
    const entries = this.list();
    return { count: entries.length, bytes: entries.reduce((a, e) => a + e.bytes, 0), dropped: this.pendingDropped() };
  }

  // --- internals --------------------------------------------------------------------------------------

  /** A spool file never changes once named, so its size is looked up once (lstat: a symlink counts 0). */
  private sizeOf(d: fs.Dirent): number | null {
    const known = this.sizes.get(d.name);
    if (known !== undefined) return known;
    let bytes = 0;
    if (d.isFile()) {
      try {
        bytes = fs.lstatSync(path.join(this.dir, d.name)).size;
      } catch {
        return null;
      }
    }
    this.sizes.set(d.name, bytes);
    return bytes;
  }

  /** Drops the oldest reports (never `keep`) while over the bounds; returns the count to add to `dropped`. */
  private evict(keep: string): number {
    const entries = this.list();
    let count = entries.length;
    let bytes = entries.reduce((a, e) => a + e.bytes, 0);
    let dropped = 0;
    for (const e of entries) {
      if (count <= this.maxCount && bytes <= this.maxBytes) break;
      if (e.name === keep) continue;
      const carried = this.carriedOf(e);
      try {
        fs.unlinkSync(path.join(this.dir, e.name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        count--;
        bytes -= e.bytes;
        continue; // sent meanwhile
      }
      count--;
      bytes -= e.bytes;
      dropped += 1 + carried;
      this.o.onDrop?.({ name: e.name, reason: 'full' });
    }
    return dropped;
  }

  private carriedOf(e: SpoolEntry): number {
    try {
      const fd = fs.openSync(path.join(this.dir, e.name), fs.constants.O_RDONLY | O_NOFOLLOW);
      try {
        if (fs.fstatSync(fd).size > this.maxBytes) return 0;
        return carriedDrops(fs.readFileSync(fd), e.id) ?? 0;
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return 0;
    }
  }

  private discard(entry: SpoolEntry): null {
    try {
      fs.unlinkSync(path.join(this.dir, entry.name)); // a symlink itself, never its target
    } catch {
      return null; // gone already, or not removable (then list() keeps skipping past it)
    }
    this.o.onDrop?.({ name: entry.name, reason: 'garbage' });
    this.updateDropped((n) => n + 1);
    return null;
  }

  private readState(): { dropped: number } {
    try {
      const fd = fs.openSync(path.join(this.dir, STATE), fs.constants.O_RDONLY | O_NOFOLLOW);
      try {
        if (fs.fstatSync(fd).size > 4096) return { dropped: 0 };
        const v = JSON.parse(fs.readFileSync(fd, 'utf8')) as { dropped?: unknown };
        return { dropped: typeof v.dropped === 'number' && Number.isInteger(v.dropped) && v.dropped > 0 ? v.dropped : 0 };
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return { dropped: 0 }; // absent or unreadable: nothing known to be dropped
    }
  }

  private updateDropped(f: (n: number) => number): void {
    const before = this.readState().dropped;
    const after = Math.max(0, f(before));
    if (after !== before) writePrivateFileAtomic(path.join(this.dir, STATE), `${JSON.stringify({ dropped: after })}\n`);
  }
}

const fileName = (ms: number, seq: number, id: string): string => `${String(ms).padStart(13, '0')}-${String(seq).padStart(6, '0')}-${id}.json`;

/** The `spoolDropped` of a spooled report, or null when the bytes are not a report with this id. */
function carriedDrops(body: Buffer, id: string): number | null {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const r = v as { schema?: unknown; id?: unknown; spoolDropped?: unknown };
  if (r.schema !== REPORT_SCHEMA || r.id !== id) return null;
  return typeof r.spoolDropped === 'number' && Number.isInteger(r.spoolDropped) && r.spoolDropped > 0 ? r.spoolDropped : 0;
}
