/**
 * The inspect cache of long-running passes: results identical to a cache-less pass, a same-size rewrite
 * with its mtime put back is still seen (ctime), and safety checks are never skipped on a cache hit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InspectCache } from '../../src/agent/inspect-cache.js';
import { reconcile, type ReconcileDeps } from '../../src/agent/reconcile.js';
import { parsePolicyText } from '../../src/core/policy-load.js';
import { platformFor } from '../../src/platform/index.js';
import { createNodeFsView } from '../../src/platform/node-fs-view.js';
import { makeMachine, type Machine } from '../support/machine.js';

const policy = parsePolicyText(
  JSON.stringify({ id: 'cache', version: 1, env: { ANTHROPIC_BASE_URL: 'https://gw.example/anthropic', ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model' }, removeKeys: ['model'] }),
  'inline',
);
let m: Machine;
afterEach(() => m?.cleanup());

function deps(cache?: InspectCache): ReconcileDeps {
  return { platform: platformFor('linux'), fs: createNodeFsView(m.root, 'linux'), root: m.root, facts: {}, backups: null, writeDeps: { helper: null }, uid: process.getuid?.(), ...(cache ? { cache } : {}) };
}

describe('InspectCache', () => {
  it('gives the same report as a pass without it, pass after pass', async () => {
    m = makeMachine('linux', [{ name: 'a' }]);
    m.write('/home/a/.claude/settings.json', '{"model":"x","theme":"dark"}');
    m.write('/home/a/.claude.json', JSON.stringify({ projects: { '/home/a/p': {} } }));
    m.write('/home/a/p/.claude/settings.json', '{"env":{"A":"1"}}');
    const cache = new InspectCache();
    const plain = await reconcile({ policy, mode: 'check' }, deps());
    const first = await reconcile({ policy, mode: 'check' }, deps(cache));
    const second = await reconcile({ policy, mode: 'check' }, deps(cache));
    expect(first).toEqual(plain);
    expect(second).toEqual(plain);
    expect(plain.compliant).toBe(false);
  });

  it('sees a same-size rewrite whose mtime was put back (ctime changes)', async () => {
    m = makeMachine('linux', [{ name: 'a' }]);
    const f = m.write('/home/a/.claude/settings.json', '{"theme":"dark1"}');
    const cache = new InspectCache();
    const before = await reconcile({ policy, mode: 'check' }, deps(cache));
    expect(before.files.find((x) => x.role === 'user')!.state).toBe('compliant');
    const st = fs.statSync(f);
    await new Promise((r) => setTimeout(r, 20));
    fs.writeFileSync(f, '{"model":"zzzzz"}');
    expect(fs.statSync(f).size).toBe(st.size);
    fs.utimesSync(f, st.atime, st.mtime);
    const after = await reconcile({ policy, mode: 'check' }, deps(cache));
    expect(after.files.find((x) => x.role === 'user')!.state).toBe('drifted');
  });

  it('still reports a folder swapped for a symlink on a cache hit', async () => {
    m = makeMachine('linux', [{ name: 'a' }]);
    m.write('/home/a/.claude/settings.json', '{"theme":"dark"}');
    const cache = new InspectCache();
    await reconcile({ policy, mode: 'check' }, deps(cache));
    const dir = m.host('/home/a/.claude');
    fs.renameSync(dir, m.host('/home/a/.claude-real'));
    fs.symlinkSync(path.basename(m.host('/home/a/.claude-real')), dir);
    const after = await reconcile({ policy, mode: 'check' }, deps(cache));
    const user = after.files.find((x) => x.role === 'user')!;
    expect(user.state).toBe('unsafe');
    expect(user.findings.map((x) => x.code)).toContain('symlink');
  });
});
