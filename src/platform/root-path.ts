/**
 * Maps a machine path to where it lives on this host: itself without `--root`, or under the root.
 * POSIX: `/home/a` → `<root>/home/a`. Windows: `C:\Users\a` → `<root>/Users/a`, `D:\x` → `<root>/D/x`.
 * Pure string work so it can be tested for every OS on every host.
 */
import type { PlatformName } from './types.js';

export function toHostPath(root: string | null, platform: PlatformName, machinePath: string, hostSep = '/'): string {
  if (root === null) return machinePath;
  const base = root.replace(/[\\/]+$/, '');
  if (platform === 'windows') {
    const m = /^([A-Za-z]):[\\/]*(.*)$/.exec(machinePath);
    const drive = m ? m[1]!.toUpperCase() : 'C';
    const rest = (m ? m[2]! : machinePath.replace(/^[\\/]+/, '')).split(/[\\/]+/).filter(Boolean);
    const parts = drive === 'C' ? rest : [drive, ...rest];
    return [base, ...parts].join(hostSep);
  }
  // Fast path for the common case (called for every file of a machine): an already-clean absolute path.
  if (hostSep === '/' && machinePath.startsWith('/') && !machinePath.endsWith('/') && !machinePath.includes('//')) return base + machinePath;
  const rest = machinePath.split('/').filter(Boolean);
  return [base, ...rest].join(hostSep);
}
