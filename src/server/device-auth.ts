/**
 * Device tokens: 32 random bytes, base64url (43 characters), handed out once by /v1/enroll. The store keeps
 * only sha256(token) as hex; a request's token is hashed and looked up by that digest, so neither the
 * lookup's timing nor a leaked database reveals a usable token.
 *
 * Positive lookups are remembered for `cacheMs` (default 10 min, state.ts; at most `maxEntries`) so the policy and report
 * hot paths do not query the store for every request. A re-enrolment through this process forgets the
 * device's old token at once; through another replica, the old token may keep working here until its
 * cache entry expires.
 */
import { hash, randomBytes } from 'node:crypto';
import type { Store } from './store/types.js';

export interface Device {
  id: string;
  hostname: string;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const newDeviceToken = (): string => randomBytes(32).toString('base64url');
export const tokenHashHex = (token: string): string => hash('sha256', token, 'hex');
export const looksLikeDeviceToken = (t: string): boolean => TOKEN.test(t);

interface Cached extends Device {
  hash: string;
  until: number;
}

export class DeviceAuth {
  private readonly byHash = new Map<string, Cached>();
  private readonly hashByDevice = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly cacheMs: number,
    private readonly maxEntries = 200_000,
  ) {}

  /** The remembered device of a token (no store call): a Device, or undefined when the store must be asked. */
  cached(token: string, now: number): Device | undefined {
    if (!TOKEN.test(token)) return undefined;
    const hit = this.byHash.get(tokenHashHex(token));
    return hit !== undefined && hit.until > now ? hit : undefined;
  }

  /** The device a token belongs to, or null. Store failures propagate (the caller answers 503). */
  async device(token: string, now: number): Promise<Device | null> {
    if (!TOKEN.test(token)) return null;
    const hash = tokenHashHex(token);
    const hit = this.byHash.get(hash);
    if (hit !== undefined && hit.until > now) return hit;
    const d = await this.store.deviceForToken(hash);
    if (d === null) {
      if (hit !== undefined) this.forget(hit.id);
      return null;
    }
    if (this.cacheMs > 0) this.remember({ id: d.id, hostname: d.hostname, hash, until: now + this.cacheMs });
    return d;
  }

  /** Drop what is remembered about a device (its token was replaced). */
  forget(deviceId: string): void {
    const h = this.hashByDevice.get(deviceId);
    if (h !== undefined) this.byHash.delete(h);
    this.hashByDevice.delete(deviceId);
  }

  private remember(c: Cached): void {
    if (this.byHash.size >= this.maxEntries) {
      this.byHash.clear();
      this.hashByDevice.clear();
    }
    this.forget(c.id);
    this.byHash.set(c.hash, c);
    this.hashByDevice.set(c.id, c.hash);
  }
}
