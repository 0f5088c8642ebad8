/**
 * Checks the embedded code signature of a Mach-O (thin or fat) the way the kernel and `codesign
 * --verify` check its integrity: every CodeDirectory's page hashes against the file, the special slots
 * we can recompute (requirements, entitlements), the code limit, the exec segment, and the layout
 * (signature last in __LINKEDIT, nothing after it). A bad signature is a verdict, never a throw; only
 * input that is no Mach-O at all throws (MachoError).
 *
 * Not checked: the CMS signature's cryptography and certificate chain (a Developer ID signature is
 * reported with its CMS size and whether the CMS names our cdhash), and requirements' semantics.
 */
import { equalBytes, hex } from './bytes.js';
import { codeSlot, parseCodeDirectory, specialSlot, type CodeDirectory } from './code-directory.js';
import {
  CSMAGIC_BLOBWRAPPER,
  CSMAGIC_CODEDIRECTORY,
  CSSLOT_ALTERNATE_CODEDIRECTORIES,
  CSSLOT_ALTERNATE_CODEDIRECTORY_LIMIT,
  CSSLOT_CODEDIRECTORY,
  CSSLOT_SIGNATURESLOT,
  CS_ADHOC,
  CS_EXECSEG_MAIN_BINARY,
  CS_SUPPORTSEXECSEG,
  MH_EXECUTE,
} from './constants.js';
import { MachoError } from './errors.js';
import { isFat, parseFat, sliceOf } from './fat.js';
import { describeFlags, archName } from './names.js';
import { digest, hashTypeInfo } from './hashes.js';
import { parseMachO64, type MachO64 } from './parse-macho.js';
import { parseSuperBlob, type SuperBlob } from './superblob.js';

export interface Problem {
  code: string;
  message: string;
}

export type SpecialSlotState = 'ok' | 'absent' | 'mismatch' | 'unverifiable';

export interface CodeDirectoryReport {
  slot: number;
  version: string;
  flags: number;
  /** e.g. `0x10000(runtime)`. */
  flagNames: string;
  identifier: string;
  teamId?: string;
  hashType: string;
  pageSize: number;
  codeLimit: number;
  nCodeSlots: number;
  nSpecialSlots: number;
  execSeg?: { base: number; limit: number; flags: number };
  runtime?: string;
  /** The cdhash: this CodeDirectory's digest, truncated to 20 bytes (what a `cdhash H"…"` requirement names). */
  cdhash: string;
  pagesChecked: number;
  /** Indexes of pages whose hash does not match (at most the first 20). */
  mismatchedPages: number[];
  specialSlots: { slot: number; state: SpecialSlotState }[];
}

export interface SliceReport {
  arch: string;
  /** Offset of the slice in the file (0 for a thin file). */
  offset: number;
  ok: boolean;
  problems: Problem[];
  signature?: { offset: number; size: number; superBlobLength: number };
  codeDirectories: CodeDirectoryReport[];
  /** The CMS blob wrapper: absent, empty (ad-hoc) or a CMS of `size` bytes. */
  cms: { state: 'absent' | 'empty' | 'present'; size: number; namesCdhash?: boolean };
}

export interface VerifyReport {
  ok: boolean;
  fat: boolean;
  slices: SliceReport[];
}

const MAX_REPORTED_PAGES = 20;

/** Verifies every slice; `ok` only when every slice is signed and intact. */
export function verifySignature(bin: Uint8Array): VerifyReport {
  if (isFat(bin)) {
    const fat = parseFat(bin);
    const slices = fat.arches.map((a) => verifySlice(sliceOf(bin, a), a.offset));
    return { ok: slices.length > 0 && slices.every((s) => s.ok), fat: true, slices };
  }
  const slice = verifySlice(bin, 0);
  return { ok: slice.ok, fat: false, slices: [slice] };
}

/** verifySignature, and each slice must carry an ad-hoc signature (CS_ADHOC, no CMS content). */
export function verifyAdhoc(bin: Uint8Array): VerifyReport {
  const report = verifySignature(bin);
  for (const s of report.slices) {
    const cd = s.codeDirectories[0];
    if (cd && (cd.flags & CS_ADHOC) === 0) s.problems.push({ code: 'NOT_ADHOC', message: `CodeDirectory flags ${cd.flagNames} lack adhoc` });
    if (s.cms.state === 'present') s.problems.push({ code: 'CMS_PRESENT', message: `a ${s.cms.size}-byte CMS signature is present` });
    s.ok = s.problems.length === 0;
  }
  report.ok = report.slices.length > 0 && report.slices.every((s) => s.ok);
  return report;
}

