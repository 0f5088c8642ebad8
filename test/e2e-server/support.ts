/**
 * Shared set-up of the agent ↔ server end-to-end tests: a real `ccfleet server` child process (the built
 * bundle) on 127.0.0.1, real agents (`ccfleet report --once`, `ccfleet daemon`) on fixture roots whose agent
 * config names that server, and the server's fleet API and /metrics read with the admin token.
 *
 *   const keys = signingKeys(dir);                                   // ed25519 pair, private key file 0600
 *   const s = await startServer({ store, policy: policyFile(dir, 1), key: keys.keyFile });
 *   const a = agentMachine('laptop-a', s.url, keys.publicKey);       // a linux root + <root>/cfg/agent.json
 *   const r = await a.report();                                      // { code, json } of report --once --json
 *   const d = await a.daemon();                                      // test/daemon/support/harness.ts
 *   await s.restart();                                               // the same port, store and options
 *
 * Stores: a SQLite file in a temp folder, or (CCFLEET_TEST_DATABASE_URL) a fresh PostgreSQL schema per store
 * (test/server/pg-schema.ts), dropped at the end. No timed assertions: waits poll (`waitFor`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair } from '../../src/agent/policy-signing.js';
import type { WireReport } from '../../src/core/report-schema.js';
import type { DeviceRow, FleetSummary } from '../../src/server/store/types.js';
import { cliAsync } from '../cli/e2e-fixture.js';
import { agentConfig, startDaemon, waitFor, type DaemonProcess } from '../daemon/support/harness.js';
import { makeMachine, type Machine } from '../support/machine.js';
import { testBundle, testNode } from '../support/runtime.js';
import type { CliResult } from '../support/cli.js';
import { freshSchema, PG_URL } from '../server/pg-schema.js';
import { parseExposition } from '../server/prom.js';
import { bearer, request } from '../server/fixtures.js';

export { waitFor };

export const ADMIN = 'e2e-admin-token-4f1c0d2b9a7e6358';
export const ENROLL = 'e2e-enroll-secret-8b3e5a1f7c9d2046';

export type StoreKind = 'sqlite' | 'postgres';

/** A place for a server's data: a new one per call (a "new store"), removed by `cleanup`. */
export interface StoreFactory {
  kind: StoreKind;
  fresh(): Promise<string>;
  cleanup(): Promise<void>;
}

export function storeFactory(kind: StoreKind, dir: string): StoreFactory {
  const drops: Array<() => Promise<void>> = [];
  let n = 0;
  return {
    kind,
    async fresh() {
      if (kind === 'sqlite') return path.join(dir, `store-${++n}`, 'ccfleet.sqlite');
      const db = await freshSchema();
      drops.push(db.drop);
      return db.url;
    },
    async cleanup() {
      for (const d of drops.splice(0)) await d().catch(() => undefined);
    },
  };
}

export const postgresAvailable = PG_URL !== '';

export interface Keys {
  publicKey: string;
  keyFile: string;
}

/** An ed25519 signing key pair; the private key in `<dir>/<name>.key` (0600). */
export function signingKeys(dir: string, name: string): Keys {
  const k = generateKeyPair();
  const keyFile = path.join(dir, `${name}.key`);
  fs.writeFileSync(keyFile, k.privateKeyPem, { mode: 0o600 });
  return { publicKey: k.publicKey, keyFile };
}

export const GATEWAY = (version: number) => `https://gw-v${version}.example.com/anthropic`;

