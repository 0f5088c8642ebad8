/**
 * loadPolicyFile on a real temp folder: a good file loads; a missing one is POLICY_NOT_FOUND; a folder, a
 * FIFO, an unreadable, oversized or non-UTF-8 file is POLICY_UNREADABLE; parse errors name the path.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPolicyFile, MAX_POLICY_BYTES } from '../../src/agent/policy-file.js';
import { CcfleetError } from '../../src/core/errors.js';
import { bundle } from '../support/cli.js';
import { testNode } from '../support/runtime.js';

const POLICY = '// ok\n{ "id": "p1", "version": 2, "env": { "ANTHROPIC_BASE_URL": "https://bifrost.example.com/anthropic" }, }\n';
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-policy-file-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function failure(p: string): CcfleetError {
  try {
    loadPolicyFile(p);
  } catch (e) {
    expect(e).toBeInstanceOf(CcfleetError);
    expect((e as CcfleetError).exitCode).toBe(2);
    return e as CcfleetError;
  }
  throw new Error(`expected ${p} to be refused`);
}
const write = (name: string, data: string | Buffer) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
};

describe('loadPolicyFile', () => {
  it('loads a JSONC policy (with a BOM too)', () => {
    expect(loadPolicyFile(write('p.jsonc', POLICY))).toMatchObject({ id: 'p1', version: 2 });
    expect(loadPolicyFile(write('bom.jsonc', '\ufeff' + POLICY)).id).toBe('p1');
  });

  it('follows a symlink to the policy (the admin chose the path)', () => {
    const target = write('real.jsonc', POLICY);
    const link = path.join(dir, 'link.jsonc');
    fs.symlinkSync(target, link);
    expect(loadPolicyFile(link).id).toBe('p1');
  });

  it('POLICY_NOT_FOUND: no such file, or a file used as a folder', () => {
    const missing = failure(path.join(dir, 'nope.jsonc'));
    expect(missing.code).toBe('POLICY_NOT_FOUND');
    expect(missing.message).toBe(`${path.join(dir, 'nope.jsonc')}: policy file not found`);
    const file = write('f', 'x');
    expect(failure(path.join(file, 'p.jsonc')).code).toBe('POLICY_NOT_FOUND');
    const dangling = path.join(dir, 'dangling.jsonc');
    fs.symlinkSync(path.join(dir, 'gone'), dangling);
    expect(failure(dangling).code).toBe('POLICY_NOT_FOUND');
  });

  it('POLICY_UNREADABLE: a folder', () => {
    const e = failure(dir);
    expect(e.code).toBe('POLICY_UNREADABLE');
    expect(e.message).toContain('is a folder');
  });

  it('POLICY_UNREADABLE: a FIFO, without blocking on it', () => {
    const fifo = path.join(dir, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo on this host
    const e = failure(fifo);
    expect(e.code).toBe('POLICY_UNREADABLE');
    expect(e.message).toContain('not a regular file');
  });

  it('POLICY_UNREADABLE: larger than 1 MiB; exactly 1 MiB is fine', () => {
    const body = POLICY.trimEnd();
    const atLimit = write('limit.jsonc', body + ' '.repeat(MAX_POLICY_BYTES - Buffer.byteLength(body)));
    expect(fs.statSync(atLimit).size).toBe(MAX_POLICY_BYTES);
    expect(loadPolicyFile(atLimit).id).toBe('p1');
    const big = write('big.jsonc', body + ' '.repeat(MAX_POLICY_BYTES + 1 - Buffer.byteLength(body)));
    const e = failure(big);
    expect(e.code).toBe('POLICY_UNREADABLE');
    expect(e.message).toContain('larger than 1048576 bytes');
  });

  it('POLICY_UNREADABLE: not UTF-8 (e.g. saved as UTF-16)', () => {
    const e = failure(write('utf16.jsonc', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(POLICY, 'utf16le')])));
    expect(e.code).toBe('POLICY_UNREADABLE');
    expect(e.message).toContain('not UTF-8');
  });

  it.skipIf(process.getuid?.() === 0 || process.platform === 'win32')('POLICY_UNREADABLE: permission denied', () => {
    const p = write('secret.jsonc', POLICY);
    fs.chmodSync(p, 0o000);
    const e = failure(p);
    expect(e.code).toBe('POLICY_UNREADABLE');
    expect(e.message).toContain('permission denied');
  });

  // As root the kernel never says EACCES: run the built CLI as "nobody" against a root-only folder instead.
  it.runIf(process.getuid?.() === 0 && fs.existsSync(bundle))('POLICY_UNREADABLE: permission denied (as an unprivileged user, through the CLI)', () => {
    fs.chmodSync(dir, 0o700);
    const p = write('p.jsonc', POLICY);
    const r = spawnSync(testNode, [bundle, 'policy', 'lint', p], { uid: 65534, gid: 65534, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`POLICY_UNREADABLE: ${p}: cannot read policy (permission denied)`);
  });

  it('parse and validation errors name the file, line and column', () => {
    const bad = write('bad.jsonc', '{\n  "id": "p1"\n  "version": 1\n}');
    const e = failure(bad);
    expect(e.code).toBe('POLICY_PARSE');
    expect(e.message.startsWith(`${bad}:3:3: `)).toBe(true);
    const invalid = write('invalid.jsonc', '{\n  "id": "p1",\n  "version": -4,\n  "env": {}\n}');
    const i = failure(invalid);
    expect(i.code).toBe('POLICY_INVALID');
    expect(i.message).toBe(`${invalid}:3:14: version: must be at least 0 (got -4)`);
    const empty = failure(write('empty.jsonc', ''));
    expect(empty.code).toBe('POLICY_PARSE');
  });
});
