/**
 * The macOS flat package: the BOM writer/reader (round trip, Apple's layout from a documented fixture,
 * refusals), cpio odc (round trip, read by bsdtar), the pre/postinstall and uninstall scripts (sh -n,
 * postinstall run against a temp root with fake macOS tools), and the whole product archive built from
 * placeholder and from signed synthetic Mach-O binaries, then taken apart with bsdtar and read back.
 * Nothing here was installed on a Mac.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cksum, Cksum } from '../../src/ship/bom/cksum.js';
import { BomError } from '../../src/ship/bom/errors.js';
import { readBom } from '../../src/ship/bom/read.js';
import type { BomEntry } from '../../src/ship/bom/types.js';
import { LEAF_CAPACITY, writeBom } from '../../src/ship/bom/write.js';
import { readCpioOdc } from '../../src/ship/cpio/read.js';
import { cpioOdc, CpioError, type CpioEntry } from '../../src/ship/cpio/write.js';
import { adhocSign, verifyAdhoc } from '../../src/ship/macho/adhoc-sign.js';
import { parsePlist } from '../../src/agent/config-sources/plist.js';
import { bomEntriesFor } from '../../src/ship/pkg/bom-entries.js';
import { macosPayload } from '../../src/ship/pkg/layout.js';
import { launchdPlist } from '../../src/service/launchd-plist.js';
import { machoFixture, ARM64, X86_64 } from './macho-fixture.js';

const REQUIRED = process.env.CCFLEET_SHIP === 'require';
const HAS_BSDTAR = spawnSync('bsdtar', ['--version'], { stdio: 'ignore' }).status === 0;
if (!HAS_BSDTAR) {
  process.stderr.write(`macos pkg test: bsdtar not found — ${REQUIRED ? 'FAILING (CCFLEET_SHIP=require)' : 'package parts skipped (apt-get install libarchive-tools)'}\n`);
}
const needBsdtar = (ctx: { skip: () => void }): boolean => {
  if (HAS_BSDTAR) return false;
  if (REQUIRED) throw new Error('CCFLEET_SHIP=require but bsdtar (libarchive-tools) is missing');
  ctx.skip();
  return true;
};

const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-macos-pkg-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const enc = new TextEncoder();

const dir = (p: string, extra: Partial<BomEntry> = {}): BomEntry => ({ path: p, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1_700_000_000, size: 0, checksum: 0, ...extra });
const file = (p: string, content: string | Uint8Array, extra: Partial<BomEntry> = {}): BomEntry => {
  const data = typeof content === 'string' ? enc.encode(content) : content;
  return { path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, size: data.length, checksum: cksum(data), ...extra };
};
const link = (p: string, target: string): BomEntry => ({ path: p, type: 'symlink', mode: 0o755, uid: 0, gid: 0, mtime: 1_700_000_000, size: enc.encode(target).length, checksum: cksum(enc.encode(target)), target });
const strip = (entries: readonly (BomEntry & { id?: number; parent?: number; flags?: number })[]) =>
  entries.map(({ id: _i, parent: _p, flags: _f, ...rest }) => rest).sort((a, b) => (a.path < b.path ? -1 : 1));
const sorted = (entries: readonly BomEntry[]) => [...entries].sort((a, b) => (a.path < b.path ? -1 : 1));

describe('cksum (the POSIX CRC a BOM records)', () => {
  it('matches the cksum utility, also when fed in chunks', () => {
    const samples = [new Uint8Array(0), enc.encode('hello\n'), randomBytes(70_001)];
    for (const [i, s] of samples.entries()) {
      const f = path.join(tmp, `cksum-${i}`);
      fs.writeFileSync(f, s);
      const expected = Number(execFileSync('cksum', [f], { encoding: 'utf8' }).split(' ')[0]);
      expect(cksum(s)).toBe(expected);
      const c = new Cksum();
      for (let at = 0; at < s.length; at += 4096) c.update(s.subarray(at, at + 4096));
      expect(c.digest()).toBe(expected);
    }
    expect(cksum(enc.encode('hello\n'))).toBe(3015617425);
  });
});

describe('BOM', () => {
  const entries: BomEntry[] = [
    dir('.'),
    dir('./Library', { gid: 0 }),
    dir('./Library/Application Support', { gid: 80 }),
    dir('./Library/Application Support/ccfleet'),
    file('./Library/Application Support/ccfleet/run.sh', '#!/bin/sh\necho hi\n', { mode: 0o755, mtime: 1_600_000_000 }),
    file('./Library/Application Support/ccfleet/empty', ''),
    file('./Library/Application Support/ccfleet/ünïcode näme', 'x', { uid: 501, gid: 20, mode: 0o600 }),
    link('./Library/Application Support/ccfleet/current', 'run.sh'),
    dir('./Library/LaunchDaemons'),
    file('./Library/LaunchDaemons/com.ccfleet.agent.plist', '<plist/>\n'),
  ];

  it('round-trips every entry: type, mode, owner, mtime, size, checksum, symlink target', () => {
    const bytes = writeBom(entries);
    const bom = readBom(bytes);
    expect(strip(bom.entries)).toEqual(sorted(entries));
    // Writing is a pure function of the list (order of the input does not matter).
    expect(Buffer.from(writeBom([...entries].reverse())).equals(Buffer.from(bytes))).toBe(true);
  });

  it('has the five variables, the header and block table agree, and metadata blocks have Apple’s sizes', () => {
    const bytes = writeBom(entries);
    const bom = readBom(bytes);
    expect(bom.vars.map((v) => v.name)).toEqual(['BomInfo', 'Paths', 'HLIndex', 'VIndex', 'Size64']);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(dv.getUint32(16) + dv.getUint32(20)).toBe(bytes.length); // index offset + length = end of file
    expect(bom.headerBlockCount).toBe(bom.blocks.length - 1);
    expect(bom.blocks[0]).toEqual({ offset: 0, length: 0 });
    expect(bom.info).toEqual({ version: 1, numberOfPaths: entries.length + 1, entries: [{ cpuType: 0, size: entries.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0) }] });
    expect(bom.paths).toMatchObject({ blockSize: 4096, count: entries.length });
    expect(bom.hlIndex).toMatchObject({ blockSize: 4096, count: 0, pairs: [] });
    expect(bom.size64).toMatchObject({ blockSize: 4096, count: 0, pairs: [] });
    expect(bom.vIndex).toMatchObject({ version: 1, tree: { blockSize: 128, count: 0, pairs: [] } });
    // Metadata: 31 bytes for a folder, 35 for a file (as in Apple's Sample.pkg BOM), symlink 35 + target + NUL.
    const metaLength = (p: string) => {
      const pair = bom.paths.pairs.find(([k]) => bom.entries.find((e) => e.path === p)!.id === dv.getUint32(bom.blocks[k]!.offset))!;
      return bom.blocks[dv.getUint32(bom.blocks[pair[0]]!.offset + 4)]!.length;
    };
    expect(metaLength('./Library')).toBe(31);
    expect(metaLength('./Library/LaunchDaemons/com.ccfleet.agent.plist')).toBe(35);
    expect(metaLength('./Library/Application Support/ccfleet/current')).toBe(35 + 4 + 'run.sh'.length + 1);
    // Ids are breadth-first with siblings in byte order, so leaf pairs are in (parent id, name) order.
    const keys = bom.entries.map((e) => [e.parent, e.path.slice(e.path.lastIndexOf('/') + 1)] as const);
    const byKey = [...keys].sort((a, b) => a[0] - b[0] || Buffer.compare(Buffer.from(a[1]), Buffer.from(b[1])));
    expect(keys).toEqual(byKey);
    expect(bom.entries[0]).toMatchObject({ path: '.', id: 1, parent: 0, flags: 0x000f });
  });

  it('splits Paths into linked 256-entry leaves under a branch node when there are more paths', () => {
    const many: BomEntry[] = [dir('.'), dir('./a'), dir('./a/b')];
    for (let i = 0; i < 600; i++) many.push(file(`./a/b/f${String(i).padStart(4, '0')}`, `content ${i}`));
    const bytes = writeBom(many);
    const bom = readBom(bytes);
    expect(bom.paths.leaves).toHaveLength(Math.ceil(many.length / LEAF_CAPACITY));
    expect(bom.paths.count).toBe(many.length);
    expect(strip(bom.entries)).toEqual(sorted(many));
    // Leaves are chained forward/backward in order.
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const leaves = bom.paths.leaves;
    leaves.forEach((leaf, i) => {
      const at = bom.blocks[leaf]!.offset;
      expect(dv.getUint32(at + 4)).toBe(leaves[i + 1] ?? 0);
      expect(dv.getUint32(at + 8)).toBe(leaves[i - 1] ?? 0);
    });
  });

  it('refuses entry lists that do not describe a tree, and values that do not fit', () => {
    const bad = (list: BomEntry[], pattern: RegExp) => {
      const e = (() => {
        try {
          writeBom(list);
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(BomError);
      expect((e as BomError).code).toBe('BOM_BAD_ENTRY');
      expect((e as BomError).message).toMatch(pattern);
    };
    bad([dir('./a')], /root folder/);
    bad([dir('.'), file('./a/b', 'x')], /parent folder \.\/a is not in the list/);
    bad([dir('.'), file('./a', 'x'), file('./a/b', 'x')], /is not a folder/);
    bad([dir('.'), dir('./a'), dir('./a')], /appears twice/);
    bad([dir('.'), dir('a')], /must be "\." or start with "\.\/"/);
    bad([dir('.'), dir('./a/../b')], /"\.\." component/);
    bad([dir('.'), dir('./a/')], /empty/);
    bad([dir('.'), file('./a', 'x', { mode: 0o100644 })], /permission mode/);
    bad([dir('.'), file('./a', 'x', { size: 2 ** 32 })], /size .* 32-bit/);
    bad([dir('.'), { ...link('./l', 'x'), target: undefined }], /needs a target/);
    bad([dir('.'), { ...file('./a', 'x'), target: 'y' }], /only a symlink/);
  });

  it('reader: errors for non-BOMs, truncation and structures that do not add up — never a wrong answer', () => {
    const good = writeBom([dir('.'), file('./a', 'x')]);
    const code = (b: Uint8Array) => {
      try {
        readBom(b);
        return 'read';
      } catch (e) {
        expect(e).toBeInstanceOf(BomError);
        return (e as BomError).code;
      }
    };
    expect(code(enc.encode('not a bom at all, not at all, not'))).toBe('BOM_NOT_BOM');
    expect(code(good.subarray(0, good.length - 10))).toBe('BOM_TRUNCATED');
    const wrongVersion = Uint8Array.from(good);
    wrongVersion[11] = 2;
    expect(code(wrongVersion)).toBe('BOM_NOT_BOM');
    // Point the Paths variable at the BomInfo block: no "tree" magic there.
    const bom = readBom(good);
    const broken = Uint8Array.from(good);
    const dv = new DataView(broken.buffer);
    const varsOffset = dv.getUint32(24);
    let at = varsOffset + 4;
    for (const v of bom.vars) {
      if (v.name === 'Paths') dv.setUint32(at, bom.vars[0]!.block);
      at += 5 + v.name.length;
    }
    expect(code(broken)).toBe('BOM_CORRUPT');
  });

  it('reads a BOM laid out the way Apple’s mkbom lays it out (documented Sample.pkg layout fixture)', () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/ship/apple-layout-sample.bom.json'), 'utf8')) as {
      length: number;
      segments: { at: string; hex: string }[];
    };
    const bytes = new Uint8Array(fixture.length);
    for (const s of fixture.segments) bytes.set(Buffer.from(s.hex, 'hex'), Number(s.at));
    const bom = readBom(bytes);
    expect(bom.blocks).toHaveLength(0xaaa); // pre-sized table, unused slots zero
    expect(bom.headerBlockCount).toBe(0x13);
    expect(bom.vars.map((v) => [v.name, v.block])).toEqual([['BomInfo', 1], ['Paths', 2], ['HLIndex', 4], ['VIndex', 6], ['Size64', 9]]);
    expect(bom.blocks[3]).toEqual({ offset: 0x236, length: 0x1000 }); // a leaf padded to its tree's block size
    expect(bom.vIndex.tree.blockSize).toBe(128);
    expect(bom.info.entries).toEqual([{ cpuType: 0, size: 6 }]);
    expect(strip(bom.entries)).toEqual([
      dir('.', { mtime: 1577836800 }),
      dir('./Applications', { mode: 0o775, gid: 80, mtime: 1577836800 }),
      file('./Applications/hello.txt', 'hello\n', { gid: 80, mtime: 1577836800 }),
    ]);
  });
});

describe('cpio odc', () => {
  const entries: CpioEntry[] = [
    { path: '.', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1_700_000_000 },
    { path: './Library', type: 'dir', mode: 0o755, uid: 0, gid: 80, mtime: 1_700_000_000 },
    { path: './Library/bin', type: 'file', mode: 0o755, uid: 0, gid: 0, mtime: 1_700_000_001, data: randomBytes(5000) },
    { path: './Library/empty', type: 'file', mode: 0o600, uid: 501, gid: 20, mtime: 1_700_000_002, data: new Uint8Array(0) },
    { path: './Library/name with spaces', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1, data: enc.encode('text\n') },
    { path: './Library/link', type: 'symlink', mode: 0o755, uid: 0, gid: 0, mtime: 1_700_000_003, target: 'bin' },
  ];

  it('round-trips through our reader with 76-byte octal headers and a TRAILER!!! entry', () => {
    const archive = cpioOdc(entries);
    const back = readCpioOdc(archive);
    expect(back.map(({ ino: _i, nlink: _n, size: _s, ...e }) => ({ ...e, data: e.data ? Buffer.from(e.data) : undefined }))).toEqual(
      entries.map((e) => ({ ...e, data: e.data ? Buffer.from(e.data) : undefined })),
    );
    expect(new Set(back.map((e) => e.ino)).size).toBe(entries.length);
    const text = Buffer.from(archive).toString('latin1');
    expect(text.startsWith('070707000000000001040755000000000000000002000000')).toBe(true); // dev 0, ino 1, mode 040755, uid 0, gid 0, nlink 2
    expect(text).toContain('TRAILER!!!\0');
  });

  it('is read the same by bsdtar (libarchive), contents, modes and the symlink', (ctx) => {
    if (needBsdtar(ctx)) return;
    const out = path.join(tmp, 'cpio-x');
    fs.mkdirSync(out);
    execFileSync('bsdtar', ['-xpf', '-', '-C', out], { input: cpioOdc(entries) });
    const listing = execFileSync('bsdtar', ['-tvf', '-'], { input: cpioOdc(entries), encoding: 'utf8' });
    expect(listing).toMatch(/-rw-------\s+1 501\s+20\s+0 .* \.\/Library\/empty/);
    expect(fs.readFileSync(path.join(out, 'Library/bin')).equals(Buffer.from(entries[2]!.data!))).toBe(true);
    expect(fs.statSync(path.join(out, 'Library/bin')).mode & 0o7777).toBe(0o755);
    expect(fs.readlinkSync(path.join(out, 'Library/link'))).toBe('bin');
    expect(fs.readFileSync(path.join(out, 'Library/name with spaces'), 'utf8')).toBe('text\n');
  });

  it('refuses what odc cannot hold', () => {
    expect(() => cpioOdc([{ path: './x', type: 'file', mode: 0o644, uid: 0o1000000, gid: 0, mtime: 0 }])).toThrow(CpioError);
    expect(() => cpioOdc([{ path: './x', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 8 ** 11 }])).toThrow(/mtime/);
    expect(() => cpioOdc([{ path: './x', type: 'symlink', mode: 0o755, uid: 0, gid: 0, mtime: 0 }])).toThrow(/target/);
    expect(() => cpioOdc([{ path: './x', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 }, { path: './x', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 }])).toThrow(/twice/);
  });
});

describe('payload layout', () => {
  it('describes the same tree in Bom and Payload, with system folders owned as macOS owns them', () => {
    const items = macosPayload({ binaries: { x64: enc.encode('x64'), arm64: enc.encode('arm64') }, launchdPlist: launchdPlist(), uninstallScript: '#!/bin/sh\n', mtime: 1 });
    const bom = readBom(writeBom(bomEntriesFor(items)));
    expect(bom.entries.map((e) => e.path).sort()).toEqual(items.map((i) => i.path).sort());
    const get = (p: string) => bom.entries.find((e) => e.path === p)!;
    expect(get('.')).toMatchObject({ type: 'dir', mode: 0o755, uid: 0, gid: 0 });
    expect(get('./Library/Application Support')).toMatchObject({ mode: 0o755, uid: 0, gid: 80 });
    expect(get('./Library/LaunchDaemons/com.ccfleet.agent.plist')).toMatchObject({ type: 'file', mode: 0o644, uid: 0, gid: 0 });
    for (const a of ['x64', 'arm64']) {
      expect(get(`./Library/Application Support/ccfleet/libexec/ccfleet-darwin-${a}`)).toMatchObject({ mode: 0o755, uid: 0, gid: 0, size: a.length, checksum: cksum(enc.encode(a)) });
    }
    // Nothing group- or world-writable.
    for (const e of bom.entries) expect(e.mode & 0o022).toBe(0);
  });
});

describe('install scripts', () => {
  const scripts = ['installers/macos/scripts/preinstall', 'installers/macos/scripts/postinstall', 'installers/macos/uninstall.sh'];

  it('parse with sh -n and are executable', () => {
    for (const s of scripts) {
      const r = spawnSync('/bin/sh', ['-n', path.join(root, s)], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(fs.statSync(path.join(root, s)).mode & 0o111).toBe(0o111);
    }
  });

  it('name the label, plist and binary the builders use', () => {
    const post = fs.readFileSync(path.join(root, 'installers/macos/scripts/postinstall'), 'utf8');
    expect(post).toContain('LABEL=com.ccfleet.agent');
    expect(post).toContain('APP="$TARGET/Library/Application Support/ccfleet"');
    expect(post).toContain('PLIST="$TARGET/Library/LaunchDaemons/$LABEL.plist"');
    expect(post).toContain('"$APP/bin/ccfleet"');
    expect(launchdPlist()).toContain('<string>/Library/Application Support/ccfleet/bin/ccfleet</string>');
  });

  /** Fake macOS tools: each logs its arguments; sysctl/uname answer for the chosen architecture. */
  function fakeBin(arch: 'arm64' | 'x86_64', rosetta = false): { dir: string; log: string } {
    const d = fs.mkdtempSync(path.join(tmp, 'bin-'));
    const log = path.join(d, 'calls.log');
    const tool = (name: string, body: string) => fs.writeFileSync(path.join(d, name), `#!/bin/sh\necho "${name} $*" >>"${log}"\n${body}\n`, { mode: 0o755 });
    tool('launchctl', 'exit 0');
    tool('chown', 'exit 0');
    tool('sysctl', `echo ${arch === 'arm64' ? 1 : 0}`);
    tool('uname', `echo ${rosetta ? 'x86_64' : arch}`);
    return { dir: d, log };
  }

  function stageTarget(): string {
    const target = fs.mkdtempSync(path.join(tmp, 'target-'));
    const app = path.join(target, 'Library/Application Support/ccfleet');
    fs.mkdirSync(path.join(app, 'libexec'), { recursive: true });
    fs.writeFileSync(path.join(app, 'libexec/ccfleet-darwin-x64'), 'x64 binary');
    fs.writeFileSync(path.join(app, 'libexec/ccfleet-darwin-arm64'), 'arm64 binary');
    fs.mkdirSync(path.join(target, 'Library/LaunchDaemons'), { recursive: true });
    fs.writeFileSync(path.join(target, 'Library/LaunchDaemons/com.ccfleet.agent.plist'), launchdPlist(), { mode: 0o664 });
    fs.mkdirSync(path.join(target, 'private/etc/newsyslog.d'), { recursive: true });
    return target;
  }

  const runPost = (target: string, bin: string) =>
    spawnSync('/bin/sh', [path.join(root, 'installers/macos/scripts/postinstall'), '/pkg', '/', target, '/'], { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}` } });

  it('postinstall on another volume: picks the Apple-silicon binary even under Rosetta, installs it, creates root-only folders, keeps agent.json, does not touch launchd', () => {
    const target = stageTarget();
    const app = path.join(target, 'Library/Application Support/ccfleet');
    fs.writeFileSync(path.join(app, 'agent.json'), '{"server":"https://fleet.example.com"}', { mode: 0o644 });
    const { dir: bin, log } = fakeBin('arm64', true);
    const r = runPost(target, bin);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('installed the arm64 executable');
    expect(r.stdout).toContain('kept the existing agent.json');
    expect(fs.readFileSync(path.join(app, 'bin/ccfleet'), 'utf8')).toBe('arm64 binary');
    expect(fs.statSync(path.join(app, 'bin/ccfleet')).mode & 0o7777).toBe(0o755);
    expect(fs.readdirSync(path.join(app, 'bin'))).toEqual(['ccfleet']); // no temp file left
    expect(fs.readdirSync(path.join(app, 'libexec'))).toEqual([]);
    expect(fs.readFileSync(path.join(app, 'agent.json'), 'utf8')).toBe('{"server":"https://fleet.example.com"}');
    expect(fs.statSync(path.join(app, 'agent.json')).mode & 0o7777).toBe(0o600);
    expect(fs.statSync(path.join(app, 'state')).mode & 0o7777).toBe(0o700);
    expect(fs.statSync(path.join(target, 'Library/Logs/ccfleet')).mode & 0o7777).toBe(0o700);
    expect(fs.statSync(path.join(target, 'Library/LaunchDaemons/com.ccfleet.agent.plist')).mode & 0o7777).toBe(0o644);
    expect(fs.readFileSync(path.join(target, 'private/etc/newsyslog.d/com.ccfleet.agent.conf'), 'utf8')).toMatch(/^\/Library\/Logs\/ccfleet\/daemon\.stderr\.log\s+root:wheel\s+600/m);
    const calls = fs.readFileSync(log, 'utf8');
    expect(calls).not.toContain('launchctl');
    expect(calls).toContain(`chown root:wheel ${path.join(app, 'bin/.ccfleet.new.')}`);
  });

  it('postinstall: an Intel Mac gets the x64 binary; a missing binary or a symlinked folder fails the install', () => {
    const target = stageTarget();
    const app = path.join(target, 'Library/Application Support/ccfleet');
    const { dir: bin } = fakeBin('x86_64');
    expect(runPost(target, bin).status).toBe(0);
    expect(fs.readFileSync(path.join(app, 'bin/ccfleet'), 'utf8')).toBe('x64 binary');

    // libexec was emptied by that run: a second run has nothing to install and says so.
    const again = runPost(target, bin);
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/ccfleet-darwin-x64 is missing/);

    const t2 = stageTarget();
    const app2 = path.join(t2, 'Library/Application Support/ccfleet');
    fs.symlinkSync(tmp, path.join(app2, 'state'));
    const r = runPost(t2, bin);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/state is a symlink; refusing/);
    expect(fs.existsSync(path.join(app2, 'bin'))).toBe(false);
  });
});

describe('product archive (bsdtar xar)', () => {
  const buildPkg = (binaries: string, out: string, extra: string[] = []) =>
    spawnSync(process.execPath, [path.join(root, 'installers/macos/build.mjs'), '--binaries', binaries, '--out', out, '--version', '9.8.7', ...extra], {
      encoding: 'utf8',
      env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
    });

  it('from placeholder binaries: Distribution + ccfleet.pkg/{PackageInfo,Bom,Payload,Scripts}, read back consistently', (ctx) => {
    if (needBsdtar(ctx)) return;
    const bins = fs.mkdtempSync(path.join(tmp, 'bins-'));
    fs.writeFileSync(path.join(bins, 'ccfleet-darwin-x64'), 'placeholder x64\n');
    fs.writeFileSync(path.join(bins, 'ccfleet-darwin-arm64'), 'placeholder arm64\n');
    const out = path.join(tmp, 'out-placeholder');

    const refused = buildPkg(bins, out);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/not a Mach-O|is not validly ad-hoc signed|ccfleet-darwin-x64/);

    const r = buildPkg(bins, out, ['--allow-unsigned']);
    expect(r.stderr).toMatch(/allowed by --allow-unsigned/);
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout.trim()) as { pkg: string; payloadEntries: number; cdhashes: string[] };
    const pkg = path.join(out, 'ccfleet-9.8.7.pkg');
    expect(result.pkg).toBe(pkg);
    expect(result.cdhashes).toEqual([]);

    // The xar: its listing, its header, and a TOC whose sha1 checksum matches.
    const listing = execFileSync('bsdtar', ['-tf', pkg], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toEqual(['Distribution', 'ccfleet.pkg', 'ccfleet.pkg/Bom', 'ccfleet.pkg/PackageInfo', 'ccfleet.pkg/Payload', 'ccfleet.pkg/Scripts']);
    const x = fs.readFileSync(pkg);
    expect(x.subarray(0, 4).toString('latin1')).toBe('xar!');
    const tocLength = Number(x.readBigUInt64BE(8));
    const toc = x.subarray(28, 28 + tocLength);
    const heap = 28 + tocLength;
    expect(x.readUInt32BE(24)).toBe(1); // sha1
    expect(x.subarray(heap, heap + 20).equals(createHash('sha1').update(toc).digest())).toBe(true);
    const verbose = execFileSync('bsdtar', ['-tvf', pkg], { encoding: 'utf8' });
    for (const line of verbose.trim().split('\n')) expect(line).toMatch(/ root\s+wheel /);

    // Extract and read every part back.
    const ex = path.join(tmp, 'pkg-x');
    fs.mkdirSync(ex);
    execFileSync('bsdtar', ['-xf', pkg, '-C', ex]);
    const dist = fs.readFileSync(path.join(ex, 'Distribution'), 'utf8');
    expect(dist).toContain('hostArchitectures="x86_64,arm64"');
    expect(dist).toContain('<pkg-ref id="com.ccfleet.agent" version="9.8.7" onConclusion="none" installKBytes=');
    expect(dist).toContain('>#ccfleet.pkg</pkg-ref>');
    const info = fs.readFileSync(path.join(ex, 'ccfleet.pkg/PackageInfo'), 'utf8');
    expect(info).toMatch(/<pkg-info format-version="2" identifier="com.ccfleet.agent" version="9.8.7" install-location="\/" auth="root"/);
    expect(info).toContain(`<payload numberOfFiles="${result.payloadEntries}"`);
    expect(info).toContain('<postinstall file="./postinstall"/>');
    for (const doc of [dist, info]) expect(doc).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<[a-z-]+ /);

    const bom = readBom(fs.readFileSync(path.join(ex, 'ccfleet.pkg/Bom')));
    const payload = readCpioOdc(gunzipSync(fs.readFileSync(path.join(ex, 'ccfleet.pkg/Payload'))));
    expect(payload).toHaveLength(result.payloadEntries);
    // Every Bom entry matches its Payload entry: type, mode, owner, mtime, size and the content's cksum.
    const fromPayload = bomEntriesFor(payload);
    expect(strip(bom.entries)).toEqual(sorted(fromPayload));
    const byPath = new Map(payload.map((p) => [p.path, p]));
    expect(Buffer.from(byPath.get('./Library/Application Support/ccfleet/libexec/ccfleet-darwin-arm64')!.data!).toString()).toBe('placeholder arm64\n');
    expect(Buffer.from(byPath.get('./Library/LaunchDaemons/com.ccfleet.agent.plist')!.data!).toString()).toBe(launchdPlist());
    expect(Buffer.from(byPath.get('./Library/Application Support/ccfleet/uninstall.sh')!.data!).toString()).toBe(fs.readFileSync(path.join(root, 'installers/macos/uninstall.sh'), 'utf8'));
    expect(payload.every((p) => p.mtime === 1_700_000_000)).toBe(true);
    expect(parsePlist(byPath.get('./Library/LaunchDaemons/com.ccfleet.agent.plist')!.data!)).toMatchObject({ Label: 'com.ccfleet.agent' });

    const scripts = readCpioOdc(gunzipSync(fs.readFileSync(path.join(ex, 'ccfleet.pkg/Scripts'))));
    expect(scripts.map((s) => [s.path, s.mode, s.uid, s.gid])).toEqual([['.', 0o755, 0, 0], ['./postinstall', 0o755, 0, 0], ['./preinstall', 0o755, 0, 0]]);
    expect(Buffer.from(scripts[1]!.data!).toString()).toBe(fs.readFileSync(path.join(root, 'installers/macos/scripts/postinstall'), 'utf8'));
    // bsdtar reads Payload and Scripts too (gzip'd odc cpio, as pax writes them).
    expect(execFileSync('bsdtar', ['-tf', path.join(ex, 'ccfleet.pkg/Scripts')], { encoding: 'utf8' }).trim().split('\n')).toEqual(['.', './postinstall', './preinstall']);

    // Beside the package: the profiles (no cdhash one without signed binaries) and the uninstall script.
    expect(fs.readdirSync(path.join(out, 'macos-profiles')).sort()).toEqual(['ccfleet-agent-config.mobileconfig', 'ccfleet-background-item.mobileconfig', 'ccfleet-full-disk-access.mobileconfig']);
    expect(fs.statSync(path.join(out, 'ccfleet-macos-uninstall.sh')).mode & 0o111).toBe(0o111);
  });

  it('from ad-hoc signed Mach-O binaries: accepted, and the cdhash PPPC profile names exactly their cdhashes', (ctx) => {
    if (needBsdtar(ctx)) return;
    const bins = fs.mkdtempSync(path.join(tmp, 'signed-'));
    const x64 = adhocSign(machoFixture({ cputype: X86_64, codeBytes: 9000, seed: 1 }).bin, 'com.ccfleet.agent');
    const arm = adhocSign(machoFixture({ cputype: ARM64, codeBytes: 9000, seed: 2 }).bin, 'com.ccfleet.agent');
    fs.writeFileSync(path.join(bins, 'ccfleet-darwin-x64'), x64);
    fs.writeFileSync(path.join(bins, 'ccfleet-darwin-arm64'), arm);
    const expected = [x64, arm].map((b) => verifyAdhoc(b).slices[0]!.codeDirectories[0]!.cdhash);
    const out = path.join(tmp, 'out-signed');
    const r = buildPkg(bins, out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim()).cdhashes).toEqual(expected);
    const profile = parsePlist(fs.readFileSync(path.join(out, 'macos-profiles/ccfleet-full-disk-access-cdhash.mobileconfig'))) as {
      PayloadContent: { Services: { SystemPolicyAllFiles: { CodeRequirement: string; Identifier: string }[] } }[];
    };
    const grant = profile.PayloadContent[0]!.Services.SystemPolicyAllFiles[0]!;
    expect(grant.Identifier).toBe('/Library/Application Support/ccfleet/bin/ccfleet');
    expect(grant.CodeRequirement).toBe(`cdhash H"${expected[0]}" or cdhash H"${expected[1]}"`);

    // A signed binary whose bytes changed after signing is refused (it would be killed on arm64).
    const tampered = Uint8Array.from(arm);
    tampered[0x1000] = tampered[0x1000]! ^ 0xff;
    fs.writeFileSync(path.join(bins, 'ccfleet-darwin-arm64'), tampered);
    const bad = buildPkg(bins, path.join(tmp, 'out-tampered'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/ccfleet-darwin-arm64 is not validly ad-hoc signed/);

    // Signed under another identifier: the identifier-based Full Disk Access profile would not match it.
    fs.writeFileSync(path.join(bins, 'ccfleet-darwin-arm64'), adhocSign(machoFixture({ cputype: ARM64, codeBytes: 9000, seed: 2 }).bin, 'org.example.other'));
    const other = buildPkg(bins, path.join(tmp, 'out-other-id'));
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/signed as "org\.example\.other", not com\.ccfleet\.agent/);
  });
});