/** A policy file (JSONC): alias routing through the gateway of `version`; `model` keys removed. */
export function policyFile(dir: string, version: number): string {
  const file = path.join(dir, `policy-v${version}.jsonc`);
  const doc = {
    id: 'e2e-fleet',
    version,
    env: {
      ANTHROPIC_BASE_URL: GATEWAY(version),
      ANTHROPIC_DEFAULT_SONNET_MODEL: 'sonnet-model',
      ANTHROPIC_DEFAULT_HAIKU_MODEL: 'haiku-model',
      ANTHROPIC_DEFAULT_OPUS_MODEL: 'opus-model',
    },
    removeKeys: ['model', 'env.ANTHROPIC_MODEL'],
    enforceIn: 'managed',
  };
  fs.writeFileSync(file, `// e2e-server policy v${version}\n${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

// ---------------------------------------------------------------------------------------------------------
// The server

export interface ServerOptions {
  store: string;
  policy: string;
  key: string;
  /** Default: any free port (0). */
  port?: number;
}

export interface ServerProcess {
  url: string;
  port: number;
  options: ServerOptions;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (if still running); resolves once it is gone. */
  kill(): Promise<void>;
}

/** `ccfleet server` as a child; resolves once it printed its `listening on …` line. */
export async function startServer(o: ServerOptions): Promise<ServerProcess> {
  // Restarting on a port just closed can race another socket taking it: try again a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnServer(o);
    } catch (e) {
      if (o.port === undefined || attempt >= 20 || !/EADDRINUSE|address.*in use/i.test((e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function spawnServer(o: ServerOptions): Promise<ServerProcess> {
  const args = ['server', '--listen', `127.0.0.1:${o.port ?? 0}`, '--store', o.store, '--admin-token', ADMIN, '--enroll-secret', ENROLL, '--policy', o.policy, '--signing-key', o.key, '--rate-limit', 'off'];
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir() };
  const child = spawn(testNode, [testBundle, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = () => {
      const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))\n/.exec(out);
      if (!m) return;
      child.stdout!.off('data', onData);
      resolve({
        url: m[1]!,
        port: Number(m[2]),
        options: { ...o, port: Number(m[2]) },
        child,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`ccfleet server exited ${code} before listening: ${err}`)));
  });
}

/** Stops `s` (exit 0 expected) and starts a server on its port with `over` changed. */
export async function restartServer(s: ServerProcess, over: Partial<ServerOptions> = {}): Promise<ServerProcess> {
  const code = await s.stop();
  if (code !== 0) throw new Error(`the server exited ${code} on SIGTERM: ${s.stderr()}`);
  return startServer({ ...s.options, ...over, port: s.port });
}

// ---------------------------------------------------------------------------------------------------------
// The fleet API and /metrics

export interface DeviceDetail {
  device: DeviceRow;
  latest: { id: string; deviceId: string; receivedAt: string; report: WireReport } | null;
  history: Array<{ id: string; createdAt: string; receivedAt: string; compliant: boolean; repaired: number; events: number }>;
  events: Array<{ deviceId: string; at: string; kind: string; user: string | null; path: string | null; codes: string[]; message: string | null }>;
}

async function adminGet<T>(url: string): Promise<T> {
  const r = await request(url, { headers: bearer(ADMIN) });
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${r.text}`);
  return r.json as T;
}

export const fleet = {
  devices: async (s: { url: string }): Promise<DeviceRow[]> => (await adminGet<{ devices: DeviceRow[] }>(`${s.url}/v1/fleet/devices`)).devices,
  /** null for a device the server does not know (404). */
  device: async (s: { url: string }, id: string): Promise<DeviceDetail | null> => {
    const r = await request(`${s.url}/v1/fleet/devices/${encodeURIComponent(id)}?history=500&events=500`, { headers: bearer(ADMIN) });
    if (r.status === 404) return null;
    if (r.status !== 200) throw new Error(`GET device ${id}: ${r.status} ${r.text}`);
    return r.json as DeviceDetail;
  },
  summary: (s: { url: string }): Promise<FleetSummary> => adminGet<FleetSummary>(`${s.url}/v1/fleet/summary`),
};

/** One /metrics scrape, parsed strictly; `v(name, labels)` is 0 for a series not (yet) exposed. */
export async function metrics(s: { url: string }): Promise<{ v(name: string, labels?: Record<string, string>): number }> {
  const r = await request(`${s.url}/metrics`);
  if (r.status !== 200) throw new Error(`/metrics: ${r.status}`);
  const e = parseExposition(r.text);
  return { v: (name, labels = {}) => e.value(name, labels) ?? 0 };
}

/**
 * A request with a declared Content-Length and no body sent: the server must answer from the head alone
 * (a 413 before reading a byte). Resolves with the status and the JSON error body.
 */
export function headOnly(url: string, head: string): Promise<{ status: number; json: { error?: { code?: string } } }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), '127.0.0.1');
    let got = '';
    sock.on('connect', () => sock.write(head));
    sock.setEncoding('utf8').on('data', (d: string) => {
      got += d;
      const end = got.indexOf('\r\n\r\n');
      const len = end < 0 ? null : /content-length: (\d+)/i.exec(got.slice(0, end));
      if (end >= 0 && len && Buffer.byteLength(got.slice(end + 4)) >= Number(len[1])) {
        sock.destroy();
        resolve({ status: Number(got.slice(9, 12)), json: JSON.parse(got.slice(end + 4)) as { error?: { code?: string } } });
      }
    });
    sock.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Agents

