/**
 * package.json's semver as each package format wants it. A pre-release sorts before its release in both
 * dpkg and rpm only with "~" ("1.0.0~rc.1" < "1.0.0"), and rpm forbids "-" in a version.
 */
export interface LinuxVersions {
  /** As given (tar.gz names). */
  semver: string;
  deb: string;
  rpm: string;
  rpmRelease: string;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export function linuxVersions(semver: string, rpmRelease = '1'): LinuxVersions {
  const m = SEMVER.exec(semver);
  if (!m) throw new Error(`version ${JSON.stringify(semver)} is not semver (x.y.z[-pre][+build])`);
  if (!/^[0-9][0-9A-Za-z.]*$/.test(rpmRelease)) throw new Error(`rpm release ${JSON.stringify(rpmRelease)} is not usable`);
  const core = `${m[1]}.${m[2]}.${m[3]}`;
  const pre = m[4] ? `~${m[4].slice(1).replace(/-/g, '.')}` : '';
  const build = m[5] ? `+${m[5].slice(1).replace(/-/g, '.')}` : '';
  return { semver, deb: `${core}${pre}${build}`, rpm: `${core}${pre}${build}`, rpmRelease };
}

/** Debian and RPM names of the two Linux targets. */
export const LINUX_ARCHES = {
  x64: { deb: 'amd64', rpm: 'x86_64' },
  arm64: { deb: 'arm64', rpm: 'aarch64' },
} as const;
export type LinuxArch = keyof typeof LINUX_ARCHES;