function verifySlice(bin: Uint8Array, offset: number): SliceReport {
  const m = parseMachO64(bin);
  const report: SliceReport = { arch: archName(m.cputype), offset, ok: false, problems: [], codeDirectories: [], cms: { state: 'absent', size: 0 } };
  const problem = (code: string, message: string): void => void report.problems.push({ code, message });
  const cs = m.codeSignature;
  if (!cs) {
    problem('NOT_SIGNED', 'no LC_CODE_SIGNATURE load command');
    return report;
  }
  if (cs.dataoff + cs.datasize > bin.byteLength) {
    problem('SIGNATURE_OUT_OF_FILE', `signature ${cs.dataoff}+${cs.datasize} runs past the end of the file (${bin.byteLength})`);
    return report;
  }
  checkLayout(m, bin.byteLength, problem);
  let sb: SuperBlob;
  try {
    sb = parseSuperBlob(bin.subarray(cs.dataoff, cs.dataoff + cs.datasize));
  } catch (e) {
    if (!(e instanceof MachoError)) throw e;
    problem('SUPERBLOB_INVALID', e.message);
    return report;
  }
  report.signature = { offset: cs.dataoff, size: cs.datasize, superBlobLength: sb.length };
  const cdBlobs = sb.blobs.filter(
    (b) => b.slot === CSSLOT_CODEDIRECTORY || (b.slot >= CSSLOT_ALTERNATE_CODEDIRECTORIES && b.slot < CSSLOT_ALTERNATE_CODEDIRECTORIES + CSSLOT_ALTERNATE_CODEDIRECTORY_LIMIT),
  );
  if (!cdBlobs.some((b) => b.slot === CSSLOT_CODEDIRECTORY)) problem('NO_CODE_DIRECTORY', 'the SuperBlob has no CodeDirectory in slot 0');
  const cds: CodeDirectory[] = [];
  for (const b of cdBlobs) {
    if (b.magic !== CSMAGIC_CODEDIRECTORY) {
      problem('CODE_DIRECTORY_INVALID', `slot 0x${b.slot.toString(16)} holds magic 0x${b.magic.toString(16)}`);
      continue;
    }
    try {
      const cd = parseCodeDirectory(b.bytes);
      cds.push(cd);
      report.codeDirectories.push(checkCodeDirectory(bin, m, sb, b.slot, cd, problem));
    } catch (e) {
      if (!(e instanceof MachoError)) throw e;
      problem('CODE_DIRECTORY_INVALID', `slot 0x${b.slot.toString(16)}: ${e.message}`);
    }
  }
  if (cds.some((cd) => cd.identifier !== cds[0]!.identifier)) problem('IDENTIFIER_MISMATCH', 'the CodeDirectories name different identifiers');
  report.cms = cmsState(sb, report.codeDirectories, problem);
  report.ok = report.problems.length === 0;
  return report;
}

function checkLayout(m: MachO64, fileSize: number, problem: (code: string, message: string) => void): void {
  const cs = m.codeSignature!;
  const le = m.linkedit;
  if (!le) return problem('NO_LINKEDIT', 'no __LINKEDIT segment');
  const leEnd = le.fileoff + le.filesize;
  if (cs.dataoff < le.fileoff || cs.dataoff + cs.datasize > leEnd) {
    problem('SIGNATURE_NOT_IN_LINKEDIT', `signature ${cs.dataoff}+${cs.datasize} lies outside __LINKEDIT ${le.fileoff}+${le.filesize}`);
  }
  if (cs.dataoff + cs.datasize !== leEnd) problem('SIGNATURE_NOT_LAST', `signature ends at ${cs.dataoff + cs.datasize}, __LINKEDIT at ${leEnd}`);
  if (leEnd !== fileSize) problem('TRAILING_DATA', `__LINKEDIT ends at ${leEnd} but the file is ${fileSize} bytes`);
  if (m.segments.some((s) => s !== le && s.fileoff + s.filesize > le.fileoff && s.filesize > 0)) {
    problem('SEGMENT_AFTER_LINKEDIT', 'a segment has file data after the start of __LINKEDIT');
  }
}

