/**
 * The `__write-as-user` child: request validation, refusal unless it runs as the owner, one JSON result
 * line (single protocol: an object; batch protocol: an array of as many results, in order, a refused or
 * malformed request not stopping the others), the parent's parsing of that line, and — through the
 * bundled helper under a 1 KiB file-size limit — a write that fails half-way reports `io` and leaves no
 * temp file and the old bytes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSafely, type WriteRequest } from '../../src/agent/safe-write.js';
import { parseWriteResult, parseWriteResults } from '../../src/agent/write-as-user.js';
import { runWriteChild } from '../../src/agent/write-child.js';
import { bundleWriteHelper, type Bundle } from '../support/bundle.js';
import { testNode } from '../support/runtime.js';

const posix = process.platform !== 'win32';
const isRoot = process.getuid?.() === 0;

describe('runWriteChild', () => {
  let base: string;
  let file: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-child-'));
    file = path.join(base, '.claude', 'settings.json');
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));
  const req = (over: Partial<WriteRequest> = {}): WriteRequest => ({
    hostPath: file,
    text: '{}\n',
    owner: null,
    createMode: 0o600,
    trustedAncestor: base,
    expected: null,
    ...over,
  });

  it('writes and answers one JSON line, exit 0', async () => {
    const r = await runWriteChild(JSON.stringify(req()));
    expect(r).toEqual({ exitCode: 0, output: '{"ok":true}' });
    expect(fs.readFileSync(file, 'utf8')).toBe('{}\n');
  });

  it('rejects malformed input with exit 2 and writes nothing', async () => {
    for (const input of ['', 'not json', '7', JSON.stringify({ ...req(), createMode: 0o10000 }), JSON.stringify({ ...req(), owner: { uid: -1, gid: 0 } })]) {
      const r = await runWriteChild(input);
      expect(r.exitCode).toBe(2);
      expect(JSON.parse(r.output)).toMatchObject({ ok: false, code: 'io', message: expect.stringMatching(/^bad write request/) });
    }
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  });

  it.skipIf(!posix)('refuses unless it runs as the owner', async () => {
    const uid = process.getuid!();
    const r = await runWriteChild(JSON.stringify(req({ owner: { uid: uid + 1, gid: 0 } })));
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.output)).toMatchObject({ ok: false, code: 'unsafe' });
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  });

  it('batch: answers an array in request order; refusals and malformed requests do not stop the others', async () => {
    const other = path.join(base, 'p', '.claude', 'settings.json');
    const uid = process.getuid?.() ?? 0;
    const input = [
      req(),
      { ...req({ hostPath: path.join(base, 'x.json') }), createMode: 0o10000 }, // malformed
      ...(posix ? [req({ hostPath: path.join(base, 'y.json'), owner: { uid: uid + 1, gid: 0 } })] : []), // not this child's uid
      req({ hostPath: other, text: '{"p":1}\n' }),
    ];
    const r = await runWriteChild(JSON.stringify(input));
    expect(r.exitCode).toBe(2);
    const results = parseWriteResults(r.output, input.length);
    expect(results).not.toBeNull();
    expect(results!.map((x) => (x.ok ? 'ok' : x.code))).toEqual(['ok', 'io', ...(posix ? ['unsafe'] : []), 'ok']);
    expect(!results![1]!.ok && results![1]!.message).toMatch(/^bad write request: createMode/);
    if (posix) expect(results![2]).toMatchObject({ findings: [{ code: 'foreign-owner' }] });
    expect(fs.readFileSync(file, 'utf8')).toBe('{}\n');
    expect(fs.readFileSync(other, 'utf8')).toBe('{"p":1}\n');
    expect(fs.existsSync(path.join(base, 'x.json')) || fs.existsSync(path.join(base, 'y.json'))).toBe(false);
  });

  it('batch: exit 0 when all are written, 1 when one is refused; an empty batch is an empty answer', async () => {
    expect(await runWriteChild('[]')).toEqual({ exitCode: 0, output: '[]' });
    expect(await runWriteChild(JSON.stringify([req(), req({ hostPath: path.join(base, 'q.json') })]))).toEqual({ exitCode: 0, output: '[{"ok":true},{"ok":true}]' });
    const r = await runWriteChild(JSON.stringify([req({ hostPath: path.join(base, 'n.json') }), req()])); // settings.json exists now
    expect(r.exitCode).toBe(1);
    expect(parseWriteResults(r.output, 2)?.map((x) => x.ok)).toEqual([true, false]);
  });

  it('passes on refusals with their findings, exit 1', async () => {
    fs.mkdirSync(file, { recursive: true });
    const r = await runWriteChild(JSON.stringify(req()));
    expect(r.exitCode).toBe(1);
    expect(parseWriteResult(r.output)).toMatchObject({ ok: false, code: 'unsafe', findings: [{ code: 'not-regular' }] });
  });
});

describe('parseWriteResults', () => {
  it('accepts only an array of exactly the expected number of well-formed results', () => {
    expect(parseWriteResults('noise\n[{"ok":true},{"ok":false,"code":"io","message":"m"}]\n', 2)).toEqual([{ ok: true }, { ok: false, code: 'io', message: 'm' }]);
    for (const bad of ['', '{"ok":true}', '[{"ok":true}]', '[{"ok":true},{"ok":false}]', '[{"ok":true},{"ok":true},{"ok":true}]', '[{"ok":true},[]]']) {
      expect(parseWriteResults(bad, 2)).toBeNull();
    }
  });
});

describe('parseWriteResult', () => {
  it('takes the last non-empty line and accepts only well-formed results', () => {
    expect(parseWriteResult('noise\n{"ok":true}\n\n')).toEqual({ ok: true });
    expect(parseWriteResult('{"ok":false,"code":"changed","message":"m"}')).toEqual({ ok: false, code: 'changed', message: 'm' });
    expect(parseWriteResult('{"ok":false,"code":"unsafe","message":"m","findings":[{"code":"symlink","message":"x"},7]}')).toEqual({
      ok: false,
      code: 'unsafe',
      message: 'm',
      findings: [{ code: 'symlink', message: 'x', blocking: true }],
    });
    for (const bad of ['', 'garbage', '{"ok":false,"code":"boom","message":"m"}', '{"ok":false,"code":"io"}', 'null', '{"ok":"yes"}']) {
      expect(parseWriteResult(bad)).toBeNull();
    }
  });
});

describe.skipIf(!posix)('the bundled write child, failing half-way (RLIMIT_FSIZE 1 KiB)', () => {
  let helper: Bundle;
  let base: string;
  let file: string;
  const big = `${JSON.stringify({ pad: 'z'.repeat(5000) })}\n`;
  beforeAll(async () => {
    helper = await bundleWriteHelper();
  });
  afterAll(() => helper?.cleanup());
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-efbig-'));
    fs.chmodSync(base, 0o755);
    file = path.join(base, 'settings.json');
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));
  const limited = ['/bin/bash', '-c', 'ulimit -f 1; exec "$@"', 'bash', testNode];

  it('reports io, leaves the old bytes and no temp file', () => {
    fs.writeFileSync(file, '{"model":"opus"}');
    const st = fs.lstatSync(file);
    const request: WriteRequest = { hostPath: file, text: big, owner: null, createMode: 0o600, trustedAncestor: base, expected: { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } };
    const run = spawnSync(limited[0]!, [...limited.slice(1), helper.file, '__write-as-user'], { input: JSON.stringify(request), encoding: 'utf8' });
    expect(run.status).toBe(1);
    const r = parseWriteResult(run.stdout);
    expect(r).toMatchObject({ ok: false, code: 'io' });
    expect(!r?.ok && r?.message).toMatch(/EFBIG/);
    expect(fs.readdirSync(base)).toEqual(['settings.json']);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"model":"opus"}');
  });

  it.skipIf(!isRoot)('as root through writeFileSafely for uid 4242 (root only)', async () => {
    fs.chownSync(base, 4242, 4242);
    const r = await writeFileSafely(
      { hostPath: file, text: big, owner: { uid: 4242, gid: 4242 }, createMode: 0o600, trustedAncestor: path.dirname(base), expected: null },
      { helper: [...limited, helper.file] },
    );
    expect(r).toMatchObject({ ok: false, code: 'io' });
    expect(!r.ok && r.message).toMatch(/EFBIG/);
    expect(fs.readdirSync(base)).toEqual([]);
  });
});
