/**
 * The reporting parts both `ccfleet daemon` and `ccfleet report` put together from the agent config: the
 * spool in the state dir, the enrollment (device id from device-id.ts, token in the state dir), the sender
 * (undici with the config's `caFile`, proxies from the environment) and who is reporting. A config without
 * `server`, or with an unreadable `caFile`, is CONFIG_INVALID (exit 2) before anything is sent.
 */
import os from 'node:os';
import { CcfleetError } from '../../core/errors.js';
import type { PlatformName } from '../../platform/types.js';
import type { AgentConfig } from '../agent-config.js';
import { trustFromCaFile } from '../ca-bundle.js';
import { deviceId } from '../device-id.js';
import type { Logger } from '../log.js';
import { Enrollment, type DeviceToken } from './enroll.js';
import type { PostClientOptions } from './http-post.js';
import type { Identity } from './reporter.js';
import { Sender } from './sender.js';
import { Spool } from './spool.js';

export interface ReportingParts {
  server: string;
  spool: Spool;
  enrollment: Enrollment;
  sender: Sender;
  identity: () => Identity;
  /** The HTTP settings the sender uses (for an enrollment outside a delivery round). */
  http: Omit<PostClientOptions, 'signal'>;
}

export interface ReportingSetup {
  config: AgentConfig;
  stateDir: string;
  platform: PlatformName;
  agentVersion: string;
  userAgent: string;
  log: Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  onEnrolled?: (t: DeviceToken) => void;
}

/** What an enrollment needs without a spool (the policy fetch of `check`/`repair` with only a server configured). */
export interface EnrollmentParts {
  server: string;
  enrollment: Enrollment;
  http: Omit<PostClientOptions, 'signal'>;
  device: string;
  hostname: string;
}

export function enrollmentParts(o: Omit<ReportingSetup, 'log' | 'platform' | 'agentVersion'>): EnrollmentParts {
  const server = o.config.server;
  if (server === undefined) throw new CcfleetError('CONFIG_INVALID', 'reporting needs "server" in the agent config');
  const ca = trustFromCaFile(o.config.caFile);
  const device = deviceId(o.stateDir);
  const hostname = os.hostname();
  const enrollment = new Enrollment({ stateDir: o.stateDir, server, enrollSecret: o.config.enrollSecret, deviceId: device, hostname, ...(o.onEnrolled ? { onEnrolled: o.onEnrolled } : {}) });
  const http = { timeoutMs: o.timeoutMs ?? 30_000, userAgent: o.userAgent, ...(ca ? { ca } : {}) };
  return { server, enrollment, http, device, hostname };
}

export function reportingParts(o: ReportingSetup): ReportingParts {
  const { server, enrollment, http, device, hostname } = enrollmentParts(o);
  const spool = Spool.open(o.stateDir, {
    onDrop: (d) => o.log.warn(d.reason === 'full' ? 'report spool full: the oldest report was dropped' : 'a damaged report file in the spool was discarded', { file: d.name }),
  });
  const sender = new Sender({ spool, server, enrollment, http, log: o.log });
  const identity = (): Identity => ({
    deviceId: enrollment.token()?.deviceId ?? device,
    hostname,
    agentVersion: o.agentVersion,
    os: { platform: o.platform, arch: os.arch(), release: os.release() },
  });
  return { server, spool, enrollment, sender, identity, http };
}