function checkCodeDirectory(
  bin: Uint8Array,
  m: MachO64,
  sb: SuperBlob,
  slot: number,
  cd: CodeDirectory,
  problem: (code: string, message: string) => void,
): CodeDirectoryReport {
  const where = `CodeDirectory 0x${slot.toString(16)}`;
  const info = hashTypeInfo(cd.hashType);
  const pageSize = cd.pageSizeLog2 === 0 ? 0 : 2 ** cd.pageSizeLog2;
  const r: CodeDirectoryReport = {
    slot,
    version: `0x${cd.version.toString(16)}`,
    flags: cd.flags,
    flagNames: describeFlags(cd.flags),
    identifier: cd.identifier,
    hashType: info?.name ?? `unknown(${cd.hashType})`,
    pageSize,
    codeLimit: cd.codeLimit,
    nCodeSlots: cd.nCodeSlots,
    nSpecialSlots: cd.nSpecialSlots,
    cdhash: '',
    pagesChecked: 0,
    mismatchedPages: [],
    specialSlots: [],
  };
  if (cd.teamId !== undefined) r.teamId = cd.teamId;
  if (cd.runtime !== undefined) r.runtime = `0x${cd.runtime.toString(16)}`;
  if (!info || info.size !== cd.hashSize) {
    problem('HASH_TYPE_UNKNOWN', `${where}: hash type ${cd.hashType} with size ${cd.hashSize}`);
    return r;
  }
  r.cdhash = hex(digest(cd.hashType, cd.bytes).subarray(0, 20));
  const cs = m.codeSignature!;
  if (cd.codeLimit !== cs.dataoff) problem('CODE_LIMIT', `${where}: code limit ${cd.codeLimit} is not the signature offset ${cs.dataoff}`);
  const expectedSlots = pageSize === 0 ? 1 : Math.ceil(cd.codeLimit / pageSize);
  if (cd.nCodeSlots !== expectedSlots) problem('SLOT_COUNT', `${where}: ${cd.nCodeSlots} code slots for ${expectedSlots} pages`);
  const limit = Math.min(cd.codeLimit, bin.byteLength);
  const step = pageSize === 0 ? limit : pageSize;
  for (let i = 0; i < cd.nCodeSlots && i * step < limit; i++) {
    const page = bin.subarray(i * step, Math.min((i + 1) * step, limit));
    r.pagesChecked++;
    if (!equalBytes(digest(cd.hashType, page), codeSlot(cd, i)) && r.mismatchedPages.push(i) >= MAX_REPORTED_PAGES) break;
  }
  if (r.mismatchedPages.length > 0) {
    problem('PAGE_MISMATCH', `${where}: page${r.mismatchedPages.length > 1 ? 's' : ''} ${r.mismatchedPages.join(', ')} (of ${cd.nCodeSlots}, ${step} bytes each) do not match`);
  }
  for (let k = 1; k <= cd.nSpecialSlots; k++) {
    const stored = specialSlot(cd, k);
    const blob = sb.blobs.find((b) => b.slot === k);
    let state: SpecialSlotState;
    if (blob) state = equalBytes(digest(cd.hashType, blob.bytes), stored) ? 'ok' : 'mismatch';
    else state = stored.every((x) => x === 0) ? 'absent' : 'unverifiable';
    r.specialSlots.push({ slot: k, state });
    if (state === 'mismatch') problem('SPECIAL_SLOT_MISMATCH', `${where}: special slot ${k} does not match its blob`);
    // Slots 1 (Info.plist) and 3 (resources) hash files outside a bare binary: it must have none.
    if (state === 'unverifiable') problem('SPECIAL_SLOT_UNVERIFIABLE', `${where}: special slot ${k} names data outside the binary`);
  }
  if (cd.version >= CS_SUPPORTSEXECSEG) {
    r.execSeg = { base: cd.execSegBase!, limit: cd.execSegLimit!, flags: cd.execSegFlags! };
    const text = m.text;
    if (!text || text.fileoff !== r.execSeg.base || text.filesize !== r.execSeg.limit) {
      problem('EXEC_SEGMENT', `${where}: exec segment ${r.execSeg.base}+${r.execSeg.limit} is not __TEXT ${text ? `${text.fileoff}+${text.filesize}` : '(none)'}`);
    }
    const main = (r.execSeg.flags & CS_EXECSEG_MAIN_BINARY) !== 0;
    if (main !== (m.filetype === MH_EXECUTE)) problem('EXEC_SEGMENT', `${where}: main-binary flag ${main} for file type ${m.filetype}`);
  }
  return r;
}

function cmsState(sb: SuperBlob, cds: CodeDirectoryReport[], problem: (code: string, message: string) => void): SliceReport['cms'] {
  const wrapper = sb.blobs.find((b) => b.slot === CSSLOT_SIGNATURESLOT);
  if (!wrapper) return { state: 'absent', size: 0 };
  if (wrapper.magic !== CSMAGIC_BLOBWRAPPER) {
    problem('CMS_INVALID', `signature slot holds magic 0x${wrapper.magic.toString(16)}`);
    return { state: 'absent', size: 0 };
  }
  const cms = wrapper.bytes.subarray(8);
  if (cms.byteLength === 0) return { state: 'empty', size: 0 };
  // The signed attributes carry the cdhashes (plist attribute: base64 of each truncated cdhash).
  const text = Buffer.from(cms.buffer, cms.byteOffset, cms.byteLength).toString('latin1');
  const namesCdhash = cds.length > 0 && cds.every((cd) => cd.cdhash !== '' && text.includes(Buffer.from(cd.cdhash, 'hex').toString('base64')));
  const adhoc = ((cds[0]?.flags ?? 0) & CS_ADHOC) !== 0;
  if (adhoc) problem('CMS_WITH_ADHOC', 'an ad-hoc CodeDirectory with a non-empty CMS signature');
  return { state: 'present', size: cms.byteLength, namesCdhash };
}
