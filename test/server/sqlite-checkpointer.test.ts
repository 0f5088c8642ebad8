/**
 * The checkpointer thread (store/sqlite-checkpointer.ts) with a real writer on the event loop: its passes
 * copy the WAL into the database, and once the WAL is long it asks the writer to restart it, after which
 * the WAL starts again from its beginning (a new checkpoint sequence in its header) instead of growing to the backstop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { Checkpointer } from '../../src/server/store/sqlite-checkpointer.js';
import { sqliteModule } from '../../src/server/store/sqlite-module.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-checkpointer-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a long WAL is restarted by the writer when the thread asks, and commits go on meanwhile', async () => {
  const file = path.join(tmp, 'restart.db');
  const { DatabaseSync } = sqliteModule();
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA wal_autocheckpoint = 0'); // no backstop: only the checkpointer and the writer's restarts
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  // The WAL header's checkpoint sequence number (bytes 12–15) changes each time the WAL is restarted.
  const walSequence = (): number => {
    const fd = fs.openSync(`${file}-wal`, 'r');
    try {
      const head = Buffer.alloc(16);
      return fs.readSync(fd, head, 0, 16, 0) === 16 ? head.readUInt32BE(12) : -1;
    } finally {
      fs.closeSync(fd);
    }
  };
  let asked = 0;
  const ck = await Checkpointer.start(file, {
    intervalMs: 1000, // passes this far apart never let the WAL restart on their own (measured)
    restartFrames: 40,
    onRestart: () => {
      asked++;
      if (!db.isTransaction) db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get();
    },
  });
  expect(ck).not.toBeNull();
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  const body = 'x'.repeat(3000); // about a page a row
  insert.run(body);
  let rows = 1;
  let last = walSequence();
  let restarts = 0;
  const deadline = Date.now() + 15_000;
  while (restarts < 2 && Date.now() < deadline) {
    db.exec('BEGIN IMMEDIATE');
    insert.run(body);
    db.exec('COMMIT');
    rows++;
    const seq = walSequence();
    if (seq !== last) restarts++;
    last = seq;
    await new Promise((r) => setTimeout(r, 2));
  }
  await ck!.stop();
  expect(asked).toBeGreaterThanOrEqual(2);
  expect(restarts).toBeGreaterThanOrEqual(2);
  expect(Number(db.prepare('SELECT COUNT(*) AS n FROM t').get()?.n)).toBe(rows);
  db.close();
});
