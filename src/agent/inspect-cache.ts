/**
 * What a long-running agent remembers between reconciles: for each file, the identity it had (device,
 * inode, size, mtime, ctime, mode, owner, link count) and the text it held. When a fresh lstat shows the
 * same identity, the text is reused instead of re-read — the same trust `git status` puts in stat data
 * (ctime cannot be set back by a user). Plans are pure functions of (policy, role, text), so they are
 * memoised too. Every safety check (folders, symlinks, owner) still runs on every pass.
 */
import type { Stats } from 'node:fs';
import type { Plan } from '../core/plan-settings.js';

const identity = (st: Stats): string => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}:${st.uid}:${st.gid}:${st.nlink}`;

export interface TextCache {
  get(hostPath: string, st: Stats): string | undefined;
  put(hostPath: string, st: Stats, text: string): void;
}

export class InspectCache implements TextCache {
  private readonly texts = new Map<string, { key: string; text: string }>();
  private readonly plans = new Map<string, unknown>();
  private policyKey: unknown = undefined;

  get(hostPath: string, st: Stats): string | undefined {
    const e = this.texts.get(hostPath);
    return e && e.key === identity(st) ? e.text : undefined;
  }

  put(hostPath: string, st: Stats, text: string): void {
    this.texts.set(hostPath, { key: identity(st), text });
  }

  /** Memoised planning; the memo is emptied whenever the policy object changes. */
  plan<P extends Plan>(policy: unknown, role: string, text: string | null, make: () => P): P {
    if (policy !== this.policyKey) {
      this.plans.clear();
      this.policyKey = policy;
    }
    if (text === null || text.length > 256 * 1024) return make();
    const k = `${role}\u0000${text}`;
    let p = this.plans.get(k) as P | undefined;
    if (!p) {
      p = make();
      if (this.plans.size > 50_000) this.plans.clear();
      this.plans.set(k, p);
    }
    return p;
  }
}
