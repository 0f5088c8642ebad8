/**
 * What happened since the last report (issue 5 ships these): drifts repaired, policies applied or
 * rejected, contested files, degraded watches. A bounded ring: the newest `max` are kept and the number
 * dropped is counted, so a flapping file cannot grow memory.
 */
export type DaemonEventKind =
  | 'drift-repaired'
  | 'repair-failed'
  | 'contested'
  | 'policy-applied'
  | 'policy-rejected'
  | 'policy-unreachable'
  | 'policy-expired'
  | 'watch-degraded';

export interface DaemonEvent {
  at: string;
  kind: DaemonEventKind;
  user?: string | null;
  path?: string;
  /** Finding codes or keys involved (e.g. the keys a repair removed). */
  codes?: string[];
  message?: string;
}

export class EventLog {
  private readonly items: DaemonEvent[] = [];
  private droppedCount = 0;

  constructor(private readonly max = 1000) {}

  add(e: DaemonEvent): void {
    this.items.push(e);
    if (this.items.length > this.max) {
      this.items.splice(0, this.items.length - this.max);
      this.droppedCount++;
    }
  }

  recent(n = this.max): DaemonEvent[] {
    return this.items.slice(-n);
  }

  /** Everything kept, then forget it (the reporter takes events once). */
  drain(): { events: DaemonEvent[]; dropped: number } {
    const out = { events: this.items.splice(0), dropped: this.droppedCount };
    this.droppedCount = 0;
    return out;
  }
}
