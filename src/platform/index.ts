/**
 * The one place a platform is chosen: by name (`--platform`), or detected from the host when no
 * name is given. Every platform module is pure, so all four are available on every host.
 */
import { CcfleetError } from '../core/errors.js';
import { darwin } from './darwin.js';
import { detectPlatform, type DetectFacts } from './detect.js';
import { linux } from './linux.js';
import type { Platform, PlatformName } from './types.js';
import { PLATFORM_NAMES } from './types.js';
import { windows } from './windows.js';
import { wsl } from './wsl.js';

const registry: Partial<Record<PlatformName, Platform>> = { linux, darwin, windows, wsl };

export function registerPlatform(p: Platform): void {
  registry[p.name] = p;
}

export function isPlatformName(s: string): s is PlatformName {
  return (PLATFORM_NAMES as readonly string[]).includes(s);
}

export function platformFor(name: PlatformName): Platform {
  const p = registry[name];
  if (!p) throw new CcfleetError('PLATFORM_UNSUPPORTED', `platform ${name} is not supported`);
  return p;
}

/** `--platform` when given (validated), else the host's own platform. */
export function choosePlatform(requested: string | undefined, host: DetectFacts): Platform {
  if (requested === undefined) return platformFor(detectPlatform(host));
  if (!isPlatformName(requested)) {
    throw new CcfleetError('USAGE', `--platform must be one of ${PLATFORM_NAMES.join(', ')} (got ${JSON.stringify(requested)})`);
  }
  return platformFor(requested);
}
