/**
 * Ad-hoc code signing of Mach-O executables, written for shipping the SEA binaries: postject's
 * injection invalidates (and drops) Apple's signature, and macOS on arm64 kills an unsigned binary.
 *
 *   adhocSign(bin, identifier) → a new file whose every slice carries the signature `codesign -s - -i
 *   <identifier>` writes: a SuperBlob with a version 0x20400 CodeDirectory (flags CS_ADHOC, SHA-256
 *   hashes of 4096-byte pages over everything before the signature, exec segment = __TEXT with
 *   CS_EXECSEG_MAIN_BINARY for an executable, special slots −1 (no Info.plist: zeros) and −2 (the
 *   requirements blob)), an empty requirement set, and an empty CMS wrapper. No hardened runtime, no
 *   entitlements, no team id. Any existing signature (Developer ID or ad-hoc) is replaced.
 *
 * Plain ad-hoc, not `linker-signed` (0x20002, what ld64 and Go's linker write): linker-signed marks a
 * placeholder the toolchain is expected to replace, carries no requirement set, and is what Node's SEA
 * documentation does not do — it tells users to run `codesign --sign -`, which writes exactly this form.
 *
 * Signing is deterministic and idempotent: signing a signed output again returns identical bytes.
 * Throws MachoError for input it cannot sign (not Mach-O, 32-bit, no __LINKEDIT, data after the
 * signature, no header room for LC_CODE_SIGNATURE).
 */
import { view } from './bytes.js';
import { buildCodeDirectory } from './code-directory.js';
import {
  CODE_DIRECTORY_20400_SIZE,
  CSMAGIC_BLOBWRAPPER,
  CSMAGIC_REQUIREMENTS,
  CSSLOT_CODEDIRECTORY,
  CSSLOT_REQUIREMENTS,
  CSSLOT_SIGNATURESLOT,
  CS_ADHOC,
  CS_EXECSEG_MAIN_BINARY,
  CS_HASHTYPE_SHA256,
  LC_CODE_SIGNATURE,
  LINKEDIT_DATA_COMMAND_SIZE,
  MH_EXECUTE,
  PAGE_SIZE_BITS,
} from './constants.js';
import { MachoError } from './errors.js';
import { buildFat, isFat, parseFat, sliceOf } from './fat.js';
import { digest, hashPages } from './hashes.js';
import { parseMachO64, type MachO64 } from './parse-macho.js';
import { codeLimitOf, planLayout, type SignatureLayout } from './signature-layout.js';
import { makeBlob, superBlobSize, writeSuperBlob } from './superblob.js';

export { verifyAdhoc, verifySignature } from './verify.js';

const SHA256_SIZE = 32;

export function adhocSign(bin: Uint8Array, identifier: string): Uint8Array {
  if (!/^[\x21-\x7e]{1,255}$/.test(identifier)) {
    throw new MachoError('MACHO_USAGE', 'the identifier must be 1-255 printable ASCII characters without spaces');
  }
  if (isFat(bin)) {
    const fat = parseFat(bin);
    return buildFat(fat.is64, fat.arches.map((arch) => ({ arch, data: signThin(sliceOf(bin, arch), identifier) })));
  }
  return signThin(bin, identifier);
}

function signThin(bin: Uint8Array, identifier: string): Uint8Array {
  const m = parseMachO64(bin);
  const { sigOff, addCommand } = codeLimitOf(m, bin);
  const requirements = makeBlob(CSMAGIC_REQUIREMENTS, new Uint8Array(4)); // a set of 0 requirements
  const cms = makeBlob(CSMAGIC_BLOBWRAPPER); // empty: ad-hoc
  const nCodeSlots = Math.ceil(sigOff / 2 ** PAGE_SIZE_BITS);
  const cdLength = CODE_DIRECTORY_20400_SIZE + identifier.length + 1 + 2 * SHA256_SIZE + nCodeSlots * SHA256_SIZE;
  const sbLength = superBlobSize([{ bytes: new Uint8Array(cdLength) }, { bytes: requirements }, { bytes: cms }]);
  const layout = planLayout(m, sigOff, addCommand, sbLength);

  const out = new Uint8Array(sigOff + layout.sigSize);
  out.set(bin.subarray(0, Math.min(sigOff, bin.byteLength)));
  patchHeaders(out, m, layout);
  // Hash after patching: page 0 holds the load commands the kernel will read.
  const cd = buildCodeDirectory({
    flags: CS_ADHOC,
    identifier,
    hashType: CS_HASHTYPE_SHA256,
    hashSize: SHA256_SIZE,
    pageSizeLog2: PAGE_SIZE_BITS,
    codeLimit: sigOff,
    execSegBase: m.text!.fileoff,
    execSegLimit: m.text!.filesize,
    execSegFlags: m.filetype === MH_EXECUTE ? CS_EXECSEG_MAIN_BINARY : 0,
    specialSlots: [new Uint8Array(SHA256_SIZE), digest(CS_HASHTYPE_SHA256, requirements)],
    codeSlots: hashPages(out, sigOff, 2 ** PAGE_SIZE_BITS, CS_HASHTYPE_SHA256),
  });
  if (cd.byteLength !== cdLength) throw new Error(`CodeDirectory is ${cd.byteLength} bytes, planned ${cdLength}`);
  writeSuperBlob(out, sigOff, [
    { slot: CSSLOT_CODEDIRECTORY, bytes: cd },
    { slot: CSSLOT_REQUIREMENTS, bytes: requirements },
    { slot: CSSLOT_SIGNATURESLOT, bytes: cms },
  ]);
  return out;
}

function patchHeaders(out: Uint8Array, m: MachO64, layout: SignatureLayout): void {
  const v = view(out);
  let csCmd = m.codeSignature?.cmdOffset;
  if (layout.addCommand) {
    csCmd = m.loadCommandsEnd;
    v.setUint32(16, m.ncmds + 1, true);
    v.setUint32(20, m.sizeofcmds + LINKEDIT_DATA_COMMAND_SIZE, true);
    v.setUint32(csCmd, LC_CODE_SIGNATURE, true);
    v.setUint32(csCmd + 4, LINKEDIT_DATA_COMMAND_SIZE, true);
  }
  v.setUint32(csCmd! + 8, layout.sigOff, true);
  v.setUint32(csCmd! + 12, layout.sigSize, true);
  const le = m.linkedit!.cmdOffset;
  v.setBigUint64(le + 32, BigInt(layout.linkeditVmsize), true);
  v.setBigUint64(le + 48, BigInt(layout.linkeditFilesize), true);
}
