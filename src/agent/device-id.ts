/**
 * The device id: a random UUID made once and kept in `<state dir>/device-id` (root-only, like everything
 * in the state dir), so reports from one machine stay one device across restarts, upgrades and renames.
 * A file that is not a UUID (tampered, half-written) is replaced.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, privateDirExists, writePrivateFileAtomic } from './private-file.js';
import { O_NOFOLLOW } from './fs-safety.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function deviceId(stateDir: string): string {
  const file = path.join(stateDir, 'device-id');
  if (privateDirExists(stateDir)) {
    try {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | O_NOFOLLOW);
      try {
        const text = fs.readFileSync(fd, 'utf8').trim();
        if (UUID.test(text)) return text;
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // absent or unreadable: make one
    }
  }
  const id = randomUUID();
  ensurePrivateDir(stateDir);
  writePrivateFileAtomic(file, `${id}\n`);
  return id;
}
