/**
 * The policy a command checks against, from the same source as the daemon: --policy as given; otherwise the
 * agent config's `policy`, else `<server>/v1/policy` with the device token (enrolling first with the config's
 * `enrollSecret` when there is none yet), through the daemon's policy client — pinned keys, the version
 * ratchet, and the last-known-good copy in the state dir when the source cannot be reached.
 *
 * `report` always takes that path; `check`, `repair`, `status`, `doctor` and `wsl` take it when the agent
 * config names only a server (what an MSI or a package installed with SERVER_URL and ENROLL_SECRET leaves, and
 * what the MDM detection scripts then run against) — with a `policy` source or --policy they read it directly.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Enrollment } from '../agent/report/enroll.js';
import type { PostClientOptions } from '../agent/report/http-post.js';
import { CcfleetError } from '../core/errors.js';
import type { Policy } from '../core/policy-schema.js';
import type { CommonOptions } from './args.js';
import { resolvePolicy, type RunContext } from './context.js';
import { VERSION } from './version.js';

export interface PolicyInForce {
  policy: Policy;
  /** sha256 of the policy's bytes, when known. */
  digest: string | null;
}

/** For check/repair/status/doctor/wsl: the server's policy when the config names only a server, else resolvePolicy. */
export async function commandPolicy(opts: CommonOptions, ctx: RunContext, purpose: string): Promise<Policy> {
  if (opts.policy !== undefined || ctx.config.policy !== undefined || ctx.config.server === undefined) return resolvePolicy(opts, ctx.config);
  return (await policyInForce(opts, ctx, { purpose })).policy;
}

export async function policyInForce(
  opts: CommonOptions,
  ctx: RunContext,
  o: { purpose: string; enroll?: { server: string; enrollment: Enrollment; http: Omit<PostClientOptions, 'signal'> } },
): Promise<PolicyInForce> {
  const config = ctx.config;
  if (opts.policy !== undefined) return { policy: await resolvePolicy(opts, config), digest: fileDigest(opts.policy) };
  // Loaded on demand: undici costs every other command ~50 ms of start-up (check, and the write child).
  const [{ PolicyClient }, { readToken, serverBase }, { createPostClient }, { enrollmentParts }] = await Promise.all([
    import('../agent/policy-client.js'),
    import('../agent/report/enroll.js'),
    import('../agent/report/http-post.js'),
    import('../agent/report/setup.js'),
  ]);
  const userAgent = `ccfleet/${VERSION} (${os.platform()}; ${o.purpose})`;
  const server = config.server;
  const serverPolicy = server !== undefined ? `${serverBase(server)}/v1/policy` : null;
  const source = config.policy ?? serverPolicy;
  if (source === null) return { policy: await resolvePolicy(opts, config), digest: null }; // says what is missing
  if (source === serverPolicy) {
    const parts = o.enroll ?? enrollmentParts({ config, stateDir: ctx.stateDir, userAgent });
    if (parts.enrollment.token() === null) {
      const http = createPostClient(parts.http);
      try {
        await parts.enrollment.ensure(http); // a refusal shows in the policy fetch's answer (401)
      } finally {
        await http.close();
      }
    }
  }
  const token = source === serverPolicy ? readToken(ctx.stateDir, server!) : null;
  const local = !/^https?:\/\//i.test(source);
  const client = new PolicyClient({
    source: local ? path.resolve(source) : source,
    publicKeys: config.policyPublicKeys ?? [],
    stateDir: ctx.stateDir,
    ...(config.caFile ? { caFile: config.caFile } : {}),
    ...(config.policySignatureUrl ? { signatureUrl: config.policySignatureUrl } : {}),
    userAgent,
    ...(token ? { headers: { authorization: `Bearer ${token.token}` } } : {}),
  });
  const r = await client.refresh();
  const applied = client.current();
  if (applied === null) {
    const why = r.kind === 'rejected' ? `rejected (${r.code}): ${r.message}` : r.kind === 'unreachable' ? r.message : 'no policy';
    throw new CcfleetError(r.kind === 'rejected' ? 'POLICY_INVALID' : 'POLICY_UNREADABLE', `no policy to ${o.purpose} against: ${why}`);
  }
  return { policy: applied.policy, digest: applied.digest };
}

/** sha256 of a local policy file's bytes (null for a URL, or when it cannot be read again). */
function fileDigest(source: string): string | null {
  if (/^https?:\/\//i.test(source)) return null;
  try {
    return createHash('sha256').update(fs.readFileSync(source)).digest('hex');
  } catch {
    return null;
  }
}
