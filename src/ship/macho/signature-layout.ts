/**
 * Where a new embedded signature goes in a thin Mach-O, as data (no bytes are touched here).
 *
 * The signature is the last thing in the file and in __LINKEDIT. An existing signature is replaced in
 * place: code ends at its `dataoff`, and the new one may be smaller or larger (__LINKEDIT's filesize
 * and vmsize follow). Without one (postject's LIEF drops LC_CODE_SIGNATURE when it injects), the
 * signature goes after __LINKEDIT's data at a 16-byte boundary, as codesign_allocate places it, and a
 * 16-byte LC_CODE_SIGNATURE is appended to the load commands — which needs that much zeroed header
 * padding before the first section.
 */
import { alignUp } from './bytes.js';
import { CPU_TYPE_ARM64, LINKEDIT_DATA_COMMAND_SIZE } from './constants.js';
import { MachoError } from './errors.js';
import type { MachO64 } from './parse-macho.js';

export interface SignatureLayout {
  /** File offset of the signature = the code limit. */
  sigOff: number;
  sigSize: number;
  /** True when LC_CODE_SIGNATURE must be appended at `m.loadCommandsEnd`. */
  addCommand: boolean;
  linkeditFilesize: number;
  linkeditVmsize: number;
}

/** Bytes before the signature that the signature covers, and whether a load command must be added. */
export function codeLimitOf(m: MachO64, bin: Uint8Array): { sigOff: number; addCommand: boolean } {
  const le = m.linkedit;
  if (!m.text) throw new MachoError('MACHO_LAYOUT', 'no __TEXT segment');
  if (!le) throw new MachoError('MACHO_LAYOUT', 'no __LINKEDIT segment');
  const leEnd = le.fileoff + le.filesize;
  const beyond = m.segments.find((s) => s.filesize > 0 && s.fileoff + s.filesize > bin.byteLength);
  if (beyond) throw new MachoError('MACHO_TRUNCATED', `segment ${beyond.name} runs past the end of the file`);
  if (m.segments.some((s) => s !== le && s.filesize > 0 && s.fileoff + s.filesize > le.fileoff)) {
    throw new MachoError('MACHO_LAYOUT', '__LINKEDIT is not the last segment in the file');
  }
  const cs = m.codeSignature;
  if (cs) {
    if (cs.dataoff < le.fileoff || cs.dataoff > leEnd) {
      throw new MachoError('MACHO_LAYOUT', `the signature at ${cs.dataoff} is not inside __LINKEDIT (${le.fileoff}..${leEnd})`);
    }
    const end = Math.max(leEnd, cs.dataoff + cs.datasize);
    if (cs.dataoff + cs.datasize < leEnd) throw new MachoError('MACHO_LAYOUT', 'data follows the signature in __LINKEDIT');
    if (bin.byteLength > end) throw new MachoError('MACHO_LAYOUT', `${bin.byteLength - end} bytes follow the signature`);
    return { sigOff: cs.dataoff, addCommand: false };
  }
  if (bin.byteLength > leEnd) throw new MachoError('MACHO_LAYOUT', `${bin.byteLength - leEnd} bytes follow __LINKEDIT`);
  const room = m.firstSectionOffset - m.loadCommandsEnd;
  const pad = bin.subarray(m.loadCommandsEnd, m.loadCommandsEnd + LINKEDIT_DATA_COMMAND_SIZE);
  if (room < LINKEDIT_DATA_COMMAND_SIZE || pad.some((x) => x !== 0)) {
    throw new MachoError('MACHO_LAYOUT', `no room for LC_CODE_SIGNATURE after the load commands (${room} bytes free)`);
  }
  return { sigOff: alignUp(leEnd, 16), addCommand: true };
}

export function planLayout(m: MachO64, sigOff: number, addCommand: boolean, superBlobLength: number): SignatureLayout {
  const le = m.linkedit!;
  // Rounded to 16 like codesign; the bytes after the SuperBlob are zero.
  const sigSize = alignUp(superBlobLength, 16);
  const linkeditFilesize = sigOff + sigSize - le.fileoff;
  // Segment sizes in memory are whole pages: 16 KiB on arm64, 4 KiB on x86_64.
  const linkeditVmsize = alignUp(linkeditFilesize, m.cputype === CPU_TYPE_ARM64 ? 0x4000 : 0x1000);
  const vmEnd = le.vmaddr + linkeditVmsize;
  if (m.segments.some((s) => s !== le && s.vmsize > 0 && s.vmaddr >= le.vmaddr && s.vmaddr < vmEnd)) {
    throw new MachoError('MACHO_LAYOUT', 'a grown __LINKEDIT would overlap the next segment in memory');
  }
  return { sigOff, sigSize, addCommand, linkeditFilesize, linkeditVmsize };
}
