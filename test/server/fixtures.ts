/** Shared pieces of the server tests: a valid report, a policy, an app on a real port, HTTP helpers. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { REPORT_SCHEMA, type WireReportInput } from '../../src/core/report-schema.js';
import { hashSecret } from '../../src/server/admin-auth.js';
import { createApp, type App, type AppDeps } from '../../src/server/app.js';
import { servedPolicy, staticPolicy } from '../../src/server/policy-source.js';
import { generateKeyPair, signPolicy } from '../../src/agent/policy-signing.js';
import { testStore, type TestStore } from './test-store.js';

export const ADMIN = 'admin-token-for-tests-0123456789';
export const ENROLL = 'enroll-secret-for-tests-abcdef';
export const KEYS = generateKeyPair();

export function policyBytes(version = 1, id = 'fleet'): Buffer {
  const doc = { id, version, env: { ANTHROPIC_BASE_URL: 'http://localhost:8080/anthropic', ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model' }, removeKeys: ['model'] };
  return Buffer.from(`// test policy v${version}\n${JSON.stringify(doc, null, 2)}\n`);
}

let seq = 0;

export function report(deviceId: string, o: { id?: string; compliant?: boolean; createdAt?: string; users?: Array<{ name: string; model: string; used?: string; compliant?: boolean }>; events?: WireReportInput['events']; hostname?: string; extraText?: string } = {}): WireReportInput {
  const users = (o.users ?? [{ name: 'alice', model: 'sonnet-model' }]).map((u) => ({
    name: u.name,
    compliant: u.compliant ?? o.compliant ?? true,
    selectedModel: { requested: 'sonnet', resolved: u.model, source: 'managed.env.ANTHROPIC_DEFAULT_SONNET_MODEL' },
    findings: [],
    projects: [{ path: `/home/${u.name}/api`, compliant: true, selectedModel: { requested: 'sonnet', resolved: u.model, source: 'default' }, findings: [] }],
    lastUsedModel: u.used ? { served: u.used, requested: 'sonnet', at: new Date().toISOString(), cwd: null, mapped: true } : null,
  }));
  return {
    schema: REPORT_SCHEMA,
    id: o.id ?? `r-${process.pid}-${++seq}`,
    deviceId,
    createdAt: o.createdAt ?? new Date().toISOString(),
    hostname: o.hostname ?? 'laptop-1',
    agentVersion: '0.1.0',
    os: { platform: 'linux', arch: 'x64', release: '6.1.0' },
    policy: { id: 'fleet', version: 1, digest: null },
    compliant: o.compliant ?? true,
    managed: { compliant: true, dir: '/etc/claude-code', findings: [] },
    users,
    files: [{ path: `/home/alice/.claude/settings.json${o.extraText ?? ''}`, scope: 'user', user: 'alice', state: 'compliant', findings: [] }],
    events: o.events ?? [],
  };
}

export interface Running {
  url: string;
  app: App;
  store: TestStore;
  server: http.Server;
  close(): Promise<void>;
}

export async function start(over: Partial<AppDeps> = {}): Promise<Running> {
  const store = await testStore(over.now ? { now: over.now } : {});
  const bytes = policyBytes();
  const app = createApp({
    store,
    adminTokenHashes: [hashSecret(ADMIN)],
    enrollSecretHashes: [hashSecret(ENROLL)],
    policy: staticPolicy(servedPolicy(bytes, signPolicy(bytes, KEYS.privateKeyPem), 'test')),
    ...over,
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    store,
    server,
    close: async () => {
      app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: any;
}

/** One request with node:http (no pooling), the whole answer read. */
export function request(url: string, o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
export const jsonHeaders = (token?: string): Record<string, string> => ({ 'content-type': 'application/json', ...(token ? bearer(token) : {}) });

export async function enroll(url: string, o: { deviceId?: string; hostname?: string } = {}): Promise<{ deviceId: string; token: string }> {
  const r = await request(`${url}/v1/enroll`, { method: 'POST', headers: jsonHeaders(), body: JSON.stringify({ enrollSecret: ENROLL, ...o }) });
  if (r.status !== 201) throw new Error(`enroll: ${r.status} ${r.text}`);
  return r.json as { deviceId: string; token: string };
}

export function postReport(url: string, token: string, body: unknown): Promise<Answer> {
  return request(`${url}/v1/reports`, { method: 'POST', headers: jsonHeaders(token), body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Reports stored (the store's own count). */
export const reportCount = async (s: Running): Promise<number> => (await s.store.summary()).reportsTotal;
