// Property lists (src/agent/config-sources/plist*.ts): XML and binary files written by an independent
// implementation (Python's plistlib; test/fixtures/plist) read to the same values; every malformed or
// hostile input is a PlistError with a stable code — never another exception, a hang or a huge allocation.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlist, PLIST_LIMITS, PlistError } from '../../../src/agent/config-sources/plist.js';

const FIX = path.resolve(__dirname, '..', '..', 'fixtures', 'plist');
const fixture = (name: string) => new Uint8Array(fs.readFileSync(path.join(FIX, name)));
const KEY = 'gODXEsEFsujidOra01GwOEYBBCQpb47KLyyyCgc0YUM=';

const codeOf = (input: Uint8Array | string): string => {
  try {
    parsePlist(typeof input === 'string' ? new TextEncoder().encode(input) : input);
  } catch (e) {
    return e instanceof PlistError ? e.code : `not a PlistError: ${String(e)}`;
  }
  return 'no error';
};

/** A binary plist from raw objects (each a byte list); refs and offsets 1 byte unless asked. */
function bplist(objects: number[][], opts: { top?: number; refSize?: number; offsetSize?: number; count?: number } = {}): Uint8Array {
  const offSize = opts.offsetSize ?? 2;
  const head = [...Buffer.from('bplist00')];
  const body: number[] = [];
  const offsets: number[] = [];
  for (const o of objects) {
    offsets.push(head.length + body.length);
    body.push(...o);
  }
  const tableAt = head.length + body.length;
  const table = offsets.flatMap((o) => be(o, offSize));
  const trailer = [0, 0, 0, 0, 0, 0, offSize, opts.refSize ?? 1, ...be(opts.count ?? objects.length, 8), ...be(opts.top ?? 0, 8), ...be(tableAt, 8)];
  return new Uint8Array([...head, ...body, ...table, ...trailer]);
}
const be = (n: number, size: number) => Array.from({ length: size }, (_, i) => Math.floor(n / 256 ** (size - 1 - i)) % 256);
const ascii = (s: string) => [0x50 | s.length, ...Buffer.from(s, 'latin1')];

