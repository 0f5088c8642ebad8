/**
 * The two fake gateways every scenario of a test file shares (test/support/fake-gateway.ts): `policy`,
 * the Bifrost the policy points at (`<url>/anthropic`), and `rogue`, any other endpoint a developer's own
 * settings or another tool point at (`<url>/rogue`). Runs overlap safely: each `claude -p` prompt carries
 * a unique tag, and `wireOf(tag)` picks that run's main-loop request from whichever gateway received it.
 */
import { startFakeGateway, type FakeGateway, type Recorded } from '../../support/fake-gateway.js';

export type GatewayName = 'policy' | 'rogue';

export interface Gateways {
  policy: FakeGateway;
  rogue: FakeGateway;
  close(): Promise<void>;
}

export async function startGateways(): Promise<Gateways> {
  const policy = await startFakeGateway({ basePath: '/anthropic' });
  const rogue = await startFakeGateway({ basePath: '/rogue' });
  return { policy, rogue, close: async () => void (await Promise.all([policy.close(), rogue.close()])) };
}

/** What one `claude -p` run sent: its main-loop Messages request. */
export interface Wire {
  gateway: GatewayName;
  /** The base URL the request went under (the gateway's url). */
  baseUrl: string;
  path: string;
  model: string | undefined;
  authorization: string | undefined;
  apiKey: string | undefined;
}

const isMessages = (q: Recorded) => q.method === 'POST' && /\/v1\/messages(\?|$)/.test(q.path);
const carries = (q: Recorded, tag: string) => JSON.stringify((q.body as { messages?: unknown } | undefined)?.messages ?? []).includes(tag);

/** Every main-loop request carrying `tag`, from both gateways. */
export function wireOf(g: Gateways, tag: string): Wire[] {
  const out: Wire[] = [];
  for (const name of ['policy', 'rogue'] as const) {
    for (const q of g[name].requests) {
      if (!isMessages(q) || !carries(q, tag)) continue;
      out.push({ gateway: name, baseUrl: g[name].url, path: q.path, model: q.model, authorization: q.authorization, apiKey: q.apiKey });
    }
  }
  return out;
}

/** How many requests of any kind (messages, count_tokens, …) carry `tag` anywhere in their body, on either gateway. */
export function taggedRequests(g: Gateways, tag: string): number {
  let n = 0;
  for (const name of ['policy', 'rogue'] as const) for (const q of g[name].requests) if (JSON.stringify(q.body ?? null).includes(tag)) n++;
  return n;
}
