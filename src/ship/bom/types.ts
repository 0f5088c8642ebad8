/**
 * One path of a BOM, as `lsbom` shows it. Paths are relative to the install root and spelled the way
 * flat packages spell them: "." for the root, "./Library/LaunchDaemons/x.plist" below it. Every parent
 * folder of an entry must itself be an entry (the Paths tree stores one node per path component).
 */
export type BomEntryType = 'file' | 'dir' | 'symlink';

export interface BomEntry {
  path: string;
  type: BomEntryType;
  /** Permission bits (07777); the file-type bits are derived from `type`. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch (u32). */
  mtime: number;
  /** Content length for files, target length for symlinks, 0 for folders. */
  size: number;
  /** POSIX cksum of the content (files) or of the target string (symlinks); 0 for folders. */
  checksum: number;
  /** Symlink target (symlinks only). */
  target?: string;
}

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export const TYPE_BITS: Record<BomEntryType, number> = { file: S_IFREG, dir: S_IFDIR, symlink: S_IFLNK };
/** Entry type byte of a BOM path-info block. */
export const TYPE_CODE: Record<BomEntryType, number> = { file: 1, dir: 2, symlink: 3 };

/** Names of the five variables a package BOM carries. */
export const BOM_VARS = ['BomInfo', 'Paths', 'HLIndex', 'VIndex', 'Size64'] as const;
