/**
 * Child process of the backup store's crash and concurrency tests.
 *   crash <dir> <calls done>: replays calls <calls done>, <calls done>+1, ... of crashItems with
 *     crashClock, one saveMany each, printing `done <n>` (n = calls now done) after each; runs until killed.
 *   lane <dir> <lane> <calls>: waits for a line on stdin, then makes <calls> saveMany calls of
 *     laneItems(lane, k) (default store options), printing each call's entries as one JSON line.
 */
import fs from 'node:fs';
import { BackupStore } from '../../src/agent/backups.js';
import { CRASH_STORE_OPTIONS, crashClock, crashItems, laneItems } from './backup-crash-plan.js';

function main(): void {
  const [mode, dir, a, b] = process.argv.slice(2);
  if (mode === 'crash' && dir && a) {
    const clock = crashClock();
    const store = new BackupStore(dir, { ...CRASH_STORE_OPTIONS, now: clock.now });
    for (let k = Number(a); ; k++) {
      clock.startCall(k);
      store.saveMany(crashItems(k));
      process.stdout.write(`done ${k + 1}\n`);
    }
  }
  if (mode === 'lane' && dir && a && b) {
    const store = new BackupStore(dir);
    process.stdout.write('ready\n');
    fs.readSync(0, Buffer.alloc(1)); // start together with the other lanes
    for (let k = 0; k < Number(b); k++) process.stdout.write(`${JSON.stringify(store.saveMany(laneItems(a, k)))}\n`);
    return;
  }
  throw new Error('usage: backup-crash-entry crash <dir> <calls done> | lane <dir> <lane> <calls>');
}

main();
