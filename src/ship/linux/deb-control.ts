/**
 * DEBIAN/control (there is no DEBIAN/conffiles: the package ships no conffile, see layout.ts). Depends are what the official Node 22 linux binaries link against
 * (readelf: glibc 2.28, GLIBCXX_3.4.21 = GCC 5, libgcc_s); dpkg-shlibdeps cannot run on a cross-built
 * arm64 binary, so they are written out.
 */
export interface DebControlInput {
  version: string;
  arch: 'amd64' | 'arm64';
  /** Sum of the payload's sizes, in KiB (dpkg's Installed-Size). */
  installedSizeKiB: number;
  maintainer: string;
  summary: string;
  description: string;
}

export const DEB_DEPENDS = 'libc6 (>= 2.28), libstdc++6 (>= 5), libgcc-s1 | libgcc1';

export function debControl(i: DebControlInput): string {
  if (/[\n\r]/.test(i.summary + i.maintainer)) throw new Error('control fields must be one line');
  // Extended description: each line indented by one space, empty lines as " .".
  const long = i.description
    .trim()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l}`))
    .join('\n');
  return [
    'Package: ccfleet',
    `Version: ${i.version}`,
    `Architecture: ${i.arch}`,
    `Maintainer: ${i.maintainer}`,
    `Installed-Size: ${Math.max(1, Math.ceil(i.installedSizeKiB))}`,
    `Depends: ${DEB_DEPENDS}`,
    'Section: admin',
    'Priority: optional',
    `Description: ${i.summary}`,
    long,
    '',
  ].join('\n');
}

