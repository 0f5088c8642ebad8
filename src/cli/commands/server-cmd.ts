/**
 * `ccfleet server`: the Bifrost-side server in the foreground (options: server-options.ts).
 *
 * Start-up, each failure exit 2 with its reason: options → TLS files → the policy (validated; signed in
 * memory with --signing-key) → the store (migrations applied) → the socket. Once it accepts connections,
 * exactly one line goes to stdout: `listening on http(s)://<host>:<port>` (port 0 picks a free one and the
 * line names it). Logs are plain lines on stderr, secrets redacted.
 * SIGHUP re-reads the policy. SIGTERM/SIGINT: stop accepting, let requests in flight finish (10 s at
 * most), stop retention, close the store, exit 0.
 */
import fs from 'node:fs';
import { createLogger } from '../../agent/log.js';
import { CcfleetError } from '../../core/errors.js';
import { createApp } from '../../server/app.js';
import { hashSecret } from '../../server/admin-auth.js';
import { createDashboard } from '../../server/dashboard/index.js';
import { listen } from '../../server/listen.js';
import { filePolicy, folderPolicy, staticPolicy, type PolicySource } from '../../server/policy-source.js';
import { startRetention } from '../../server/retention.js';
import { openStore } from '../../server/store/open.js';
import type { Store } from '../../server/store/types.js';
import type { CommonOptions } from '../args.js';
import { VERSION } from '../version.js';
import type { CommandResult } from './result.js';
import { serverConfig, type ServerConfig } from './server-options.js';

export async function serverCommand(opts: CommonOptions, extra: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  const cfg = serverConfig(opts, extra, env);
  const log = createLogger({ logDir: null, console: opts.json ? 'json' : 'plain', level: cfg.logLevel });
  log.addSecrets([...cfg.adminTokens, ...cfg.enrollSecrets]);
  process.stderr.on('error', () => undefined); // a closed stderr (EPIPE) must not kill the server
  for (const w of cfg.warnings) log.warn(w);

  let policy: PolicySource | null = null;
  let store: Store | null = null;
  try {
    const tls = cfg.tls ? { cert: readPem(cfg.tls.cert, '--tls-cert'), key: readPem(cfg.tls.key, '--tls-key') } : undefined;
    policy = openPolicy(cfg, log);
    store = await openStore(cfg.store, { staleHours: cfg.staleHours });
    const app = createApp({
      store,
      adminTokenHashes: cfg.adminTokens.map(hashSecret),
      enrollSecretHashes: cfg.enrollSecrets.map(hashSecret),
      policy,
      limits: { reportRate: cfg.rate, policyRate: cfg.rate },
      trustProxy: cfg.trustProxy,
      log,
      dashboard: createDashboard({ cookieSecure: cfg.cookieSecure, log: (line) => log.error(line) }),
    });
    const server = await listen(app, { host: cfg.host, port: cfg.port, ...(tls ? { tls } : {}) });
    const retention = startRetention({ store, historyDays: cfg.historyDays, log, onPruned: (n) => (app.metrics.historyPruned += n) });
    log.info(`ccfleet ${VERSION} server on ${server.url}`, { pid: process.pid, store: store.kind, policy: describePolicy(cfg), historyDays: cfg.historyDays, staleHours: cfg.staleHours, cookieSecure: cfg.cookieSecure, trustProxy: cfg.trustProxy.join(',') || 'none' });
    // The one line on stdout, once connections are accepted (scripts wait for it and read the port).
    process.stdout.write(`listening on ${server.url}\n`);

    const openedStore = store;
    const openedPolicy = policy;
    return await new Promise<CommandResult>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info(`${signal}: stopping (finishing requests in flight)`);
        app.drain();
        void server
          .close(10_000)
          .then(() => retention.stop())
          .then(() => {
            openedPolicy.close();
            app.close();
            return openedStore.close();
          })
          .catch((e: unknown) => log.error(`while stopping: ${(e as Error).message}`))
          .then(() => log.info('stopped'))
          .then(() => log.close())
          .then(() => resolve({ exitCode: 0, stdout: '', exitNow: true }));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGHUP', () => {
        log.info('SIGHUP: reading the policy again');
        openedPolicy.reload();
      });
    });
  } catch (e) {
    policy?.close();
    await store?.close().catch(() => undefined);
    await log.close();
    throw e;
  }
}

function openPolicy(cfg: ServerConfig, log: ReturnType<typeof createLogger>): PolicySource {
  const p = cfg.policy;
  if (p === null) {
    log.warn('no --policy or --policy-dir: GET /v1/policy answers 404 (agents then use their own policy source)');
    return staticPolicy(null);
  }
  if (p.kind === 'dir') return folderPolicy({ dir: p.dir, allowUnsigned: cfg.allowUnsigned, log });
  return filePolicy({ file: p.file, ...(p.signingKey ? { signingKeyPem: readPem(p.signingKey, '--signing-key').toString('utf8') } : {}), allowUnsigned: cfg.allowUnsigned, log });
}

function readPem(file: string, flag: string): Buffer {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new CcfleetError('CONFIG_INVALID', `${flag} ${file}: not a regular file`);
    if (st.size > 1024 * 1024) throw new CcfleetError('CONFIG_INVALID', `${flag} ${file}: larger than 1 MiB, not a PEM file`);
    return fs.readFileSync(file);
  } catch (e) {
    if (e instanceof CcfleetError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CcfleetError('CONFIG_INVALID', `${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

function describePolicy(cfg: ServerConfig): string {
  const p = cfg.policy;
  if (p === null) return 'none';
  return p.kind === 'dir' ? `folder ${p.dir}` : `${p.file}${p.signingKey ? ' (signed at start)' : ''}`;
}
