/**
 * Which platform's conventions apply to the host we run on. Pure: the caller passes
 * `process.platform`, `os.release()` and `process.env`. WSL is Linux whose kernel release names
 * Microsoft (`5.15.90.1-microsoft-standard-WSL2`, WSL1's `4.4.0-19041-Microsoft`) or whose
 * environment carries `WSL_DISTRO_NAME`. Any other OS is unsupported (error PLATFORM_UNSUPPORTED).
 */
import { CcfleetError } from '../core/errors.js';
import type { PlatformName } from './types.js';

export interface DetectFacts {
  /** `process.platform`. */
  platform: string;
  /** `os.release()`. */
  osRelease: string;
  /** `process.env` (only WSL_DISTRO_NAME is looked at). */
  env?: Readonly<Record<string, string | undefined>>;
}

export function detectPlatform(facts: DetectFacts): PlatformName {
  switch (facts.platform) {
    case 'darwin':
      return 'darwin';
    case 'win32':
      return 'windows';
    case 'linux': {
      const wsl = /microsoft/i.test(facts.osRelease) || !!facts.env?.WSL_DISTRO_NAME;
      return wsl ? 'wsl' : 'linux';
    }
    default:
      throw new CcfleetError('PLATFORM_UNSUPPORTED', `operating system ${facts.platform} is not supported (use --platform with --root to examine a tree)`);
  }
}
