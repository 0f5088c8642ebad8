/**
 * The systemd unit `ccfleet.service` as text: one pure builder shared by the .deb/.rpm/tar.gz recipes
 * (installers/linux) and `ccfleet service install`, so every install path runs the same hardened unit.
 *
 * What the daemon needs, and so what the sandbox leaves open (checked against the code, not guessed):
 * - it runs as root and reads every user's home (0700 homes: CAP_DAC_READ_SEARCH);
 * - it writes a user's files in a child started with that user's uid/gid (write-as-user.ts: libuv calls
 *   setgroups/setgid/setuid → CAP_SETUID, CAP_SETGID) and SIGKILLs a stuck child, which by then has
 *   another uid (CAP_KILL); as root it writes the managed drop-in and keeps owners/modes (CAP_CHOWN,
 *   CAP_FOWNER, CAP_DAC_OVERRIDE);
 * - it writes below /etc/claude-code (the managed drop-in), /var/lib/ccfleet, /var/log/ccfleet, and the
 *   users' homes and projects — so ProtectHome stays off and homes are listed writable;
 * - it talks HTTP(S) to the policy source and the server, and V8 needs writable+executable memory
 *   (hence no MemoryDenyWriteExecute).
 * Every other part of the system is read-only to it. Exit code 2 (a missing or invalid agent config or
 * policy source) is not restarted: restarting cannot fix it; ccfleet-config.path starts the service
 * again when the config file changes (systemd-config-watch.ts).
 */

export const SYSTEMD_SERVICE = 'ccfleet.service';

export interface SystemdUnitOptions {
  /** The installed executable (root-owned, in a root-only folder). */
  binary?: string;
  /** Folders the daemon must write besides its own and /etc/claude-code: where the users' homes are. */
  homes?: readonly string[];
  /** More writable folders (projects outside the homes, a configured stateDir/logDir). */
  extraWritablePaths?: readonly string[];
  /** systemd CPUQuota= (share of one CPU). */
  cpuQuota?: string;
  /** systemd MemoryHigh= (the kernel reclaims and throttles above it). */
  memoryHigh?: string;
  /** systemd MemoryMax= (hard limit; the daemon and its write children together). */
  memoryMax?: string;
  /** Seconds between a crash and the restart. */
  restartSec?: number;
}

export const SYSTEMD_DEFAULTS = {
  binary: '/usr/lib/ccfleet/ccfleet',
  // -prefixed: a folder that does not exist on this machine is skipped instead of failing the start.
  homes: ['/home', '/root', '/var/home'],
  cpuQuota: '50%',
  memoryHigh: '384M',
  memoryMax: '768M',
  restartSec: 5,
} as const;

/** The managed-settings folder Claude Code reads on Linux (platform/linux.ts). */
export const MANAGED_DIR = '/etc/claude-code';

/**
 * A path that can go into a unit file as is: absolute, no whitespace, quotes, backslashes, control
 * characters or systemd specifiers (%), so nothing can inject a directive or split a list.
 */
