/**
 * The network checks of one gateway, in order: gateway-reachable, gateway-health, gateway-models,
 * gateway-quota, clock. One GET <origin>/health decides reachability (any HTTP answer within the timeout)
 * and gives the health verdict and the gateway's Date header; models and the quota route then go out
 * together with the credential — only to the policy's own gateway. An unreachable gateway gets the
 * remaining checks as `skipped`, so a dead host costs one timeout, not four.
 */
import type { GatewayCredential } from './credential.js';
import { scrub } from './credential.js';
import { atOrigin, under, type GatewayTarget } from './gateways.js';
import type { HttpClient, HttpOutcome } from './http.js';
import { judgeClock, judgeHealth, judgeModels, judgeQuota, type Verdict } from './judge.js';
import type { CheckCode, DoctorCheck } from './types.js';

const ANTHROPIC_VERSION = '2023-06-01';

export async function probeGateway(t: GatewayTarget, credential: GatewayCredential | null, http: HttpClient): Promise<DoctorCheck[]> {
  const check = (code: CheckCode, v: Verdict, ms = 0): DoctorCheck => ({ code, status: v.status, target: t.shown, ...(t.users.length ? { users: t.users } : {}), message: v.message, ms });
  const skipRest = (why: string) =>
    (['gateway-health', 'gateway-models', 'gateway-quota', 'clock'] as const).map((code) => check(code, { status: 'skipped', message: why }));

  const healthUrl = atOrigin(t.url, '/health');
  const modelsUrl = under(t.url, '/v1/models');
  const quotaUrl = atOrigin(t.url, '/api/governance/virtual-keys/quota');
  if (healthUrl === null || modelsUrl === null || quotaUrl === null) {
    return [check('gateway-reachable', { status: 'problem', message: 'not an http(s) URL' }), ...skipRest('not an http(s) URL')];
  }

  const health = await http.get(healthUrl);
  if (health.kind === 'failure') return [check('gateway-reachable', { status: 'problem', message: health.cause }, health.ms), ...skipRest('gateway unreachable')];
  const out = [
    check('gateway-reachable', { status: 'ok', message: `answered HTTP ${health.status}` }, health.ms),
    check('gateway-health', judgeHealth(health), health.ms),
  ];

  const [models, quota] = await modelsAndQuota(modelsUrl, quotaUrl);
  out.push(models, quota, check('clock', judgeClock(health.headers.date, health.receivedAt)));
  return out;

  async function modelsAndQuota(modelsUrl: string, quotaUrl: string): Promise<[DoctorCheck, DoctorCheck]> {
    const cred = credential;
    if (!t.isPolicy || cred === null) {
      const why = 'not the policy\'s gateway: the policy\'s credential is sent only to the policy\'s gateway';
      return [check('gateway-models', { status: 'skipped', message: why }), check('gateway-quota', { status: 'skipped', message: why })];
    }
    if (cred.state !== 'ready') {
      return [check('gateway-models', { status: cred.state, message: cred.reason }), check('gateway-quota', { status: 'skipped', message: cred.reason })];
    }
    const clean = (s: string) => scrub(s, cred.secrets);
    const sendQuota = Object.keys(cred.headers).length > 0;
    const [m, q] = await Promise.all([
      http.get(modelsUrl, { ...cred.headers, 'anthropic-version': ANTHROPIC_VERSION }),
      sendQuota ? http.get(quotaUrl, cred.headers) : Promise.resolve(null),
    ]);
    const verdict = (o: HttpOutcome, judge: (a: { status: number; body: string }) => Verdict): [Verdict, number] =>
      o.kind === 'failure' ? [{ status: 'problem', message: o.cause }, o.ms] : [judge(o), o.ms];
    const [mv, mms] = verdict(m, (a) => judgeModels(a, cred.label, clean));
    const [qv, qms] = q === null ? [{ status: 'skipped' as const, message: 'no credential to ask the quota of' }, 0] : verdict(q, (a) => judgeQuota(a, cred.label, clean));
    return [check('gateway-models', mv, mms), check('gateway-quota', qv, qms)];
  }
}
