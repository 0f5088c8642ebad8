/**
 * Where the policy comes from: a local JSONC file or an http(s) URL. (Signature checks, ETag caching and
 * the last-known-good cache belong to the daemon's policy client.) Any failure is a CcfleetError with
 * exit code 2: a run without a valid policy changes nothing.
 */
import { CcfleetError } from '../core/errors.js';
import { parsePolicyText } from '../core/policy-load.js';
import type { Policy } from '../core/policy-schema.js';
import { loadPolicyFile } from './policy-file.js';

const MAX_BYTES = 1024 * 1024;

export async function loadPolicy(source: string): Promise<Policy> {
  if (/^https?:\/\//i.test(source)) return parsePolicyText(await fetchText(source), source);
  return loadPolicyFile(source);
}

async function fetchText(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000), redirect: 'follow' });
  } catch (e) {
    throw new CcfleetError('POLICY_UNREADABLE', `${url}: cannot fetch policy (${(e as Error).message})`, { retryable: true });
  }
  if (!res.ok) throw new CcfleetError(res.status === 404 ? 'POLICY_NOT_FOUND' : 'POLICY_UNREADABLE', `${url}: HTTP ${res.status}`, { retryable: res.status >= 500 });
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > MAX_BYTES) throw new CcfleetError('POLICY_UNREADABLE', `${url}: policy larger than ${MAX_BYTES} bytes`);
  return buf.toString('utf8');
}
