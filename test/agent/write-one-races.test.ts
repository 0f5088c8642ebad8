/**
 * Races the soak found between a write being prepared and committed: the user deletes the project
 * (`rm -rf`, our temp file goes with it) → `changed` (re-plan: nothing left to write), never an io error
 * in the daemon's log; and nothing is re-created in the deleted folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderSyncs } from '../../src/agent/fsync.js';
import { commitWrite, prepareWrite } from '../../src/agent/write-one.js';

let base: string;
beforeEach(() => void (base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-races-'))));
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

describe('a write racing the user', () => {
  const setup = () => {
    const proj = path.join(base, 'proj');
    const dir = path.join(proj, '.claude');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'settings.json');
    fs.writeFileSync(file, '{"model":"opus"}\n');
    const st = fs.statSync(file);
    const syncs = new FolderSyncs();
    const p = prepareWrite(
      { hostPath: file, text: '{}\n', owner: null, createMode: 0o644, trustedAncestor: proj, expected: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } },
      syncs,
      0,
    );
    if (!('pending' in p)) throw new Error('not pending');
    return { proj, file, syncs, pending: p.pending };
  };

  it('the folder deleted between prepare and commit → changed, nothing re-created', () => {
    const { proj, syncs, pending } = setup();
    fs.rmSync(proj, { recursive: true, force: true }); // rm -rf, temp file included
    expect(commitWrite(pending, syncs, 0)).toMatchObject({ ok: false, code: 'changed' });
    expect(fs.existsSync(proj)).toBe(false);
  });

  it('rm -rf half-way (our temp file gone, the target not yet) at the rename → changed', () => {
    const { file, syncs, pending } = setup();
    fs.unlinkSync(pending.tmp);
    expect(commitWrite(pending, syncs, 0)).toMatchObject({ ok: false, code: 'changed', message: expect.stringMatching(/deleted while writing/) });
    expect(fs.readFileSync(file, 'utf8')).toBe('{"model":"opus"}\n');
  });
});
