/**
 * Parses a thin 64-bit little-endian Mach-O (x86_64, arm64): header, load commands, segments and the
 * LC_CODE_SIGNATURE command. Offsets are relative to the start of `bin` (for a fat slice, pass the
 * slice's subarray). Nothing is copied.
 */
import { cString, need, u32le, u64le } from './bytes.js';
import {
  LC_CODE_SIGNATURE,
  LC_SEGMENT_64,
  MACH_HEADER_64_SIZE,
  MH_CIGAM,
  MH_CIGAM_64,
  MH_MAGIC,
  MH_MAGIC_64,
  SECTION_64_SIZE,
  SEGMENT_COMMAND_64_SIZE,
} from './constants.js';
import { MachoError } from './errors.js';

export interface LoadCommand {
  cmd: number;
  /** File offset of the command. */
  offset: number;
  size: number;
}

export interface Segment {
  name: string;
  /** File offset of the LC_SEGMENT_64 command (for rewriting vmsize/filesize). */
  cmdOffset: number;
  vmaddr: number;
  vmsize: number;
  fileoff: number;
  filesize: number;
}

export interface CodeSignatureCommand {
  /** File offset of the LC_CODE_SIGNATURE command. */
  cmdOffset: number;
  dataoff: number;
  datasize: number;
}

export interface MachO64 {
  cputype: number;
  cpusubtype: number;
  filetype: number;
  ncmds: number;
  sizeofcmds: number;
  commands: LoadCommand[];
  segments: Segment[];
  text?: Segment;
  linkedit?: Segment;
  codeSignature?: CodeSignatureCommand;
  /** First byte after the load commands. */
  loadCommandsEnd: number;
  /** Lowest file offset of any section's data (the load commands may grow up to here). */
  firstSectionOffset: number;
}

export function isThinMachO64(bin: Uint8Array): boolean {
  return bin.byteLength >= 4 && u32le(bin, 0) === MH_MAGIC_64;
}

export function parseMachO64(bin: Uint8Array): MachO64 {
  need(bin, 0, 4, 'Mach-O magic');
  const magic = u32le(bin, 0);
  if (magic === MH_MAGIC || magic === MH_CIGAM_64 || magic === MH_CIGAM) {
    throw new MachoError('MACHO_UNSUPPORTED', 'only 64-bit little-endian Mach-O is supported');
  }
  if (magic !== MH_MAGIC_64) throw new MachoError('MACHO_NOT_MACHO', `not a Mach-O file (magic 0x${magic.toString(16)})`);
  need(bin, 0, MACH_HEADER_64_SIZE, 'Mach-O header');
  const m: MachO64 = {
    cputype: u32le(bin, 4),
    cpusubtype: u32le(bin, 8),
    filetype: u32le(bin, 12),
    ncmds: u32le(bin, 16),
    sizeofcmds: u32le(bin, 20),
    commands: [],
    segments: [],
    loadCommandsEnd: MACH_HEADER_64_SIZE + u32le(bin, 20),
    firstSectionOffset: bin.byteLength,
  };
  need(bin, MACH_HEADER_64_SIZE, m.sizeofcmds, 'load commands');
  let off = MACH_HEADER_64_SIZE;
  for (let i = 0; i < m.ncmds; i++) {
    need(bin, off, 8, `load command ${i}`);
    const cmd = u32le(bin, off);
    const size = u32le(bin, off + 4);
    if (size < 8 || size % 8 !== 0 || off + size > m.loadCommandsEnd) {
      throw new MachoError('MACHO_TRUNCATED', `load command ${i} (0x${cmd.toString(16)}) has a bad size ${size}`);
    }
    m.commands.push({ cmd, offset: off, size });
    if (cmd === LC_SEGMENT_64) readSegment(bin, off, size, m);
    if (cmd === LC_CODE_SIGNATURE) {
      if (m.codeSignature) throw new MachoError('MACHO_LAYOUT', 'two LC_CODE_SIGNATURE commands');
      m.codeSignature = { cmdOffset: off, dataoff: u32le(bin, off + 8), datasize: u32le(bin, off + 12) };
    }
    off += size;
  }
  // Appending a load command goes at the end of the last one: sizeofcmds must be exactly that end.
  if (off !== m.loadCommandsEnd) {
    throw new MachoError('MACHO_LAYOUT', `load commands end at ${off}, but sizeofcmds says ${m.loadCommandsEnd}`);
  }
  return m;
}

function readSegment(bin: Uint8Array, off: number, size: number, m: MachO64): void {
  if (size < SEGMENT_COMMAND_64_SIZE) throw new MachoError('MACHO_TRUNCATED', `segment command at ${off} too small`);
  const seg: Segment = {
    name: cString(bin, off + 8, off + 24),
    cmdOffset: off,
    vmaddr: u64le(bin, off + 24),
    vmsize: u64le(bin, off + 32),
    fileoff: u64le(bin, off + 40),
    filesize: u64le(bin, off + 48),
  };
  const nsects = u32le(bin, off + 64);
  if (SEGMENT_COMMAND_64_SIZE + nsects * SECTION_64_SIZE > size) {
    throw new MachoError('MACHO_TRUNCATED', `segment ${seg.name} lists ${nsects} sections that do not fit`);
  }
  for (let s = 0; s < nsects; s++) {
    const sect = off + SEGMENT_COMMAND_64_SIZE + s * SECTION_64_SIZE;
    const sectSize = u64le(bin, sect + 40);
    const sectOff = u32le(bin, sect + 48);
    // Zero-fill sections have no file data (offset 0).
    if (sectOff !== 0 && sectSize > 0) m.firstSectionOffset = Math.min(m.firstSectionOffset, sectOff);
  }
  m.segments.push(seg);
  if (seg.name === '__TEXT') m.text = seg;
  if (seg.name === '__LINKEDIT') m.linkedit = seg;
}
