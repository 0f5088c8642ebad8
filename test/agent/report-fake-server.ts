/**
 * A fake ccfleet server for the agent's reporting tests, on 127.0.0.1 port 0, speaking the contract:
 *   POST /v1/enroll   { enrollSecret, deviceId?, hostname? } → 201 { deviceId, token }; a wrong secret → 401
 *   POST /v1/reports  Bearer <token> → 202 { id, status: 'stored' | 'duplicate' } (idempotent on the id);
 *                     no/unknown token → 401; a body reportSchema refuses → 400 { error: { code, message } }
 * Bodies may be gzip'd (Content-Encoding). Every request is recorded (path, headers, body text) in order.
 * Failure modes, one per request, from `script` (reports) and `enrollScript` (enroll), consumed in order:
 *   a status number (answered with an error body, Retry-After: 0 on 429/503), 'hang' (never answers),
 *   'lost' (stores the report, then drops the connection before answering: a lost 202).
 * `revokeTokens()` makes every token issued so far unknown (the next report gets 401).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { reportSchema, type WireReport } from '../../src/core/report-schema.js';

export type Step = number | 'hang' | 'lost';

export interface Recorded {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  status: number | 'hang' | 'lost';
}

export interface FakeServer {
  url: string;
  requests: Recorded[];
  /** Stored reports by id (a redelivered id is stored once). */
  reports: Map<string, WireReport>;
  /** Report posts received (duplicates included). */
  received: () => number;
  script: Step[];
  enrollScript: Step[];
  tokens: Set<string>;
  revokeTokens(): void;
  /** Resolves when `n` reports are stored (or rejects after `ms`). */
  waitForReports(n: number, ms?: number): Promise<WireReport[]>;
  close(): Promise<void>;
}

export async function startFakeServer(o: { enrollSecret: string }): Promise<FakeServer> {
  const requests: Recorded[] = [];
  const reports = new Map<string, WireReport>();
  const tokens = new Set<string>();
  const hung: ServerResponse[] = [];
  const waiters = new Set<() => boolean>();
  let received = 0;
  let n = 0;
  const s: FakeServer = {
    url: '',
    requests,
    reports,
    received: () => received,
    script: [],
    enrollScript: [],
    tokens,
    revokeTokens: () => tokens.clear(),
    waitForReports: (count, ms = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (reports.size >= count) {
            resolve([...reports.values()]);
            return true;
          }
          return false;
        };
        if (check()) return;
        const t = setTimeout(() => reject(new Error(`only ${reports.size} of ${count} reports arrived in ${ms} ms`)), ms);
        waiters.add(() => {
          if (!check()) return false;
          clearTimeout(t);
          return true;
        });
      }),
    close: async () => {
      for (const r of hung) r.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const answer = (res: ServerResponse, rec: Recorded, status: number, body: unknown, headers: Record<string, string> = {}) => {
    rec.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const rec: Recorded = { path: req.url ?? '', headers: req.headers, body: raw.toString('utf8'), status: 0 };
      requests.push(rec);
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(rec.body) as Record<string, unknown>;
      } catch {
        json = null;
      }
      const step = (list: Step[]) => list.shift();
      if (req.method === 'POST' && req.url === '/v1/enroll') {
        const st = step(s.enrollScript);
        if (st === 'hang' || st === 'lost') {
          rec.status = st;
          if (st === 'hang') hung.push(res);
          else res.destroy();
          return;
        }
        if (typeof st === 'number') return answer(res, rec, st, { error: { code: `forced-${st}`, message: 'forced by the test' } });
        if (json === null || json.enrollSecret !== o.enrollSecret) return answer(res, rec, 401, { error: { code: 'bad-enroll-secret', message: 'wrong enrollment secret' } });
        const token = `tok-${++n}-${Math.random().toString(36).slice(2)}`;
        tokens.add(token);
        return answer(res, rec, 201, { deviceId: typeof json.deviceId === 'string' ? json.deviceId : `dev-${n}`, token });
      }
      if (req.method === 'POST' && req.url === '/v1/reports') {
        received++;
        const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
        if (auth === undefined || !tokens.has(auth)) return answer(res, rec, 401, { error: { code: 'unauthorized', message: 'unknown device token' } });
        const st = step(s.script);
        if (st === 'hang') {
          rec.status = 'hang';
          hung.push(res);
          return;
        }
        if (typeof st === 'number') return answer(res, rec, st, { error: { code: `forced-${st}`, message: 'forced by the test' } }, st === 429 || st === 503 ? { 'retry-after': '0' } : {});
        const parsed = reportSchema.safeParse(json);
        if (!parsed.success) return answer(res, rec, 400, { error: { code: 'invalid-report', message: parsed.error.issues[0]?.message ?? 'invalid' } });
        const dup = reports.has(parsed.data.id);
        if (!dup) reports.set(parsed.data.id, parsed.data);
        for (const w of waiters) if (w()) waiters.delete(w);
        if (st === 'lost') {
          rec.status = 'lost';
          res.destroy();
          return;
        }
        return answer(res, rec, 202, { id: parsed.data.id, status: dup ? 'duplicate' : 'stored' });
      }
      return answer(res, rec, 404, { error: { code: 'not-found', message: 'no such route' } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return s;
}
