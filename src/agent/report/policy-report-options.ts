/**
 * The policy's `report` options (homePaths) for the policy the daemon enforces. The daemon exposes the
 * applied policy's digest (status().policy) but not the policy itself, so the last-known-good copy the policy
 * client keeps in the state dir (policy-cache.ts) is read — only when its bytes are exactly the digest in
 * force — and parsed once per digest. Anything else (no cache yet, another version, unreadable) gives the
 * defaults: full paths.
 */
import { createHash } from 'node:crypto';
import { parsePolicyText } from '../../core/policy-load.js';
import type { Policy } from '../../core/policy-schema.js';
import { DEFAULT_MAX_BYTES } from '../policy-client.js';
import { policyText } from '../policy-bytes.js';
import { policyCacheDir, readPolicyCache } from '../policy-cache.js';

export interface ReportOptions {
  homePaths: 'full' | 'tilde';
}

export const reportOptionsOf = (p: Policy | null | undefined): ReportOptions => ({ homePaths: p?.report?.homePaths ?? 'full' });

/** Memoised by digest: `get(digest)` reads the cache only when the digest changed. */
export function cachedReportOptions(stateDir: string): (digest: string | null) => ReportOptions {
  let seen: string | null = null;
  let options: ReportOptions = reportOptionsOf(null);
  return (digest) => {
    if (digest === null) return reportOptionsOf(null);
    if (digest === seen) return options;
    const cache = readPolicyCache(policyCacheDir(stateDir), DEFAULT_MAX_BYTES);
    options = reportOptionsOf(null);
    if (cache.bytes !== null && createHash('sha256').update(cache.bytes).digest('hex') === digest) {
      const text = policyText(cache.bytes);
      try {
        if (text !== null) options = reportOptionsOf(parsePolicyText(text, 'policy cache'));
      } catch {
        // verified when it was applied; unreadable now: defaults
      }
      seen = digest; // settled for this digest (a cache written later is for a later digest)
    }
    return options;
  };
}
