/**
 * writeFilesSafely as root with mixed owners (uids 4242 and 4243, plus a root-owned managed drop-in):
 * one as-user child per owner per batch (counted: a preload script in the helper's command line logs
 * each child's uid), `maxPerChild` splitting an owner's requests, results in request order, a refusal
 * mid-batch in a child affecting no other request, a child SIGKILLed mid-batch (the preload kills it
 * right after its 3rd rename) giving `io` for every request it had not answered while the other
 * owners' writes succeed and every file stays old or new, and no helper: refused, drop-in still written.
 * Needs root (numeric uids without passwd entries) — skipped otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFilesSafely, type WriteRequest, type WriteResult } from '../../src/agent/safe-write.js';
import { bundleWriteHelper, type Bundle } from '../support/bundle.js';
import { snapshotTree } from '../support/tree.js';
import { testNode } from '../support/runtime.js';

const isRoot = process.getuid?.() === 0;
const U1 = { uid: 4242, gid: 4242 };
const U2 = { uid: 4243, gid: 4243 };
const ROOT = { uid: 0, gid: 0 };
const TEMP = /\.ccfleet-tmp-/;
const statOf = (p: string) => {
  const st = fs.lstatSync(p);
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
};
const ownerOf = (p: string): [number, number] => {
  const st = fs.lstatSync(p);
  return [st.uid, st.gid];
};
const summary = (r: WriteResult): string => (r.ok ? 'ok' : `${r.code}${r.findings ? `:${r.findings.map((f) => f.code).join(',')}` : ''}`);

describe.skipIf(!isRoot)('writeFilesSafely as root, mixed owners (needs root: skipped when not root)', () => {
  let helper: Bundle;
  let tools: string;
  let base: string;
  let log: string;
  let managed: string;
  let dropin: string;
  const homes = new Map<number, string>();

  /** A preload for the helper: logs `<uid>` per child start; optionally SIGKILLs itself after N renames. */
  const preload = (killAfterRenames?: number): string => {
    const file = path.join(tools, `preload-${killAfterRenames ?? 'log'}.cjs`);
    fs.writeFileSync(
      file,
      `const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(log)}, process.getuid() + '\\n');
${killAfterRenames === undefined ? '' : `const rename = fs.renameSync; let n = 0;
fs.renameSync = function (...a) { const r = rename.apply(this, a); if (++n === ${killAfterRenames}) process.kill(process.pid, 'SIGKILL'); return r; };`}
`,
    );
    fs.chmodSync(file, 0o644);
    return file;
  };
  const helperWith = (pre: string): string[] => [testNode, '--require', pre, helper.file];
  const spawnedUids = (): string[] => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    helper = await bundleWriteHelper();
    tools = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-batch-tools-'));
    fs.chmodSync(tools, 0o755);
  });
  afterAll(() => {
    helper?.cleanup();
    fs.rmSync(tools, { recursive: true, force: true });
  });
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-batch-asuser-'));
    fs.chmodSync(base, 0o755);
    for (const u of [U1, U2]) {
      const home = path.join(base, 'home', `u${u.uid}`);
      fs.mkdirSync(home, { recursive: true });
      fs.chownSync(home, u.uid, u.gid);
      fs.chmodSync(home, 0o750);
      homes.set(u.uid, home);
    }
    managed = path.join(base, 'etc', 'claude-code');
    fs.mkdirSync(managed, { recursive: true });
    dropin = path.join(managed, 'managed-settings.d', '50-ccfleet.json');
    log = path.join(tools, 'spawns.log');
    fs.writeFileSync(log, '');
    fs.chmodSync(log, 0o666);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const userReq = (u: typeof U1, rel: string, over: Partial<WriteRequest> = {}): WriteRequest => ({
    hostPath: path.join(homes.get(u.uid)!, rel),
    text: `{"for":${u.uid},"file":${JSON.stringify(rel)}}\n`,
    owner: u,
    createMode: 0o600,
    trustedAncestor: homes.get(u.uid)!,
    expected: null,
    ...over,
  });
  const dropinReq = (): WriteRequest => ({ hostPath: dropin, text: '{"env":{}}\n', owner: ROOT, createMode: 0o644, trustedAncestor: managed, expected: null });
  /** An existing file of the user, owned by them. */
  const userFile = (u: typeof U1, rel: string, text: string): string => {
    const home = homes.get(u.uid)!;
    let dir = home;
    for (const part of path.dirname(rel).split('/').filter((p) => p !== '.')) {
      dir = path.join(dir, part);
      if (!fs.existsSync(dir)) {
        fs.mkdirSync(dir);
        fs.chownSync(dir, u.uid, u.gid);
      }
    }
    const p = path.join(home, rel);
    fs.writeFileSync(p, text);
    fs.chownSync(p, u.uid, u.gid);
    return p;
  };

  it('one child per owner; results in request order; each file owned by its user, the drop-in by root', async () => {
    const reqs = [
      userReq(U1, '.claude/settings.json'),
      userReq(U2, '.claude/settings.json'),
      dropinReq(),
      userReq(U1, 'work/api/.claude/settings.json'),
      userReq(U2, 'work/web/.claude/settings.local.json'),
      userReq(U1, 'work/web/.claude/settings.json'),
    ];
    const r = await writeFilesSafely(reqs, { helper: helperWith(preload()) });
    expect(r).toEqual(reqs.map(() => ({ ok: true })));
    expect(spawnedUids()).toEqual(['4242', '4243']);
    for (const q of reqs) {
      expect(fs.readFileSync(q.hostPath, 'utf8')).toBe(q.text);
      expect(ownerOf(q.hostPath)).toEqual(q.owner === ROOT ? [0, 0] : [q.owner!.uid, q.owner!.gid]);
    }
    expect(ownerOf(path.join(homes.get(4242)!, 'work', 'api'))).toEqual([4242, 4242]);
    expect(fs.statSync(dropin).mode & 0o7777).toBe(0o644);
  });

  it('maxPerChild splits one owner’s requests over several children (5 requests, 2 per child → 3)', async () => {
    const reqs = Array.from({ length: 5 }, (_, i) => userReq(U1, `p${i}/.claude/settings.json`));
    const r = await writeFilesSafely([...reqs, dropinReq()], { helper: helperWith(preload()), maxPerChild: 2 });
    expect(r).toEqual([...reqs, 0].map(() => ({ ok: true })));
    expect(spawnedUids()).toEqual(['4242', '4242', '4242']);
  });

  it('a refusal in the middle of a child’s batch touches nothing and affects no other request', async () => {
    const shadow = path.join(base, 'shadow');
    fs.writeFileSync(shadow, 'root:x:0:0\n');
    const linked = path.join(homes.get(4242)!, 'p1', '.claude', 'settings.json');
    userFile(U1, 'p1/.claude/keep', '');
    fs.symlinkSync(shadow, linked);
    fs.lchownSync(linked, U1.uid, U1.gid);
    const rootOwned = userFile(U2, 'p2/.claude/settings.json', '{"model":"opus"}');
    fs.chownSync(rootOwned, 0, 0);
    const edited = userFile(U1, 'p3/.claude/settings.json', '{"model":"opus"}');
    const planned = statOf(edited);
    fs.writeFileSync(edited, '{"model":"opus","theme":"dark"}');
    const replaced = userFile(U1, 'p4/.claude/settings.json', '{"model":"opus"}');
    const before = snapshotTree(path.join(base, 'home', 'u4243'));

    const reqs = [
      userReq(U1, 'p0/.claude/settings.json'),
      userReq(U1, 'p1/.claude/settings.json', { expected: statOf(linked) }),
      userReq(U2, 'p2/.claude/settings.json', { expected: statOf(rootOwned) }),
      userReq(U1, 'p3/.claude/settings.json', { expected: planned }),
      userReq(U1, 'p4/.claude/settings.json', { expected: statOf(replaced) }),
      dropinReq(),
    ];
    const r = await writeFilesSafely(reqs, { helper: helperWith(preload()) });
    expect(r.map(summary)).toEqual(['ok', 'unsafe:symlink', 'unsafe:foreign-owner', 'changed', 'ok', 'ok']);
    expect(fs.readFileSync(shadow, 'utf8')).toBe('root:x:0:0\n');
    expect(fs.readFileSync(edited, 'utf8')).toBe('{"model":"opus","theme":"dark"}');
    expect(fs.readFileSync(replaced, 'utf8')).toBe(reqs[4]!.text);
    expect(snapshotTree(path.join(base, 'home', 'u4243'))).toEqual(before);
    expect(spawnedUids()).toEqual(['4242', '4243']);
  });

  it('a child killed mid-batch: every request it had not answered is io, other owners unaffected, files old or new', async () => {
    const OLD = '{"model":"opus"}';
    const targets = Array.from({ length: 6 }, (_, i) => userFile(U1, `p${i}/.claude/settings.json`, OLD));
    const reqs = [
      ...targets.map((t, i) => userReq(U1, `p${i}/.claude/settings.json`, { expected: statOf(t) })),
      userReq(U2, '.claude/settings.json'),
      dropinReq(),
      userReq(U2, 'w/.claude/settings.json'),
    ];
    const r = await writeFilesSafely(reqs, { helper: helperWith(preload(3)) });
    for (const x of r.slice(0, 6)) {
      expect(x).toMatchObject({ ok: false, code: 'io' });
      expect(!x.ok && x.message).toMatch(/gave no result \(signal SIGKILL\)/);
    }
    expect(r.slice(6)).toEqual([{ ok: true }, { ok: true }, { ok: true }]); // the 4243 child renamed only 2
    const texts = targets.map((t) => fs.readFileSync(t, 'utf8'));
    texts.forEach((text, i) => expect([OLD, reqs[i]!.text]).toContain(text));
    expect(texts.filter((t) => t !== OLD).length).toBeGreaterThan(0); // it died after writing some
    expect(texts.filter((t) => t === OLD).length).toBeGreaterThan(0); // and before the others

    // The next batch (fresh plans) writes what is left and removes the killed child's temp files.
    const retry = targets.map((t, i) => userReq(U1, `p${i}/.claude/settings.json`, { expected: statOf(t) }));
    expect(await writeFilesSafely(retry, { helper: helperWith(preload()) })).toEqual(retry.map(() => ({ ok: true })));
    for (const t of targets) expect(fs.readdirSync(path.dirname(t)).filter((n) => TEMP.test(n))).toEqual([]);
  });

  it('without a helper the users’ requests are refused, the root-owned drop-in is still written', async () => {
    const reqs = [userReq(U1, '.claude/settings.json'), dropinReq(), userReq(U2, '.claude/settings.json')];
    const r = await writeFilesSafely(reqs, { helper: null });
    expect(r.map(summary)).toEqual(['unsafe:write-as-root-refused', 'ok', 'unsafe:write-as-root-refused']);
    expect(fs.existsSync(path.join(homes.get(4242)!, '.claude'))).toBe(false);
    expect(fs.readFileSync(dropin, 'utf8')).toBe('{"env":{}}\n');
  });
});
