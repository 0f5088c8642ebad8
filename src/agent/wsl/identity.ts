/**
 * Each WSL distribution is reported as a device of its own (docs/wsl.md says why): its id is derived from
 * the Windows device's id and the distribution's name, so it is stable across restarts and the same
 * distribution on another laptop is another device; its hostname is `<windows host>/<distro>`, so a
 * fleet view sorted by hostname shows a laptop's distributions under it.
 *
 *   <host device id>:wsl:<slug>     slug = the name in lower case (WSL compares names case-insensitively),
 *                                   characters other than a-z 0-9 . _ - replaced by "-"; when that changed
 *                                   anything beyond case, or the id would pass 128 characters, 8 hex digits
 *                                   of sha256(name) keep distinct names distinct
 * The result always matches the server's device id pattern (letters, digits, . _ : -, at most 128).
 */
import { createHash } from 'node:crypto';

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function distroSlug(name: string): string {
  const low = name.toLowerCase();
  const slug = low.replace(/[^a-z0-9._-]/g, '-').slice(0, 48);
  return slug === low && slug.length > 0 ? slug : `${slug}-${hash(name).slice(0, 8)}`;
}

export function distroDeviceId(hostDeviceId: string, name: string): string {
  const id = `${hostDeviceId}:wsl:${distroSlug(name)}`;
  return ID.test(id) ? id : `wsl-${hash(`${hostDeviceId}\u0000${name}`).slice(0, 40)}`;
}

export const distroHostname = (host: string, name: string): string => `${host}/${name}`.slice(0, 255);

const hash = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
