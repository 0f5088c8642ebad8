/**
 * The real SQLite store (`:memory:`) behind a thin wrapper for the HTTP tests: `failing` makes every call
 * throw (the store-unavailable paths) and `writes` counts the calls that change something (a refused
 * request must leave it unchanged).
 */
import { openStore } from '../../src/server/store/open.js';
import type { Store, StoreOptions } from '../../src/server/store/types.js';

export interface TestStore extends Store {
  failing: boolean;
  readonly writes: number;
}

export async function testStore(opts: StoreOptions = {}): Promise<TestStore> {
  const inner = await openStore(':memory:', opts);
  let writes = 0;
  const state = { failing: false };
  const guard = <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      if (state.failing) throw new Error('database is locked (test)');
      return f(...a);
    };
  return {
    kind: inner.kind,
    get failing() {
      return state.failing;
    },
    set failing(v: boolean) {
      state.failing = v;
    },
    get writes() {
      return writes;
    },
    schemaVersion: guard(() => inner.schemaVersion()),
    ping: async () => !state.failing && (await inner.ping()),
    enroll: guard(async (d) => {
      writes++;
      return inner.enroll(d);
    }),
    deviceForToken: guard((h) => inner.deviceForToken(h)),
    addReport: guard(async (r) => {
      const out = await inner.addReport(r);
      if (out === 'stored') writes++;
      return out;
    }),
    summary: guard(() => inner.summary()),
    devices: guard((q) => inner.devices(q)),
    device: guard((id, n, e) => inner.device(id, n, e)),
    trend: guard((q) => inner.trend(q)),
    events: guard((q) => inner.events(q)),
    prune: guard(async (d) => {
      const n = await inner.prune(d);
      if (n > 0) writes++;
      return n;
    }),
    close: () => inner.close(),
  };
}
