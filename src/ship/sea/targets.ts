/**
 * The five single-executable targets: which official Node binary each is built from, its file name in
 * dist/ and its executable format (which decides how the blob is injected and signed).
 */
export type NodeTarget = 'linux-x64' | 'linux-arm64' | 'darwin-x64' | 'darwin-arm64' | 'win-x64';

export interface ShipTarget {
  /** `<os>-<arch>` as in the output name. */
  name: string;
  os: 'linux' | 'darwin' | 'windows';
  arch: 'x64' | 'arm64';
  /** Key in scripts/sea/node-binaries.json. */
  node: NodeTarget;
  /** File name under dist/. */
  file: string;
  format: 'elf' | 'macho' | 'pe';
}

const target = (os: ShipTarget['os'], arch: ShipTarget['arch'], node: NodeTarget, format: ShipTarget['format']): ShipTarget => ({
  name: `${os}-${arch}`,
  os,
  arch,
  node,
  file: `ccfleet-${os}-${arch}${os === 'windows' ? '.exe' : ''}`,
  format,
});

export const SHIP_TARGETS: readonly ShipTarget[] = [
  target('linux', 'x64', 'linux-x64', 'elf'),
  target('linux', 'arm64', 'linux-arm64', 'elf'),
  target('darwin', 'x64', 'darwin-x64', 'macho'),
  target('darwin', 'arm64', 'darwin-arm64', 'macho'),
  target('windows', 'x64', 'win-x64', 'pe'),
];

/**
 * Targets named in a comma-separated list (`linux-x64,darwin-arm64`; the Node name `win-x64` and the
 * output file name are accepted too), in build order; all of them for an absent or empty list.
 */
export function parseTargets(list: string | undefined): ShipTarget[] {
  const names = (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return [...SHIP_TARGETS];
  const wanted = new Set<ShipTarget>();
  for (const n of names) {
    const t = SHIP_TARGETS.find((x) => x.name === n || x.node === n || x.file === n);
    if (!t) throw new Error(`unknown target "${n}" (known: ${SHIP_TARGETS.map((x) => x.name).join(', ')})`);
    wanted.add(t);
  }
  return SHIP_TARGETS.filter((t) => wanted.has(t));
}

/** The target this machine runs natively, if it is one of the five. */
export function hostTarget(platform: string, arch: string): ShipTarget | undefined {
  const os = platform === 'win32' ? 'windows' : platform;
  return SHIP_TARGETS.find((t) => t.os === os && t.arch === arch);
}
