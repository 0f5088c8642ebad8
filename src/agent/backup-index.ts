/**
 * The backup store's in-memory index (no I/O): the entries of the generations in use, grouped by file,
 * with the retention rule applied — per file the oldest entry plus the newest `keep - 1` (by per-file
 * sequence, then store order; an entry found twice counts once) — and the totals compaction decides on.
 * `add` folds more entries in, re-sorting only the files they touch; `preview` gives what adding would
 * give without changing the index; `trimmed` applies the soft caps. Stored objects are never mutated.
 */
import type { BackupEntry } from './backups.js';

/** One entry as stored: the entry, its text, its per-file sequence and its place (generation, index). */
export interface Stored {
  entry: BackupEntry;
  text: string;
  seq: number;
  gen: number;
  index: number;
}

export interface History {
  /** Every entry of the file, oldest first, without duplicates. */
  all: Stored[];
  /** What the retention rule keeps, oldest first. */
  kept: Stored[];
  liveBytes: number;
  deadBytes: number;
}

export interface Totals {
  kept: number;
  /** Text bytes of the kept entries. */
  liveBytes: number;
  /** Approximate bytes on disk (text + ENTRY_OVERHEAD each) of the kept and of the dropped entries. */
  liveWeight: number;
  deadWeight: number;
  /** Kept entries that are neither their file's first nor its last: what the caps may drop. */
  middles: number;
}

/** Approximate bytes an entry's metadata takes in a generation file. */
export const ENTRY_OVERHEAD = 250;

export const storeOrder = (a: Stored, b: Stored): number => a.gen - b.gen || a.index - b.index;

export class BackupIndex {
  readonly histories = new Map<string, History>();
  readonly totals: Totals = { kept: 0, liveBytes: 0, liveWeight: 0, deadWeight: 0, middles: 0 };
  private ordered: Stored[] | null = null;

  constructor(private readonly keep: number) {}

  add(entries: readonly Stored[]): void {
    for (const [p, h] of this.merged(entries)) {
      const old = this.histories.get(p);
      if (old) count(this.totals, old, -1);
      count(this.totals, h, 1);
      this.histories.set(p, h);
    }
    this.ordered = null;
  }

  /** The histories `entries` would change (only those) and the totals after adding them. */
  preview(entries: readonly Stored[]): { histories: Map<string, History>; totals: Totals } {
    const histories = this.merged(entries);
    const totals = { ...this.totals };
    for (const [p, h] of histories) {
      const old = this.histories.get(p);
      if (old) count(totals, old, -1);
      count(totals, h, 1);
    }
    return { histories, totals };
  }

  /** The kept entries in store order; with `changed`, those histories in place of the index's. */
  kept(changed?: ReadonlyMap<string, History>): Stored[] {
    if (!changed) return (this.ordered ??= [...this.histories.values()].flatMap((h) => h.kept).sort(storeOrder));
    return [...this.merge(changed).values()].flatMap((h) => h.kept).sort(storeOrder);
  }

  /**
   * The kept entries (with `changed` applied) in store order, trimmed to `maxEntries` / `maxBytes`: the
   * oldest by creation time first among those that are neither their file's first nor its last.
   */
  trimmed(changed: ReadonlyMap<string, History>, maxEntries: number, maxBytes: number): Stored[] {
    const histories = this.merge(changed);
    const kept = [...histories.values()].flatMap((h) => h.kept).sort(storeOrder);
    let n = kept.length;
    let bytes = kept.reduce((sum, s) => sum + s.entry.size, 0);
    const droppable = [...histories.values()]
      .flatMap((h) => h.kept.slice(1, -1))
      .sort((a, b) => (a.entry.createdAt === b.entry.createdAt ? storeOrder(a, b) : a.entry.createdAt < b.entry.createdAt ? -1 : 1));
    const dropped = new Set<Stored>();
    for (const s of droppable) {
      if (n <= maxEntries && bytes <= maxBytes) break;
      dropped.add(s);
      n--;
      bytes -= s.entry.size;
    }
    return kept.filter((s) => !dropped.has(s));
  }

  private merge(changed: ReadonlyMap<string, History>): Map<string, History> {
    const histories = new Map(this.histories);
    for (const [p, h] of changed) histories.set(p, h);
    return histories;
  }

  private merged(entries: readonly Stored[]): Map<string, History> {
    const byPath = new Map<string, Stored[]>();
    for (const s of entries) {
      let list = byPath.get(s.entry.path);
      if (!list) byPath.set(s.entry.path, (list = [...(this.histories.get(s.entry.path)?.all ?? [])]));
      list.push(s);
    }
    const out = new Map<string, History>();
    for (const [p, list] of byPath) out.set(p, history(list, this.keep));
    return out;
  }
}

function history(list: Stored[], keep: number): History {
  list.sort((a, b) => a.seq - b.seq || storeOrder(a, b));
  const ids = new Set<string>();
  const all = list.filter((s) => !ids.has(s.entry.id) && ids.add(s.entry.id) !== undefined);
  const kept = all.length <= keep ? all : [all[0]!, ...all.slice(all.length - (keep - 1))];
  const total = all.reduce((sum, s) => sum + s.entry.size, 0);
  const liveBytes = kept.reduce((sum, s) => sum + s.entry.size, 0);
  return { all, kept, liveBytes, deadBytes: total - liveBytes };
}

function count(t: Totals, h: History, sign: 1 | -1): void {
  const dropped = h.all.length - h.kept.length;
  t.kept += sign * h.kept.length;
  t.liveBytes += sign * h.liveBytes;
  t.liveWeight += sign * (h.liveBytes + h.kept.length * ENTRY_OVERHEAD);
  t.deadWeight += sign * (h.deadBytes + dropped * ENTRY_OVERHEAD);
  t.middles += sign * Math.max(0, h.kept.length - 2);
}