export const SETTINGS = '/home/alice/.claude/settings.json';
export const DROPIN = '/etc/claude-code/managed-settings.d/50-ccfleet.json';

export interface AgentMachine extends Machine {
  config: string;
  stateDir: string;
  spoolDir: string;
  /** `ccfleet report --once --json` (async: the server is another process, this one keeps reading pipes). */
  report(): Promise<CliResult>;
  /** `ccfleet daemon --config …` ("daemon started" awaited). */
  daemon(): Promise<DaemonProcess>;
  /** The device id the agent holds a token for (throws when not enrolled). */
  deviceId(): string;
  tokenFile: string;
  /** Report ids waiting in the spool, oldest first. */
  spooled(): string[];
  /** Claude Code's way of writing settings: temp file + rename, 2-space JSON. */
  rewrite(machinePath: string, value: unknown): void;
  json(machinePath: string): Record<string, unknown>;
}

const SPOOL_NAME = /^\d{13}-\d{6}-(.+)\.json$/;

/**
 * A linux fixture root with alice (a `model` key that bypasses the gateway's aliases, a project, and a
 * transcript: the model she really used) and bob (nothing set), and an agent config naming the server,
 * the enrolment secret and the pinned public key (reports debounced 0.1 s, so a change is sent at once).
 */
export function agentMachine(serverUrl: string, publicKey: string): AgentMachine {
  const m = makeMachine('linux', [{ name: 'alice' }, { name: 'bob' }]);
  m.write(SETTINGS, '{\n  "theme": "dark",\n  "model": "claude-opus-4-5"\n}\n');
  m.write('/home/alice/.claude.json', JSON.stringify({ hasCompletedOnboarding: true, projects: { '/home/alice/api': {} } }));
  m.write('/home/alice/api/.git/HEAD', 'ref: refs/heads/main\n');
  const turn = (minsAgo: number) => JSON.stringify({ type: 'assistant', timestamp: new Date(Date.now() - minsAgo * 60_000).toISOString(), cwd: '/home/alice/api', requestedModel: 'opus', message: { model: 'claude-opus-4-5' } });
  m.write('/home/alice/.claude/projects/-home-alice-api/session-1.jsonl', `${turn(30)}\n${turn(10)}\n`);
  m.write('/home/bob/.claude.json', '{"projects":{}}');
  const config = agentConfig(m, { server: serverUrl, enrollSecret: ENROLL, policyPublicKeys: [publicKey], reportDebounceSeconds: 0.1 });
  const stateDir = m.host('/var/lib/ccfleet');
  const spoolDir = path.join(stateDir, 'spool');
  const tokenFile = path.join(stateDir, 'device-token');
  const rewrite = (p: string, value: unknown) => {
    const h = m.host(p);
    const tmp = `${h}.tmp.${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    fs.renameSync(tmp, h);
  };
  return {
    ...m,
    config,
    stateDir,
    spoolDir,
    tokenFile,
    rewrite,
    json: (p) => JSON.parse(fs.readFileSync(m.host(p), 'utf8')) as Record<string, unknown>,
    report: () => cliAsync(['report', '--once', '--json', '--root', m.root, '--platform', 'linux', '--config', config]),
    daemon: () => startDaemon(m, ['--config', config]),
    deviceId: () => (JSON.parse(fs.readFileSync(tokenFile, 'utf8')) as { deviceId: string }).deviceId,
    spooled: () =>
      fs.existsSync(spoolDir)
        ? fs.readdirSync(spoolDir).filter((n) => SPOOL_NAME.test(n)).sort().map((n) => SPOOL_NAME.exec(n)![1]!)
        : [],
  };
}

/** The spooled file of a report id (host path). */
export function spoolFile(a: AgentMachine, id: string): string {
  const name = fs.readdirSync(a.spoolDir).find((n) => SPOOL_NAME.exec(n)?.[1] === id);
  if (name === undefined) throw new Error(`report ${id} is not in the spool`);
  return path.join(a.spoolDir, name);
}
