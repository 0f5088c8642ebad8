/**
 * `ccfleet daemon`: runs in the foreground until SIGTERM/SIGINT (exit 0), SIGHUP reloads the agent config
 * and fetches the policy. The policy comes from --policy, else the agent config's `policy`, else
 * `<server>/v1/policy`. Logs: JSON lines in the log folder (agent config `logDir`, else the platform's,
 * under --root when given) and plain lines on stderr (systemd/launchd keep them; stdout stays empty).
 * Every failure before the daemon runs is exit 2 with the reason (a bad config names the field).
 */
import os from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '../../agent/agent-config.js';
import { Daemon } from '../../agent/daemon/daemon.js';
import { createLogger, type LogLevel } from '../../agent/log.js';
import type { PolicyClientOptions } from '../../agent/policy-client.js';
import { readToken } from '../../agent/report/enroll.js';
import { createDaemonReporting } from '../../agent/report/daemon-reporting.js';
import { createDaemonWsl } from '../../agent/wsl/daemon-wsl.js';
import { CcfleetError } from '../../core/errors.js';
import { toHostPath } from '../../platform/root-path.js';
import type { CommonOptions } from '../args.js';
import { baseContext, loadConfig, type RunContext } from '../context.js';
import { VERSION } from '../version.js';
import type { CommandResult } from './result.js';

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