export function assertUnitPath(p: string, what: string): string {
  if (!/^\/[^\s"'\\%;\x00-\x1f\x7f]*$/.test(p)) throw new Error(`${what}: ${JSON.stringify(p)} is not an absolute path usable in a systemd unit`);
  return p;
}

const LIMIT = /^[0-9]+(\.[0-9]+)?[KMGT%]?$/;
function assertLimit(v: string, what: string): string {
  if (!LIMIT.test(v) && v !== 'infinity') throw new Error(`${what}: ${JSON.stringify(v)} is not a systemd size or percentage`);
  return v;
}

export function systemdUnit(options: SystemdUnitOptions = {}): string {
  const o = { ...SYSTEMD_DEFAULTS, ...options };
  const bin = assertUnitPath(o.binary, 'binary');
  const homes = o.homes.map((h) => `-${assertUnitPath(h, 'homes')}`);
  const extra = (o.extraWritablePaths ?? []).map((p) => assertUnitPath(p, 'extraWritablePaths'));
  if (!Number.isInteger(o.restartSec) || o.restartSec < 1) throw new Error(`restartSec: ${o.restartSec} is not a whole number of seconds ≥ 1`);
  const lines = [
    '# ccfleet agent: keeps Claude Code on the company gateway.',
    '# Installed by the ccfleet package; local changes belong in a drop-in: systemctl edit ccfleet',
    '[Unit]',
    'Description=ccfleet agent (Claude Code policy enforcement)',
    '# Homes on NFS/CIFS must be mounted before the watchers are armed; the policy comes over the network',
    '# (the daemon enforces its last-known-good policy and retries when the network is not there yet).',
    'After=network-online.target remote-fs.target nss-user-lookup.target',
    'Wants=network-online.target ccfleet-config.path',
    '# Never give up restarting (a crash loop is still rate-limited by RestartSec).',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${bin} daemon`,
    '# SIGHUP: the daemon reloads its agent config and fetches the policy now.',
    'ExecReload=/bin/kill -HUP $MAINPID',
    `# The managed-settings folder must exist to be made writable below; "+" runs this one step unsandboxed.`,
    `ExecStartPre=+/bin/mkdir -p -m 0755 ${MANAGED_DIR}`,
    'Restart=always',
    `RestartSec=${o.restartSec}`,
    '# Exit 2 = no or invalid agent config/policy source: a restart cannot fix it. ccfleet-config.path',
    '# starts the service again when /etc/ccfleet/agent.json changes.',
    'RestartPreventExitStatus=2',
    '# SIGTERM is a clean shutdown (exit 0) once in-flight writes are durable.',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    '# Plain log lines on stderr go to the journal; JSON lines also go to /var/log/ccfleet.',
    'StandardOutput=journal',
    'StandardError=journal',
    'SyslogIdentifier=ccfleet',
    '',
    '# --- resources: the daemon and its short-lived write children together ---',
    `# At most this share of one CPU (a full resync is slower, never a laptop's fan).`,
    `CPUQuota=${assertLimit(o.cpuQuota, 'cpuQuota')}`,
    '# Above MemoryHigh the kernel reclaims and throttles; MemoryMax is the hard limit (OOM kill → restart).',
    `MemoryHigh=${assertLimit(o.memoryHigh, 'memoryHigh')}`,
    `MemoryMax=${assertLimit(o.memoryMax, 'memoryMax')}`,
    '# Threads of the daemon plus up to four write children at once.',
    'TasksMax=256',
    '',
    '# --- filesystem ---',
    '# Files it creates are private unless it sets a mode itself (it always does for settings files).',
    'UMask=0077',
    '# /var/lib/ccfleet and /var/log/ccfleet: created 0700 root, writable under ProtectSystem=strict.',
    'StateDirectory=ccfleet',
    'StateDirectoryMode=0700',
    'LogsDirectory=ccfleet',
    'LogsDirectoryMode=0700',
    '# The whole file system read-only except /dev, /proc, /sys and the paths below.',
    'ProtectSystem=strict',
    '# The managed drop-in (/etc/claude-code/managed-settings.d/50-ccfleet.json).',
    `ReadWritePaths=-${MANAGED_DIR}`,
    '# Users\' settings files and project folders ("-": skipped when absent). Homes elsewhere:',
    '# systemctl edit ccfleet → [Service] ReadWritePaths=/srv/home',
    `ReadWritePaths=${homes.join(' ')}`,
    ...(extra.length ? ['# Extra writable paths chosen at install time.', `ReadWritePaths=${extra.join(' ')}`] : []),
    '# ProtectHome stays off: the daemon exists to edit ~/.claude/settings.json and project settings.',
    'ProtectHome=no',
    '# A private /tmp and /var/tmp (the daemon writes temp files beside their targets, never in /tmp).',
    'PrivateTmp=yes',
    '# Only pseudo-devices (/dev/null, /dev/urandom, ...); no raw disks.',
    'PrivateDevices=yes',
    '# Its own mount namespace: nothing it mounts (it mounts nothing) propagates to the host.',
    'PrivateMounts=yes',
    '# Other users\' processes are invisible in /proc (it never looks at processes).',
    'ProtectProc=invisible',
    '',
    '# --- privileges ---',
    '# Neither the daemon nor its children can gain privileges (setuid binaries, file capabilities).',
    'NoNewPrivileges=yes',
    '# Root, but only these capabilities: read every home (DAC_READ_SEARCH), keep owners and modes of files',
    '# it rewrites (CHOWN, FOWNER, DAC_OVERRIDE), start the write child as the user (SETUID, SETGID) and',
    '# kill it when stuck (KILL). Everything else (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ...) is dropped.',
    'CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE CAP_CHOWN CAP_FOWNER CAP_SETUID CAP_SETGID CAP_KILL',
    '# It never creates setuid/setgid files.',
    'RestrictSUIDSGID=yes',
    '',
    '# --- kernel and system ---',
    '# /proc/sys, /sys and friends read-only; no module loading; no kernel log; no clock or hostname changes.',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    '# No namespaces, no realtime scheduling, no personality switches, only native system calls.',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    '# Deny-list only (an allow-list is not verified against every Node/libuv code path): mount, swap,',
    '# reboot, modules, raw I/O, ptrace/perf, CPU emulation and obsolete calls fail with EPERM. Not @privileged',
    '# (it holds setuid/setgroups, which the write child needs) nor @resources (Node raises RLIMIT_NOFILE).',
    'SystemCallFilter=~@mount @swap @reboot @module @raw-io @debug @cpu-emulation @obsolete',
    'SystemCallErrorNumber=EPERM',
    '# Sockets: local (D-Bus, nss), IPv4/IPv6 for the policy and reports, netlink for getaddrinfo.',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    '# MemoryDenyWriteExecute is deliberately NOT set: V8 compiles JavaScript into writable+executable',
    '# memory and the daemon dies at start-up with it.',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '# enable/disable ccfleet also (dis)ables the config watcher.',
    'Also=ccfleet-config.path',
  ];
  return lines.join('\n') + '\n';
}
