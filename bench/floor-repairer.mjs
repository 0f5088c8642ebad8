// The floor of a drift repair, for bench/daemon.mjs: the least a repairer can do with the same durability
// as ccfleet's safe writer — raw fs.watch on each folder, read, JSON.parse, delete `model`, write a temp
// file beside it, fsync it, rename it over, fsync the folder. No queue, no checks, no backups, no logs.
// argv[2]: a JSON file listing the folders. Prints "ready" once armed; on SIGTERM prints its counters.
import fs from 'node:fs';
import path from 'node:path';

const folders = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let repairs = 0;
let seq = 0;
const repair = (dir, name) => {
  const file = path.join(dir, name);
  let obj;
  try {
    obj = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return; // gone or half-written: the next event looks again
  }
  if (obj === null || typeof obj !== 'object' || !('model' in obj)) return;
  delete obj.model;
  const st = fs.statSync(file);
  const tmp = path.join(dir, `.${name}.floor-${process.pid}-${seq++}`);
  const fd = fs.openSync(tmp, 'wx', st.mode & 0o777);
  fs.writeSync(fd, JSON.stringify(obj, null, 2) + '\n');
  fs.fchownSync(fd, st.uid, st.gid);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  const dfd = fs.openSync(dir, 'r');
  fs.fsyncSync(dfd);
  fs.closeSync(dfd);
  repairs++;
};
const watchers = folders.map((dir) =>
  fs.watch(dir, (_ev, name) => {
    if (name && /^settings(\.local)?\.json$/.test(name)) repair(dir, name);
  }),
);
process.on('SIGTERM', () => {
  for (const w of watchers) w.close();
  process.stdout.write(JSON.stringify({ repairs }) + '\n', () => process.exit(0));
});
process.stdout.write('ready\n');
