/** The one place a platform is chosen. */
import { linux } from './linux.js';
import type { Platform, PlatformName } from './types.js';
import { CcfleetError } from '../core/errors.js';

const registry: Partial<Record<PlatformName, Platform>> = { linux };

export function registerPlatform(p: Platform): void {
  registry[p.name] = p;
}

export function platformFor(name: PlatformName): Platform {
  const p = registry[name];
  if (!p) throw new CcfleetError('PLATFORM_UNSUPPORTED', `platform ${name} is not supported`);
  return p;
}