describe('plist: files from another implementation', () => {
  it('the agent config profile reads the same from XML and binary', () => {
    const want = {
      PayloadType: 'com.ccfleet.agent',
      PayloadUUID: '5C6B2A8E-1111-4C1B-9D3E-0123456789AB',
      PayloadVersion: 1,
      enrollSecret: 'mdm-secret-1234',
      heartbeatMinutes: 30,
      policyPublicKeys: [KEY],
      policyRefresh: { cron: '*/10 * * * *', jitterSeconds: 60 },
      server: 'https://fleet.example.com',
    };
    expect(parsePlist(fixture('agent-config.xml.plist'))).toEqual(want);
    expect(parsePlist(fixture('agent-config.binary.plist'))).toEqual(want);
  });

  it('every value kind: UTF-16 strings, 1–8 byte and negative integers, reals, booleans, dates, data, nesting, long counts', () => {
    const want = {
      ascii: 'plain',
      unicode: 'Grüße — 東京 🚀',
      int8: 255,
      int16: 65535,
      int32: 4294967295,
      int64: 2 ** 40,
      neg: -5,
      real: 1.5,
      float32: 0.25,
      yes: true,
      no: false,
      when: new Date('2024-01-02T03:04:05Z'),
      blob: new Uint8Array([0, 1, 0xfe, 0xff]),
      nested: [[1, 2], { a: 'b' }, []],
      empty: {},
      long: 'x'.repeat(40),
      longarr: Array.from({ length: 20 }, (_, i) => i),
    };
    const bin = parsePlist(fixture('kinds.binary.plist'));
    const xml = parsePlist(fixture('kinds.xml.plist'));
    expect(bin).toEqual(want);
    expect(xml).toEqual(want);
    expect(Object.keys(bin as object)).toEqual(Object.keys(want)); // key order kept
  });

  it('a 4-byte real (float32), which plistlib never writes', () => {
    // dict { r: 0.5f }
    const r = bplist([[0xd1, 1, 2], ascii('r'), [0x22, 0x3f, 0x00, 0x00, 0x00]]);
    expect(parsePlist(r)).toEqual({ r: 0.5 });
  });

  it('XML: entities, character references, CDATA, comments, empty elements, a BOM', () => {
    const xml = `\ufeff<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment before -->
<plist version="1.0"><dict>
  <key>a&amp;b</key><string>&lt;x&gt; &quot;q&quot; &apos;s&apos; &#233;&#x1F680;</string>
  <key>c</key><string><![CDATA[<raw & kept>]]> and <!-- inside --> after</string>
  <key>e</key><string/>
  <key>d</key><dict/>
  <key>arr</key><array/>
  <key>t</key><true/>
  <key>h</key><integer>0x1F</integer>
  <key>n</key><integer>-12</integer>
</dict></plist>
`;
    expect(parsePlist(new TextEncoder().encode(xml))).toEqual({ 'a&b': `<x> "q" 's' é🚀`, c: '<raw & kept> and  after', e: '', d: {}, arr: [], t: true, h: 31, n: -12 });
  });

  it('a "__proto__" key is an ordinary key (no prototype is changed)', () => {
    const v = parsePlist(new TextEncoder().encode('<plist><dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict></plist>')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('plist: malformed and hostile input → stable codes', () => {
  it('neither plist format', () => {
    expect(codeOf('')).toBe('plist-bad-magic');
    expect(codeOf('{"json": true}')).toBe('plist-bad-magic');
    expect(codeOf(new Uint8Array([0xff, 0xfe, 0x00, 0x3c]))).toBe('plist-bad-encoding');
    expect(codeOf('bplist01' + 'x'.repeat(60))).toBe('plist-unsupported-version');
    expect(codeOf(new Uint8Array(PLIST_LIMITS.maxBytes + 1))).toBe('plist-too-large');
  });

  it('binary: too short, a trailer that does not fit, references and offsets out of range', () => {
    expect(codeOf('bplist00')).toBe('plist-truncated');
    const ok = bplist([[0xa1, 1], ascii('x')]);
    expect(parsePlist(ok)).toEqual(['x']);
    expect(codeOf(bplist([[0xa1, 1], ascii('x')], { top: 2 }))).toBe('plist-bad-trailer');
    expect(codeOf(bplist([[0xa1, 1], ascii('x')], { count: 9 }))).toBe('plist-bad-trailer');
    expect(codeOf(bplist([[0xa1, 1], ascii('x')], { refSize: 0 }))).toBe('plist-bad-trailer');
    expect(codeOf(bplist([[0xa1, 5], ascii('x')]))).toBe('plist-bad-ref');
    const badOffset = bplist([[0xa1, 1], ascii('x')]);
    badOffset[badOffset.length - 32 - 1] = 0xf0; // object 1's offset points into the offset table
    expect(codeOf(badOffset)).toBe('plist-bad-offset');
    expect(codeOf(bplist([[0x5f, 0x10, 0xff]]))).toBe('plist-truncated'); // a 255-char string in 3 bytes
    expect(codeOf(bplist([[0xaf, 0x13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]]))).toMatch(/^plist-(truncated|int-range)$/);
  });

  it('binary: every prefix of a real file, and seeded byte flips, fail as PlistError or parse — never anything else', () => {
    const good = fixture('kinds.binary.plist');
    for (let n = 0; n < good.length; n++) expect(codeOf(good.subarray(0, n))).toMatch(/^plist-/);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    for (let t = 0; t < 3000; t++) {
      const b = new Uint8Array(good);
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      expect(codeOf(b)).toMatch(/^(plist-[a-z0-9-]+|no error)$/);
    }
  });

  it('binary: a container holding itself is a cycle', () => {
    expect(codeOf(bplist([[0xa1, 0]]))).toBe('plist-cycle');
    expect(codeOf(bplist([[0xd1, 1, 0], ascii('k')]))).toBe('plist-cycle');
    // An object shared by two parents is not a cycle.
    expect(parsePlist(bplist([[0xa2, 1, 1], ascii('s')]))).toEqual(['s', 's']);
  });

  it('binary: shared references cannot multiply into billions of values; nesting is bounded', () => {
    // 40 arrays, each holding the next twice: 2^40 values if expanded.
    const objs = Array.from({ length: 40 }, (_, i) => (i === 39 ? ascii('leaf') : [0xa2, i + 1, i + 1]));
    expect(codeOf(bplist(objs))).toMatch(/^plist-(too-many-objects|too-deep)$/);
    const wide = Array.from({ length: 20 }, (_, i) => (i === 19 ? ascii('leaf') : [0xaf, 0x10, 100, ...Array(100).fill(i + 1)]));
    expect(codeOf(bplist(wide))).toBe('plist-too-many-objects');
    const deep = Array.from({ length: 40 }, (_, i) => (i === 39 ? ascii('leaf') : [0xa1, i + 1]));
    expect(codeOf(bplist(deep))).toBe('plist-too-deep');
  });

  it('binary: keys, markers, integers and strings that a preferences plist never holds', () => {
    expect(codeOf(bplist([[0xd1, 1, 1], [0x10, 7]]))).toBe('plist-bad-key');
    expect(codeOf(bplist([[0xd2, 1, 1, 2, 2], ascii('k'), ascii('v')]))).toBe('plist-duplicate-key');
    expect(codeOf(bplist([[0x80, 1]]))).toBe('plist-bad-marker'); // UID
    expect(codeOf(bplist([[0xc1, 0]]))).toBe('plist-bad-marker'); // set
    expect(codeOf(bplist([[0x00]]))).toBe('plist-bad-marker'); // null
    expect(codeOf(bplist([[0x14, ...Array(16).fill(1)]]))).toBe('plist-int-range'); // 16-byte integer
    expect(codeOf(bplist([[0x13, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]]))).toBe('plist-int-range');
    expect(codeOf(bplist([[0x51, 0xe9]]))).toBe('plist-bad-string'); // non-ASCII in an ASCII string
    expect(codeOf(bplist([[0x61, 0xd8, 0x00]]))).toBe('plist-bad-string'); // lone high surrogate
    expect(codeOf(bplist([[0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]))).toBe('plist-bad-marker'); // 16-byte real
  });

  it('XML: entity definitions, unknown entities and elements, broken structure, bad values, depth', () => {
    const x = (body: string) => codeOf(`<?xml version="1.0"?><plist version="1.0">${body}</plist>`);
    expect(codeOf('<!DOCTYPE plist [<!ENTITY a "b">]><plist><string>&a;</string></plist>')).toBe('plist-xml-doctype');
    expect(x('<string>&nbsp;</string>')).toBe('plist-xml-entity');
    expect(x('<string>a & b</string>')).toBe('plist-xml-entity');
    expect(x('<string>&#xD800;</string>')).toBe('plist-xml-entity');
    expect(x('<foo/>')).toBe('plist-xml-syntax');
    expect(x('<string>a</strin>')).toBe('plist-xml-syntax');
    expect(x('<dict><string>no key</string></dict>')).toBe('plist-xml-syntax');
    expect(x('<dict><key>k</key></dict>')).toBe('plist-xml-syntax');
    expect(x('<string>a<b/></string>')).toBe('plist-xml-syntax');
    expect(codeOf('<plist><string>a</string></plist><plist/>')).toBe('plist-xml-syntax');
    expect(codeOf('<string>bare</string>')).toBe('plist-xml-syntax');
    expect(codeOf('<plist><string>unterminated')).toBe('plist-xml-syntax');
    expect(codeOf(`<plist><string ${'a="b" '.repeat(300)}>x</string></plist>`)).toBe('plist-xml-syntax');
    expect(x('<integer>12a</integer>')).toBe('plist-bad-value');
    expect(x('<integer>99999999999999999999</integer>')).toBe('plist-int-range');
    expect(x('<real>one</real>')).toBe('plist-bad-value');
    expect(x('<date>yesterday</date>')).toBe('plist-bad-value');
    expect(x('<data>!!!</data>')).toBe('plist-bad-value');
    expect(x('<dict><key>k</key><true/><key>k</key><false/></dict>')).toBe('plist-duplicate-key');
    expect(x('<array>'.repeat(40) + '</array>'.repeat(40))).toBe('plist-too-deep');
  });

  it('XML: a long run of whitespace in a tag is refused quickly, not backtracked', () => {
    // A backtracking tag regex would not return within the test timeout on this input.
    expect(codeOf(`<plist><string${' '.repeat(500_000)}x>`)).toBe('plist-xml-syntax');
    expect(codeOf(`<plist><string${' a="b"'.repeat(100_000)}`)).toBe('plist-xml-syntax');
  });
});
