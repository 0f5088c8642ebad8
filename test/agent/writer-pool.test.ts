/**
 * The daemon's long-lived as-user write children (writer-pool.ts). With the real write child: one child
 * per owner, reused across batches, still bound by the user's rights (kernel-enforced: needs root for a
 * second uid), ended when idle, the least recently used ended first when full. With fake children (any
 * uid: they run as ourselves): a child that dies, hangs, answers garbage, answers out of order or the
 * wrong count makes every unanswered request `io` — never an unreported `ok` — and the next batch gets a
 * fresh child.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WriterPool } from '../../src/agent/writer-pool.js';
import type { WriteRequest } from '../../src/agent/write-types.js';
import { bundleWriteHelper, type Bundle } from '../support/bundle.js';
import { testNode } from '../support/runtime.js';

const isRoot = process.getuid?.() === 0;
const U1 = { uid: 4242, gid: 4242 };
const U2 = { uid: 4243, gid: 4243 };
const SELF = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(10);
  }
}

let base: string;
beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-pool-'));
  fs.chmodSync(base, 0o755);
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

function homeOf(owner: { uid: number; gid: number }, name: string): string {
  const home = path.join(base, name);
  fs.mkdirSync(home, { mode: 0o755 });
  fs.chownSync(home, owner.uid, owner.gid);
  return home;
}
const req = (home: string, owner: { uid: number; gid: number }, text: string, over: Partial<WriteRequest> = {}): WriteRequest => ({
  hostPath: path.join(home, '.claude', 'settings.json'),
  text,
  owner,
  createMode: 0o600,
  trustedAncestor: home,
  expected: null,
  ...over,
});
const statOf = (p: string) => {
  const st = fs.lstatSync(p);
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
};

describe.skipIf(!isRoot)('WriterPool with the real write child (needs root: skipped when not root)', () => {
  let helper: Bundle;
  beforeAll(async () => void (helper = await bundleWriteHelper()));
  afterAll(() => helper?.cleanup());

  it('one child per owner, reused for every batch, writing with the user as owner', async () => {
    const pool = new WriterPool({ helper: helper.argv });
    const h1 = homeOf(U1, 'u1');
    const h2 = homeOf(U2, 'u2');
    expect(await pool.write([req(h1, U1, '{"a":1}\n')], U1)).toEqual([{ ok: true }]);
    const file = path.join(h1, '.claude', 'settings.json');
    for (let i = 2; i <= 5; i++) expect(await pool.write([req(h1, U1, `{"a":${i}}\n`, { expected: statOf(file) })], U1)).toEqual([{ ok: true }]);
    expect(await pool.write([req(h2, U2, '{"b":1}\n')], U2)).toEqual([{ ok: true }]);
    expect(pool.spawned).toBe(2);
    expect(pool.size()).toBe(2);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":5}\n');
    const st = fs.statSync(file);
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([4242, 4242, 0o600]);
    pool.close();
    expect(pool.size()).toBe(0);
  });

  it('batches sent at once to one child are answered in order, each on its own', async () => {
    const pool = new WriterPool({ helper: helper.argv });
    const h1 = homeOf(U1, 'u1');
    fs.mkdirSync(path.join(h1, 'p'), { mode: 0o755 });
    fs.chownSync(path.join(h1, 'p'), U1.uid, U1.gid);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => pool.write([req(h1, U1, `{"n":${i}}\n`, { hostPath: path.join(h1, 'p', `f${i}.json`) })], U1)),
    );
    expect(answers).toEqual(Array.from({ length: 6 }, () => [{ ok: true }]));
    expect(pool.spawned).toBe(1);
    for (let i = 0; i < 6; i++) expect(fs.readFileSync(path.join(h1, 'p', `f${i}.json`), 'utf8')).toBe(`{"n":${i}}\n`);
    pool.close();
  });

  it('still runs with the user’s rights: a folder the user cannot write fails with io although root could', async () => {
    const pool = new WriterPool({ helper: helper.argv });
    const h1 = homeOf(U1, 'u1');
    fs.mkdirSync(path.join(h1, '.claude'), { mode: 0o555 });
    fs.chownSync(path.join(h1, '.claude'), U1.uid, U1.gid);
    fs.chmodSync(path.join(h1, '.claude'), 0o555);
    const [r] = await pool.write([req(h1, U1, '{}\n')], U1);
    expect(r).toMatchObject({ ok: false, code: 'io' });
    expect(!r!.ok && r!.message).toMatch(/EACCES/);
    expect(fs.readdirSync(path.join(h1, '.claude'))).toEqual([]);
    // the child survives a refused write and serves the next batch
    fs.chmodSync(path.join(h1, '.claude'), 0o755);
    expect(await pool.write([req(h1, U1, '{}\n')], U1)).toEqual([{ ok: true }]);
    expect(pool.spawned).toBe(1);
    pool.close();
  });

  it('an idle child ends by itself; the next batch starts a new one', async () => {
    const pool = new WriterPool({ helper: helper.argv, idleMs: 150 });
    const h1 = homeOf(U1, 'u1');
    expect(await pool.write([req(h1, U1, '{}\n')], U1)).toEqual([{ ok: true }]);
    expect(pool.size()).toBe(1);
    await until(() => pool.size() === 0);
    const file = path.join(h1, '.claude', 'settings.json');
    expect(await pool.write([req(h1, U1, '{"x":1}\n', { expected: statOf(file) })], U1)).toEqual([{ ok: true }]);
    expect(pool.spawned).toBe(2);
    pool.close();
  });

  it('at most maxChildren: the least recently used idle child ends first', async () => {
    const pool = new WriterPool({ helper: helper.argv, maxChildren: 1 });
    const h1 = homeOf(U1, 'u1');
    const h2 = homeOf(U2, 'u2');
    expect(await pool.write([req(h1, U1, '{}\n')], U1)).toEqual([{ ok: true }]);
    expect(await pool.write([req(h2, U2, '{}\n')], U2)).toEqual([{ ok: true }]);
    expect(pool.size()).toBe(1);
    expect(pool.spawned).toBe(2);
    pool.close();
  });
});

describe('WriterPool with misbehaving children (fake write children running as ourselves)', () => {
  function fake(body: string): string[] {
    const dir = fs.mkdtempSync(path.join(base, 'fake-'));
    fs.chmodSync(dir, 0o755);
    const file = path.join(dir, 'child.cjs');
    fs.writeFileSync(file, `const rl = require('node:readline').createInterface({ input: process.stdin });\nlet n = 0;\nrl.on('line', (line) => { const b = JSON.parse(line); n++; ${body} });\n`);
    return [testNode, file];
  }
  const r = (name: string): WriteRequest => req(base, SELF, '{}\n', { hostPath: path.join(base, name) });

  it('a correct fake child is believed', async () => {
    const pool = new WriterPool({ helper: fake(`process.stdout.write(JSON.stringify({ id: b.id, results: b.reqs.map(() => ({ ok: true })) }) + '\\n');`) });
    expect(await pool.write([r('a'), r('b')], SELF)).toEqual([{ ok: true }, { ok: true }]);
    pool.close();
  });

  it('dies without answering → io for each request; the next batch gets a new child', async () => {
    const mark = JSON.stringify(path.join(base, 'died-once'));
    const pool = new WriterPool({ helper: fake(`const fs = require('node:fs'); if (!fs.existsSync(${mark})) { fs.writeFileSync(${mark}, ''); process.exit(3); } process.stdout.write(JSON.stringify({ id: b.id, results: b.reqs.map(() => ({ ok: true })) }) + '\\n');`) });
    const first = await pool.write([r('a'), r('b')], SELF);
    expect(first).toHaveLength(2);
    for (const x of first) expect(x).toMatchObject({ ok: false, code: 'io', message: expect.stringMatching(/exit code 3/) });
    expect(await pool.write([r('c')], SELF)).toEqual([{ ok: true }]);
    pool.close();
  }, 15_000);

  it.each([
    ['garbage', `process.stdout.write('not json\\n');`, /not JSON/],
    ['the wrong id', `process.stdout.write(JSON.stringify({ id: b.id + 7, results: [{ ok: true }] }) + '\\n');`, /out of order/],
    ['the wrong count', `process.stdout.write(JSON.stringify({ id: b.id, results: [{ ok: true }, { ok: true }, { ok: true }] }) + '\\n');`, /malformed/],
    ['a malformed result', `process.stdout.write(JSON.stringify({ id: b.id, results: b.reqs.map(() => ({ ok: 'yes' })) }) + '\\n');`, /malformed/],
    ['an error line', `process.stdout.write(JSON.stringify({ id: b.id, error: 'nope' }) + '\\n');`, /refused the batch: nope/],
  ])('answers %s → io for each request, the child is killed and dropped', async (_name, body, why) => {
    const pool = new WriterPool({ helper: fake(body) });
    const out = await pool.write([r('a')], SELF);
    expect(out).toEqual([{ ok: false, code: 'io', message: expect.stringMatching(why) }]);
    expect(pool.size()).toBe(0);
    pool.close();
  });

  it('hangs → io after the timeout, the child is killed', async () => {
    const pool = new WriterPool({ helper: fake(`/* never answers */`), timeoutMs: 200 });
    const out = await pool.write([r('a')], SELF);
    expect(out).toEqual([{ ok: false, code: 'io', message: expect.stringMatching(/did not answer within/) }]);
    expect(pool.size()).toBe(0);
    pool.close();
  });

  it('cannot be started → io, naming why', async () => {
    const pool = new WriterPool({ helper: [path.join(base, 'no-such-binary')] });
    const out = await pool.write([r('a')], SELF);
    expect(out).toEqual([{ ok: false, code: 'io', message: expect.stringMatching(/ENOENT|cannot start/) }]);
    pool.close();
  });
});

describe('the CLI serves the pool (`ccfleet __write-as-user --serve`, what the daemon runs)', () => {
  it('answers batches line by line until stdin ends', async () => {
    const cli = path.join(process.cwd(), 'dist', 'ccfleet.cjs');
    expect(fs.existsSync(cli), 'npm run build first').toBe(true);
    const pool = new WriterPool({ helper: [testNode, cli] });
    const r = (name: string, text: string): WriteRequest => req(base, SELF, text, { hostPath: path.join(base, name), owner: null });
    expect(await pool.write([r('a.json', '{"a":1}\n'), r('b.json', '{"b":2}\n')], SELF)).toEqual([{ ok: true }, { ok: true }]);
    expect(await pool.write([r('a.json', '{"a":3}\n')], SELF)).toEqual([{ ok: false, code: 'changed', message: expect.any(String) }]);
    expect(pool.spawned).toBe(1);
    expect(fs.readFileSync(path.join(base, 'b.json'), 'utf8')).toBe('{"b":2}\n');
    pool.close();
  });
});