export async function daemonCommand(opts: CommonOptions, extra: Record<string, unknown>): Promise<CommandResult> {
  if (opts.dryRun) throw new CcfleetError('USAGE', '--dry-run is for repair (the daemon repairs)');
  const level = extra['log-level'];
  if (level !== undefined && !LEVELS.includes(level as LogLevel)) throw new CcfleetError('USAGE', `--log-level must be one of ${LEVELS.join(', ')}`);
  const ctx = baseContext(opts);
  const host = (p: string) => toHostPath(ctx.root, ctx.platform.name, p, path.sep);
  let policy = policyOptions(opts, ctx.config, ctx);
  const logDir = ctx.config.logDir ? host(ctx.config.logDir) : ctx.root === null && process.getuid?.() !== 0 ? null : host(ctx.platform.agentPaths.logs);
  const log = createLogger({ logDir, console: opts.json ? 'json' : 'plain', level: (level as LogLevel | undefined) ?? ctx.config.logLevel ?? 'info' });
  process.stderr.on('error', () => undefined); // a closed stderr (EPIPE) must not kill the daemon

  // Reporting (agent config "server"): the reporter follows every pass; a policy served by the server needs
  // the device token, so enroll first, and fetch the policy again whenever the device enrolls anew.
  let daemon: Daemon | null = null;
  const policyFromServer = ctx.config.server !== undefined && policy.source === serverPolicyUrl(ctx.config.server);
  const reporting = ctx.config.server
    ? createDaemonReporting({
        config: ctx.config,
        stateDir: ctx.stateDir,
        platform: ctx.platform.name,
        agentVersion: VERSION,
        userAgent: `ccfleet/${VERSION} (${os.platform()}; daemon)`,
        log,
        policyDigest: () => daemon?.status().policy?.digest ?? null,
        ...(policyFromServer ? { onEnrolled: () => daemon?.reload(policyOptions(opts, ctx.config, ctx)) } : {}),
      })
    : null;
  if (reporting && policyFromServer) {
    await reporting.enrollIfNeeded(10_000);
    policy = policyOptions(opts, ctx.config, ctx);
  }

  daemon = new Daemon({
    deps: ctx.deps,
    stateDir: ctx.stateDir,
    policy,
    log,
    ...(ctx.config.policyRefresh?.cron ? { policyCron: ctx.config.policyRefresh.cron } : {}),
    ...(ctx.config.policyRefresh?.jitterSeconds !== undefined ? { policyJitterSeconds: ctx.config.policyRefresh.jitterSeconds } : {}),
    ...(ctx.config.resyncCron ? { resyncCron: ctx.config.resyncCron } : {}),
    ...(ctx.config.resyncMinutes ? { resyncMs: ctx.config.resyncMinutes * 60_000 } : {}),
    ...(ctx.config.repairRateLimit ? { rateLimit: { capacity: ctx.config.repairRateLimit.burst ?? 10, refillPerSec: (ctx.config.repairRateLimit.perMinute ?? 6) / 60 } } : {}),
    ...(ctx.config.repairRateLimit?.contestGapSeconds !== undefined ? { contestGapMs: ctx.config.repairRateLimit.contestGapSeconds * 1000 } : {}),
    ...(ctx.config.watch === 'polling' ? { polling: true } : {}),
    ...(opts.users.length ? { users: opts.users } : {}),
    ...(reporting ? { onPass: reporting.reporter.onPass } : {}),
  });
  reporting?.reporter.attach(daemon);
  // Windows: each WSL distribution enforced with the Linux executable and reported as its own device (docs/wsl.md).
  const wsl = createDaemonWsl({ platform: ctx.platform.name, root: ctx.root, config: ctx.config, stateDir: ctx.stateDir, log, digest: () => daemon?.status().policy?.digest ?? null, reporting: reporting?.parts ?? null, agentVersion: VERSION });
  const running = daemon;
  log.info(`ccfleet ${VERSION} daemon starting`, { pid: process.pid, platform: ctx.platform.name, root: ctx.root, stateDir: ctx.stateDir, policySource: showSource(policy.source) });

  return new Promise<CommandResult>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: stopping`);
      void Promise.all([running.stop(), wsl?.stop()])
        .then(() => reporting?.reporter.stop())
        .then(() => log.close())
        // chokidar releases its native watch handles lazily (about a second after close() resolves): every
        // write is finished and the logs are flushed by now, so the process ends at once.
        .then(() => resolve({ exitCode: 0, stdout: '', exitNow: true }));
    };
    const hup = () => {
      try {
        const config = loadConfig(opts, ctx.platform, ctx.root);
        log.info('SIGHUP: agent config reloaded; fetching the policy and resyncing');
        running.reload(policyOptions(opts, config, ctx));
      } catch (e) {
        log.error(`SIGHUP: the agent config is not valid, keeping the running one: ${(e as Error).message}`);
        running.reload();
      }
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', hup);
    running
      .start()
      .then(() => reporting?.reporter.start())
      .then(() => wsl?.start())
      .catch((e: unknown) => {
        log.error(`daemon could not start: ${(e as Error).message}`);
        void Promise.all([running.stop(), wsl?.stop()])
          .then(() => reporting?.reporter.stop())
          .then(() => log.close())
          .then(() => resolve({ exitCode: 2, stdout: '', exitNow: true }));
      });
  });
}

function policyOptions(opts: CommonOptions, config: AgentConfig, ctx: RunContext): PolicyClientOptions {
  const source = opts.policy ?? config.policy ?? (config.server ? serverPolicyUrl(config.server) : undefined);
  if (!source) throw new CcfleetError('POLICY_NOT_FOUND', 'no policy: pass --policy <file-or-url>, or set "policy" or "server" in the agent config');
  const local = !/^https?:\/\//i.test(source);
  // The server's own policy route wants the device token (enrolled by the reporter); nobody else gets it.
  const token = config.server && source === serverPolicyUrl(config.server) ? readToken(ctx.stateDir, config.server) : null;
  return {
    source: local ? path.resolve(source) : source,
    publicKeys: config.policyPublicKeys ?? [],
    stateDir: ctx.stateDir,
    ...(config.caFile ? { caFile: config.caFile } : {}),
    ...(config.policySignatureUrl ? { signatureUrl: config.policySignatureUrl } : {}),
    userAgent: `ccfleet/${VERSION} (${os.platform()}; daemon)`,
    ...(token ? { headers: { authorization: `Bearer ${token.token}` } } : {}),
  };
}

const serverPolicyUrl = (server: string): string => `${server.replace(/\/+$/, '')}/v1/policy`;

/** A URL without user info or query (either could carry a token). */
function showSource(s: string): string {
  if (!/^https?:\/\//i.test(s)) return s; // a file path (C:\… is not a URL whose scheme is "c:")
  try {
    const u = new URL(s);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return s;
  }
}
