/** detectPlatform and the registry in index.ts: the one place a platform is chosen. */
import { describe, expect, it } from 'vitest';
import { detectPlatform } from '../../src/platform/detect.js';
import { choosePlatform, isPlatformName, platformFor } from '../../src/platform/index.js';
import { PLATFORM_NAMES } from '../../src/platform/types.js';

describe('detectPlatform', () => {
  it.each([
    [{ platform: 'linux', osRelease: '6.8.0-45-generic' }, 'linux'],
    [{ platform: 'linux', osRelease: '5.15.153.1-microsoft-standard-WSL2' }, 'wsl'],
    [{ platform: 'linux', osRelease: '4.4.0-19041-Microsoft' }, 'wsl'],
    [{ platform: 'linux', osRelease: '6.6.0-custom', env: { WSL_DISTRO_NAME: 'Ubuntu' } }, 'wsl'],
    [{ platform: 'linux', osRelease: '6.6.0', env: { WSL_DISTRO_NAME: '' } }, 'linux'],
    [{ platform: 'darwin', osRelease: '24.1.0' }, 'darwin'],
    [{ platform: 'darwin', osRelease: 'microsoft', env: { WSL_DISTRO_NAME: 'x' } }, 'darwin'],
    [{ platform: 'win32', osRelease: '10.0.22631' }, 'windows'],
  ])('%j → %s', (facts, want) => {
    expect(detectPlatform(facts)).toBe(want);
  });

  it('rejects other operating systems with PLATFORM_UNSUPPORTED', () => {
    expect(() => detectPlatform({ platform: 'freebsd', osRelease: '14.1' })).toThrow(expect.objectContaining({ code: 'PLATFORM_UNSUPPORTED', exitCode: 2 }));
  });
});

describe('platform registry', () => {
  it.each(PLATFORM_NAMES)('has %s', (name) => {
    expect(platformFor(name).name).toBe(name);
  });

  it('chooses --platform when given, else the detected host', () => {
    const host = { platform: 'linux', osRelease: '5.15-microsoft-standard-WSL2' };
    expect(choosePlatform(undefined, host).name).toBe('wsl');
    expect(choosePlatform('windows', host).name).toBe('windows');
    expect(() => choosePlatform('macos', host)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(isPlatformName('darwin')).toBe(true);
    expect(isPlatformName('win32')).toBe(false);
  });
});
