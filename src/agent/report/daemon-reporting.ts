/**
 * Reporting inside `ccfleet daemon` (only when the agent config names a `server`): the reporter on the
 * config's cadence — `reportDebounceSeconds` (default 5), `heartbeatMinutes` (default 60, ±10 %) or
 * `reportCron` with `reportJitterSeconds` (default 300) — over the spool, enrollment and sender of setup.ts.
 * `policyDigest` and the policy's `report.homePaths` come from the daemon's applied policy.
 */
import type { PlatformName } from '../../platform/types.js';
import type { AgentConfig } from '../agent-config.js';
import type { Logger } from '../log.js';
import type { DeviceToken } from './enroll.js';
import { createPostClient } from './http-post.js';
import { cachedReportOptions } from './policy-report-options.js';
import { Reporter } from './reporter.js';
import { reportingParts, type ReportingParts } from './setup.js';

export interface DaemonReporting {
  reporter: Reporter;
  parts: ReportingParts;
  /** Enrolls now when there is no token yet (a daemon whose policy comes from the server needs one). */
  enrollIfNeeded(timeoutMs: number): Promise<void>;
}

export interface DaemonReportingOptions {
  config: AgentConfig;
  stateDir: string;
  platform: PlatformName;
  agentVersion: string;
  userAgent: string;
  log: Logger;
  /** The digest of the policy the daemon enforces now (Daemon.status().policy?.digest). */
  policyDigest: () => string | null;
  onEnrolled?: (t: DeviceToken) => void;
}

export function createDaemonReporting(o: DaemonReportingOptions): DaemonReporting {
  const parts = reportingParts({ config: o.config, stateDir: o.stateDir, platform: o.platform, agentVersion: o.agentVersion, userAgent: o.userAgent, log: o.log, ...(o.onEnrolled ? { onEnrolled: o.onEnrolled } : {}) });
  const options = cachedReportOptions(o.stateDir);
  const c = o.config;
  const reporter = new Reporter({
    spool: parts.spool,
    sender: parts.sender,
    identity: parts.identity,
    policy: () => {
      const digest = o.policyDigest();
      return { digest, ...options(digest) };
    },
    log: o.log,
    ...(c.reportDebounceSeconds !== undefined ? { debounceMs: c.reportDebounceSeconds * 1000 } : {}),
    heartbeat: c.reportCron !== undefined ? { cron: c.reportCron, jitterSeconds: c.reportJitterSeconds ?? 300 } : { everyMs: (c.heartbeatMinutes ?? 60) * 60_000 },
  });
  return {
    reporter,
    parts,
    async enrollIfNeeded(timeoutMs) {
      if (parts.enrollment.token() !== null) return;
      const http = createPostClient({ ...parts.http, timeoutMs });
      try {
        const r = await parts.enrollment.ensure(http);
        if (r.kind === 'enrolled') o.log.info('enrolled with the server', { deviceId: r.token.deviceId });
        else o.log.warn(`not enrolled yet: ${r.message}`);
      } finally {
        await http.close();
      }
    },
  };
}
