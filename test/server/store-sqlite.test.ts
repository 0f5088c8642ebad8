/**
 * The store suite against the embedded SQLite store (always runs): each test gets its own file in a temp
 * folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storeSuite } from './store.suite.js';

storeSuite('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-store-'));
  return { url: path.join(dir, 'data', 'ccfleet.db'), drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
});
