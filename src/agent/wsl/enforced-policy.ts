/**
 * The policy the Windows daemon enforces, as the exact bytes handed to each distribution: the daemon
 * exposes only the digest in force (Daemon.status().policy), so the last-known-good copy the policy
 * client keeps (`<state dir>/policy/current.json`, policy-cache.ts) is read — and used only when its
 * sha256 is that digest. Parsed once per digest (id, version and the report options are needed too).
 */
import { createHash } from 'node:crypto';
import { parsePolicyText } from '../../core/policy-load.js';
import { DEFAULT_MAX_BYTES } from '../policy-client.js';
import { policyText } from '../policy-bytes.js';
import { policyCacheDir, readPolicyCache } from '../policy-cache.js';

export interface EnforcedPolicy {
  bytes: Buffer;
  digest: string;
  id: string;
  version: number;
  homePaths: 'full' | 'tilde';
}

export function enforcedPolicyReader(stateDir: string): (digest: string | null) => EnforcedPolicy | null {
  let memo: EnforcedPolicy | null = null;
  return (digest) => {
    if (digest === null) return null;
    if (memo?.digest === digest) return memo;
    const cache = readPolicyCache(policyCacheDir(stateDir), DEFAULT_MAX_BYTES);
    if (cache.bytes === null || createHash('sha256').update(cache.bytes).digest('hex') !== digest) return null;
    const text = policyText(cache.bytes);
    if (text === null) return null;
    try {
      const p = parsePolicyText(text, 'policy cache');
      memo = { bytes: cache.bytes, digest, id: p.id, version: p.version, homePaths: p.report?.homePaths ?? 'full' };
      return memo;
    } catch {
      return null;
    }
  };
}
