/**
 * Numbers from Apple's public headers: <mach-o/loader.h>, <mach-o/fat.h> and xnu's
 * osfmk/kern/cs_blobs.h. Mach-O headers are little-endian on every target we ship (x86_64, arm64);
 * fat headers and every code-signing structure are big-endian.
 */

export const MH_MAGIC_64 = 0xfeedfacf;
export const MH_CIGAM_64 = 0xcffaedfe;
export const MH_MAGIC = 0xfeedface;
export const MH_CIGAM = 0xcefaedfe;
export const FAT_MAGIC = 0xcafebabe;
export const FAT_MAGIC_64 = 0xcafebabf;

export const MH_EXECUTE = 0x2;
export const MACH_HEADER_64_SIZE = 32;

export const LC_SEGMENT_64 = 0x19;
export const LC_CODE_SIGNATURE = 0x1d;
export const SEGMENT_COMMAND_64_SIZE = 72;
export const SECTION_64_SIZE = 80;
export const LINKEDIT_DATA_COMMAND_SIZE = 16;

export const CPU_TYPE_X86_64 = 0x01000007;
export const CPU_TYPE_ARM64 = 0x0100000c;

// Blob magics.
export const CSMAGIC_REQUIREMENT = 0xfade0c00;
export const CSMAGIC_REQUIREMENTS = 0xfade0c01;
export const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
export const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
export const CSMAGIC_EMBEDDED_ENTITLEMENTS = 0xfade7171;
export const CSMAGIC_EMBEDDED_DER_ENTITLEMENTS = 0xfade7172;
export const CSMAGIC_BLOBWRAPPER = 0xfade0b01;

// SuperBlob slot types. Special slots 1..7 are also the negative indexes of the CodeDirectory's
// special hash slots.
export const CSSLOT_CODEDIRECTORY = 0;
export const CSSLOT_INFOSLOT = 1;
export const CSSLOT_REQUIREMENTS = 2;
export const CSSLOT_RESOURCEDIR = 3;
export const CSSLOT_APPLICATION = 4;
export const CSSLOT_ENTITLEMENTS = 5;
export const CSSLOT_DER_ENTITLEMENTS = 7;
export const CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000;
export const CSSLOT_ALTERNATE_CODEDIRECTORY_LIMIT = 5;
export const CSSLOT_SIGNATURESLOT = 0x10000;

export const CS_HASHTYPE_SHA1 = 1;
export const CS_HASHTYPE_SHA256 = 2;
export const CS_HASHTYPE_SHA256_TRUNCATED = 3;
export const CS_HASHTYPE_SHA384 = 4;

// CodeDirectory flags.
export const CS_ADHOC = 0x2;
export const CS_HARD = 0x100;
export const CS_KILL = 0x200;
export const CS_RESTRICT = 0x800;
export const CS_ENFORCEMENT = 0x1000;
export const CS_REQUIRE_LV = 0x2000;
export const CS_RUNTIME = 0x10000;
export const CS_LINKER_SIGNED = 0x20000;

// CodeDirectory versions that introduced the fields we read.
export const CS_SUPPORTSSCATTER = 0x20100;
export const CS_SUPPORTSTEAMID = 0x20200;
export const CS_SUPPORTSCODELIMIT64 = 0x20300;
export const CS_SUPPORTSEXECSEG = 0x20400;
export const CS_SUPPORTSRUNTIME = 0x20500;

export const CS_EXECSEG_MAIN_BINARY = 0x1;

/** The fixed part of a version 0x20400 CodeDirectory (everything before the identifier). */
export const CODE_DIRECTORY_20400_SIZE = 88;
export const PAGE_SIZE_BITS = 12;
