/**
 * What the macOS component package installs, as an in-memory list shared by the Payload (cpio) and the
 * Bom writers so the two always describe the same tree. Install location "/".
 *
 * Folders that already exist on every Mac carry the owner and mode macOS gives them (/ and /Library and
 * /Library/LaunchDaemons root:wheel 0755, /Library/Application Support root:admin 0755), so nothing
 * the Installer records differs from the system; ours are root:wheel 0755. The two executables go to
 * libexec/; postinstall copies the one for this Mac to bin/ccfleet.
 */
import type { CpioEntry } from '../cpio/write.js';

export const PACKAGE_ID = 'com.ccfleet.agent';
export const APP_DIR = '/Library/Application Support/ccfleet';
export const LIBEXEC_DIR = `${APP_DIR}/libexec`;
export const UNINSTALL_SCRIPT = `${APP_DIR}/uninstall.sh`;
export const ARCHES = ['x64', 'arm64'] as const;
export type DarwinArch = (typeof ARCHES)[number];

const ROOT = 0;
const WHEEL = 0;
const ADMIN = 80;

export interface PayloadInput {
  binaries: Record<DarwinArch, Uint8Array>;
  launchdPlist: string;
  uninstallScript: string;
  /** mtime of every entry (seconds): the build's SOURCE_DATE_EPOCH or now. */
  mtime: number;
}

export function macosPayload(input: PayloadInput): CpioEntry[] {
  const enc = new TextEncoder();
  const dir = (path: string, gid = WHEEL): CpioEntry => ({ path, type: 'dir', mode: 0o755, uid: ROOT, gid, mtime: input.mtime });
  const file = (path: string, mode: number, data: Uint8Array): CpioEntry => ({ path, type: 'file', mode, uid: ROOT, gid: WHEEL, mtime: input.mtime, data });
  const app = `.${APP_DIR}`;
  return [
    dir('.'),
    dir('./Library'),
    dir('./Library/Application Support', ADMIN),
    dir(app),
    file(`${app}/uninstall.sh`, 0o755, enc.encode(input.uninstallScript)),
    dir(`${app}/libexec`),
    ...ARCHES.map((a) => file(`${app}/libexec/ccfleet-darwin-${a}`, 0o755, input.binaries[a])),
    dir('./Library/LaunchDaemons'),
    file('./Library/LaunchDaemons/com.ccfleet.agent.plist', 0o644, enc.encode(input.launchdPlist)),
  ];
}
