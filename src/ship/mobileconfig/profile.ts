/**
 * Configuration profiles (.mobileconfig): an XML plist of PayloadType "Configuration" whose
 * PayloadContent lists payloads. Every payload and the profile carry PayloadIdentifier, PayloadUUID,
 * PayloadType, PayloadVersion 1 and a display name. UUIDs are derived from the identifiers (name-based,
 * SHA-1, RFC 4122 version 5 layout), so rebuilding a profile yields the same file and an MDM sees an
 * update of the same profile, not a new one; pass `uuidSalt` to force a new identity.
 */
import { createHash } from 'node:crypto';
import { plistXml, type PlistValue } from '../plist/write-xml.js';

export type Dict = { [key: string]: PlistValue | undefined };

export interface Payload {
  type: string;
  /** Reverse-DNS, unique inside the profile. */
  identifier: string;
  displayName: string;
  description?: string;
  /** The payload's own keys (not the Payload* bookkeeping). */
  content: Dict;
}

export interface ProfileInput {
  identifier: string;
  displayName: string;
  description: string;
  organization: string;
  payloads: readonly Payload[];
  /** Users may not remove the profile by hand (MDM-installed profiles are removed by the MDM only). */
  removalDisallowed?: boolean;
  uuidSalt?: string;
}

/** Namespace of the name-based UUIDs (fixed, random). */
const NAMESPACE = 'c3f1b8e2-5a4d-4f7e-9b61-0d2a7c5e8f14';

export function nameUuid(name: string): string {
  const ns = Buffer.from(NAMESPACE.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex').toUpperCase();
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const REVERSE_DNS = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

export function profileValue(p: ProfileInput): Dict {
  if (!REVERSE_DNS.test(p.identifier)) throw new Error(`profile identifier ${JSON.stringify(p.identifier)} is not reverse-DNS`);
  const seen = new Set<string>([p.identifier]);
  const salt = p.uuidSalt ?? '';
  const content = p.payloads.map((pl): Dict => {
    if (!REVERSE_DNS.test(pl.identifier)) throw new Error(`payload identifier ${JSON.stringify(pl.identifier)} is not reverse-DNS`);
    if (seen.has(pl.identifier)) throw new Error(`identifier ${pl.identifier} is used twice`);
    seen.add(pl.identifier);
    for (const k of Object.keys(pl.content)) if (k.startsWith('Payload')) throw new Error(`payload key ${k} is bookkeeping set by profileValue`);
    return {
      PayloadType: pl.type,
      PayloadIdentifier: pl.identifier,
      PayloadUUID: nameUuid(`${salt}${pl.identifier}`),
      PayloadVersion: 1,
      PayloadDisplayName: pl.displayName,
      PayloadDescription: pl.description,
      ...pl.content,
    };
  });
  return {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: p.identifier,
    PayloadUUID: nameUuid(`${salt}${p.identifier}`),
    PayloadDisplayName: p.displayName,
    PayloadDescription: p.description,
    PayloadOrganization: p.organization,
    PayloadScope: 'System',
    PayloadRemovalDisallowed: p.removalDisallowed ?? true,
    PayloadContent: content,
  };
}

export function profileXml(p: ProfileInput): string {
  return plistXml(profileValue(p));
}
