/** Human names for CPU types and CodeDirectory flags (reports only). */
import { CPU_TYPE_ARM64, CPU_TYPE_X86_64 } from './constants.js';

export function archName(cputype: number): string {
  if (cputype === CPU_TYPE_X86_64) return 'x86_64';
  if (cputype === CPU_TYPE_ARM64) return 'arm64';
  return `cpu 0x${cputype.toString(16)}`;
}

const FLAG_NAMES: [number, string][] = [
  [0x1, 'valid'],
  [0x2, 'adhoc'],
  [0x4, 'get-task-allow'],
  [0x100, 'hard'],
  [0x200, 'kill'],
  [0x400, 'check-expiration'],
  [0x800, 'restrict'],
  [0x1000, 'enforcement'],
  [0x2000, 'library-validation'],
  [0x10000, 'runtime'],
  [0x20000, 'linker-signed'],
];

/** e.g. `0x10000(runtime)`, the way `codesign -d` prints them. */
export function describeFlags(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
  return `0x${flags.toString(16)}(${names.join(',') || 'none'})`;
}
