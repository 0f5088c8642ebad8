/**
 * Long-lived as-user write children for the daemon. A one-shot child (write-as-user.ts) is a whole
 * ccfleet start-up — 150-300 ms — on every repair of a user's file, which is most of the daemon's drift
 * latency as root. The pool keeps one child per owner (uid:gid) running `<helper…> __write-as-user
 * --serve` with that user's uid/gid, an empty environment and `/` as its folder (the same kernel-enforced
 * rights as the one-shot child), sends it one batch per line and reads one answer line per batch, in
 * order. A child idle for `idleMs` is told to end (stdin closed); at most `maxChildren` live at once (the
 * least recently used idle one ends first). Whatever a child does — dies, hangs past the timeout, answers
 * garbage or out of order — every batch it had not answered gets `io` for each request and the child is
 * dropped: never an unreported `ok`; the next batch starts a new one. The child runs as the user, so its
 * answers are only believed as far as they go: a lie can only claim a write the user could have made, and
 * the daemon's next pass reads the file itself.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Owner } from './fs-safety.js';
import { asWriteResult, WRITE_CHILD_COMMAND } from './write-as-user.js';
import type { WriteRequest, WriteResult } from './write-types.js';

export interface WriterPoolOptions {
  /** argv prefix that runs ccfleet itself (selfCommand()). */
  helper: readonly string[];
  /** A child with nothing to do this long ends (default 120 s). */
  idleMs?: number;
  /** Children alive at once (default 16; each is a Node process, ~40 MB while it lives). */
  maxChildren?: number;
  /** A batch unanswered this long (plus per request) kills its child (default 60 s + 100 ms each). */
  timeoutMs?: number;
}

/** Longest answer line believed (a batch's results are small: 500 results ≈ a few hundred KB at most). */
const MAX_ANSWER_LINE = 16 * 1024 * 1024;
const MAX_STDERR = 4096;

interface Pending {
  id: number;
  count: number;
  resolve: (r: WriteResult[]) => void;
  timer: NodeJS.Timeout;
}

class WriterChild {
  private readonly pending: Pending[] = [];
  private buf = '';
  private stderr = '';
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  dead = false;
  lastUsed = Date.now();

  constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    private readonly owner: Owner,
    private readonly o: Required<Omit<WriterPoolOptions, 'helper'>>,
    private readonly onGone: (c: WriterChild) => void,
  ) {
    proc.stdout.setEncoding('utf8').on('data', (d: string) => this.onData(d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (this.stderr.length < MAX_STDERR) this.stderr += d.slice(0, MAX_STDERR - this.stderr.length);
    });
    proc.stdin.on('error', () => undefined); // died early: 'close' reports it
    proc.on('error', (e) => this.fail(`cannot start the write child as uid ${owner.uid}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    proc.on('close', (code, signal) => this.fail(`ended (${signal ? `signal ${signal}` : `exit code ${code}`})${this.stderr ? `: ${this.stderr.trim()}` : ''}`));
    this.armIdle();
  }

  get busy(): boolean {
    return this.pending.length > 0;
  }

  write(reqs: readonly WriteRequest[]): Promise<WriteResult[]> {
    if (this.dead) return Promise.resolve(allIo(reqs, this.owner, 'is gone'));
    this.lastUsed = Date.now();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const id = this.nextId++;
    return new Promise((resolve) => {
      const ms = this.o.timeoutMs + 100 * reqs.length;
      const timer = setTimeout(() => this.fail(`did not answer within ${ms} ms`, true), ms);
      this.pending.push({ id, count: reqs.length, resolve: (r) => resolve(r.length === reqs.length ? r : allIo(reqs, this.owner, 'answered the wrong number of results')), timer });
      this.proc.stdin.write(`${JSON.stringify({ id, reqs })}\n`);
    });
  }

  /** Ends the child once its batches are answered (stdin closed: it exits after the one in flight). */
  end(): void {
    if (this.dead) return;
    this.dead = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.proc.stdin.end();
    this.onGone(this);
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (!this.busy) this.end();
    }, this.o.idleMs);
    this.idleTimer.unref();
  }

  private onData(d: string): void {
    this.buf += d;
    if (this.buf.length > MAX_ANSWER_LINE) return this.fail('sent an answer line over the size limit', true);
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.trim() !== '') this.onLine(line);
      if (this.dead && this.pending.length === 0) return;
    }
  }

  private onLine(line: string): void {
    const head = this.pending[0];
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return this.fail('answered something that is not JSON', true);
    }
    const rec = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
    if (!head || rec.id !== head.id) return this.fail(`answered batch ${String(rec.id)} out of order`, true);
    const results = Array.isArray(rec.results) ? rec.results.map(asWriteResult) : null;
    if (!results || results.length !== head.count || results.some((r) => r === null)) {
      return this.fail(typeof rec.error === 'string' ? `refused the batch: ${rec.error.slice(0, 200)}` : 'answered a malformed batch', true);
    }
    this.pending.shift();
    clearTimeout(head.timer);
    head.resolve(results as WriteResult[]);
    if (this.pending.length === 0 && !this.dead) this.armIdle();
  }

  /** Every unanswered batch → `io`; the child is killed (when `kill`) and dropped from the pool. */
  private fail(why: string, kill = false): void {
    const message = `write child for uid ${this.owner.uid} ${why}`;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.resolve(Array.from({ length: p.count }, () => io(message)));
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (kill) this.proc.kill('SIGKILL');
    if (!this.dead) {
      this.dead = true;
      this.onGone(this);
    }
  }
}

const io = (message: string): WriteResult => ({ ok: false, code: 'io', message });
const allIo = (reqs: readonly WriteRequest[], owner: Owner, why: string): WriteResult[] => reqs.map((r) => io(`write child for ${r.hostPath} (uid ${owner.uid}) ${why}`));

export class WriterPool {
  private readonly children = new Map<string, WriterChild>();
  private readonly o: Required<Omit<WriterPoolOptions, 'helper'>>;
  spawned = 0;

  constructor(private readonly opts: WriterPoolOptions) {
    this.o = { idleMs: opts.idleMs ?? 120_000, maxChildren: Math.max(1, opts.maxChildren ?? 16), timeoutMs: opts.timeoutMs ?? 60_000 };
  }

  /** Children alive now (tests, status). */
  size(): number {
    return this.children.size;
  }

  write(reqs: readonly WriteRequest[], owner: Owner): Promise<WriteResult[]> {
    if (reqs.length === 0) return Promise.resolve([]);
    const [cmd, ...args] = this.opts.helper;
    if (cmd === undefined) return Promise.resolve(reqs.map(() => io('no helper command to run the write as the user')));
    const key = `${owner.uid}:${owner.gid}`;
    let child = this.children.get(key);
    if (!child || child.dead) {
      this.makeRoom();
      const proc = spawn(cmd, [...args, WRITE_CHILD_COMMAND, '--serve'], { uid: owner.uid, gid: owner.gid, env: {}, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
      this.spawned++;
      child = new WriterChild(proc, owner, this.o, (c) => {
        if (this.children.get(key) === c) this.children.delete(key);
      });
      this.children.set(key, child);
    }
    return child.write(reqs);
  }

  /** Ends every child (the daemon stopping); batches in flight are still answered or fail as `io`. */
  close(): void {
    for (const c of [...this.children.values()]) c.end();
  }

  private makeRoom(): void {
    while (this.children.size >= this.o.maxChildren) {
      const idle = [...this.children.values()].filter((c) => !c.busy).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!idle) return; // all busy: one more for a moment, the idle timers bring it back down
      idle.end();
    }
  }
}
