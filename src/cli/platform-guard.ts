/**
 * `--platform` names another OS's conventions; without `--root` they would be applied to this machine's
 * real filesystem (a `--platform darwin` repair on Linux would create `/Library/...`). So a platform that
 * is not this host's (linux and wsl share paths) needs `--root`: otherwise a USAGE error, nothing read.
 */
import os from 'node:os';
import { CcfleetError } from '../core/errors.js';
import { detectPlatform } from '../platform/detect.js';
import type { CommonOptions } from './args.js';

const family = (p: string) => (p === 'wsl' ? 'linux' : p);

export function guardForeignPlatform(opts: CommonOptions, host = { platform: process.platform as string, osRelease: os.release(), env: process.env }): void {
  if (opts.platform === undefined || opts.root !== undefined) return;
  let here: string;
  try {
    here = detectPlatform(host);
  } catch {
    here = host.platform;
  }
  if (family(here) !== family(opts.platform)) {
    throw new CcfleetError('USAGE', `--platform ${opts.platform} needs --root <dir>: this machine is ${here}, and its own files must not be read or written with another OS's layout`);
  }
}
