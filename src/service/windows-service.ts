/**
 * The Windows service `ccfleet` as data: one pure builder shared by the MSI (installers/windows, which
 * writes it as ServiceInstall + Registry rows) and `ccfleet service install` on Windows (which runs the
 * nssm command lines), so every install path registers the same service.
 *
 * Node cannot answer the service control manager, so the service's binary is NSSM 2.23 (`nssm.exe`
 * beside `ccfleet.exe`): it runs `ccfleet.exe daemon`, reports to the SCM, stops the daemon with Ctrl+C
 * (Node's SIGINT: the daemon exits 0) and restarts it whenever it exits on its own. NSSM reads everything
 * from `HKLM\SYSTEM\CurrentControlSet\Services\<name>\Parameters`; `nssm set` writes exactly those values,
 * so the registry rows and the command lines below are two spellings of one list (nssmParameters).
 *
 * Restart policy: every exit restarts, after AppRestartDelay, and NSSM throttles a daemon that dies
 * within AppThrottle with growing pauses (up to a few minutes). That includes exit code 2 (no or invalid
 * agent config): on Windows the config often arrives after the package (Intune pushes the registry
 * policy or agent.json later) and there is no path-unit equivalent to start the service when it does, so
 * retrying is what picks it up. stdout/stderr go to `<data>\logs\service.log`, rotated online at 10 MiB
 * (NSSM keeps rotated files, named with a timestamp; the daemon's own JSON log, ccfleet.log, is separate
 * and pruned by the daemon).
 */

export interface WindowsServiceOptions {
  /** Service name (the SCM key and what `sc`/`nssm` take). */
  name?: string;
  displayName?: string;
  description?: string;
  /** Folder holding ccfleet.exe and nssm.exe. No trailing backslash. */
  installDir?: string;
  /** Folder holding agent.json, state\ and logs\; the daemon's working directory. No trailing backslash. */
  dataDir?: string;
  /** Arguments after ccfleet.exe. */
  args?: readonly string[];
  /** Milliseconds NSSM waits before restarting the daemon after it exits. */
  restartDelayMs?: number;
  /** A daemon that ran less than this many milliseconds is restarted with growing pauses. */
  throttleMs?: number;
  /** Milliseconds the daemon gets after Ctrl+C before NSSM terminates it. */
  stopTimeoutMs?: number;
  /** service.log is rotated when it grows past this many bytes (0: never). */
  rotateBytes?: number;
}

export const WINDOWS_SERVICE_DEFAULTS = {
  name: 'ccfleet',
  displayName: 'ccfleet agent',
  description: "Keeps Claude Code on the company's gateway: enforces the ccfleet policy and reports compliance.",
  installDir: 'C:\\Program Files\\ccfleet',
  dataDir: 'C:\\ProgramData\\ccfleet',
  args: ['daemon'],
  restartDelayMs: 5_000,
  throttleMs: 5_000,
  stopTimeoutMs: 15_000,
  rotateBytes: 10 * 1024 * 1024,
} as const;

export const WINDOWS_EXE = 'ccfleet.exe';
export const NSSM_EXE = 'nssm.exe';
/** The Linux executable the Windows service runs inside WSL distros. */
export const WSL_LINUX_EXE = 'ccfleet-linux-x64';
/** The service's stdout/stderr capture, in `<data>\logs`. */
export const SERVICE_LOG = 'service.log';

export type RegType = 'REG_SZ' | 'REG_EXPAND_SZ' | 'REG_DWORD';

/** One NSSM setting: how `nssm set` names it and where NSSM keeps it in the registry. */
export interface NssmParameter {
  /** `nssm set <service> <parameter> [<qualifier>] <value>`. */
  parameter: string;
  /** AppExit's exit code (`Default` for every code not listed). */
  qualifier?: string;
  /** Key relative to `HKLM\SYSTEM\CurrentControlSet\Services\<name>`. */
  key: string;
  /** Registry value name; '' is the key's default value. */
  valueName: string;
  type: RegType;
  value: string | number;
}

/** The service as the SCM sees it. The binary is nssm.exe, run without arguments. */
export interface WindowsServiceSpec {
  name: string;
  displayName: string;
  description: string;
  /** Full path of nssm.exe: the service's ImagePath. */
  binary: string;
  /** The daemon NSSM runs. */
  application: string;
  appParameters: string;
  appDirectory: string;
  logFile: string;
  start: 'auto';
  account: 'LocalSystem';
  type: 'ownProcess';
  parameters: NssmParameter[];
}

type Resolved = Required<WindowsServiceOptions>;

function resolve(o: WindowsServiceOptions): Resolved {
  const r: Resolved = { ...WINDOWS_SERVICE_DEFAULTS, ...stripUndefined(o) };
  if (!/^[A-Za-z0-9_.-]{1,80}$/.test(r.name)) throw new Error(`service name ${JSON.stringify(r.name)}: letters, digits, _ . - only`);
  for (const [what, v] of [['displayName', r.displayName], ['description', r.description], ['installDir', r.installDir], ['dataDir', r.dataDir]] as const) {
    if (v === '' || /[\x00-\x1f"]/.test(v)) throw new Error(`${what}: ${JSON.stringify(v)} is empty or holds a quote or control character`);
  }
  for (const [what, v] of [['installDir', r.installDir], ['dataDir', r.dataDir]] as const) {
    if (v.endsWith('\\')) throw new Error(`${what}: ${JSON.stringify(v)} must not end with a backslash`);
  }
  for (const a of r.args) if (a === '' || /[\x00-\x1f"]/.test(a)) throw new Error(`argument ${JSON.stringify(a)} is empty or holds a quote or control character`);
  for (const [what, v] of [['restartDelayMs', r.restartDelayMs], ['throttleMs', r.throttleMs], ['stopTimeoutMs', r.stopTimeoutMs], ['rotateBytes', r.rotateBytes]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new Error(`${what}: ${v} is not a DWORD`);
  }
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The service: SCM settings plus every NSSM parameter, in the order `nssm set` would apply them. */
export function windowsServiceSpec(options: WindowsServiceOptions = {}): WindowsServiceSpec {
  const o = resolve(options);
  const application = `${o.installDir}\\${WINDOWS_EXE}`;
  const appParameters = windowsCommandLine(o.args);
  const logFile = `${o.dataDir}\\logs\\${SERVICE_LOG}`;
  const p = (parameter: string, type: RegType, value: string | number): NssmParameter => ({ parameter, key: 'Parameters', valueName: parameter, type, value });
  const parameters: NssmParameter[] = [
    p('Application', 'REG_EXPAND_SZ', application),
    p('AppParameters', 'REG_EXPAND_SZ', appParameters),
    p('AppDirectory', 'REG_EXPAND_SZ', o.dataDir),
    { parameter: 'AppExit', qualifier: 'Default', key: 'Parameters\\AppExit', valueName: '', type: 'REG_EXPAND_SZ', value: 'Restart' },
    p('AppRestartDelay', 'REG_DWORD', o.restartDelayMs),
    p('AppThrottle', 'REG_DWORD', o.throttleMs),
    // Stop: Ctrl+C (the daemon's clean stop), then TerminateProcess; skip WM_CLOSE and WM_QUIT (2 | 4):
    // the daemon has no window and no message loop, so they would only add their timeouts.
    p('AppStopMethodSkip', 'REG_DWORD', 6),
    p('AppStopMethodConsole', 'REG_DWORD', o.stopTimeoutMs),
    p('AppStdout', 'REG_EXPAND_SZ', logFile),
    p('AppStderr', 'REG_EXPAND_SZ', logFile),
    p('AppRotateFiles', 'REG_DWORD', o.rotateBytes > 0 ? 1 : 0),
    p('AppRotateOnline', 'REG_DWORD', o.rotateBytes > 0 ? 1 : 0),
    p('AppRotateBytes', 'REG_DWORD', o.rotateBytes),
  ];
  return {
    name: o.name,
    displayName: o.displayName,
    description: o.description,
    binary: `${o.installDir}\\${NSSM_EXE}`,
    application,
    appParameters,
    appDirectory: o.dataDir,
    logFile,
    start: 'auto',
    account: 'LocalSystem',
    type: 'ownProcess',
    parameters,
  };
}

/**
 * `ccfleet service install` on Windows: argv lists to run in order (each starts with nssm.exe's path).
 * `nssm install` registers the service with its defaults; every later `set` is idempotent, so running the
 * list again over an existing service re-applies the definition (after `nssm install` fails with "service
 * already exists", which the caller may ignore).
 */
export function nssmInstallCommands(options: WindowsServiceOptions = {}): string[][] {
  const s = windowsServiceSpec(options);
  const nssm = s.binary;
  const cmds: string[][] = [[nssm, 'install', s.name, s.application, ...(options.args ?? WINDOWS_SERVICE_DEFAULTS.args)]];
  cmds.push(
    [nssm, 'set', s.name, 'DisplayName', s.displayName],
    [nssm, 'set', s.name, 'Description', s.description],
    [nssm, 'set', s.name, 'Type', 'SERVICE_WIN32_OWN_PROCESS'],
    [nssm, 'set', s.name, 'Start', 'SERVICE_AUTO_START'],
    [nssm, 'set', s.name, 'ObjectName', 'LocalSystem'],
  );
  for (const p of s.parameters) {
    if (p.parameter === 'Application') continue; // given to `nssm install`
    cmds.push([nssm, 'set', s.name, p.parameter, ...(p.qualifier !== undefined ? [p.qualifier] : []), String(p.value)]);
  }
  return cmds;
}

/** Starts the installed service. */
export function nssmStartCommand(options: WindowsServiceOptions = {}): string[] {
  const s = windowsServiceSpec(options);
  return [s.binary, 'start', s.name];
}

/**
 * The inverse of nssmInstallCommands: stop (the caller ignores "not started"), then remove the service and
 * its Parameters key. Files, agent.json, state and logs are left alone.
 */
export function nssmUninstallCommands(options: WindowsServiceOptions = {}): string[][] {
  const s = windowsServiceSpec(options);
  return [
    [s.binary, 'stop', s.name],
    [s.binary, 'remove', s.name, 'confirm'],
  ];
}

/**
 * One argument quoted the way CommandLineToArgvW and the C runtime split it: unchanged when it has no
 * space, tab or quote; otherwise in quotes, with backslashes doubled before a quote or the closing quote.
 */
export function windowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      slashes++;
      continue;
    }
    if (ch === '"') {
      out += '\\'.repeat(slashes * 2 + 1) + '"';
    } else {
      out += '\\'.repeat(slashes) + ch;
    }
    slashes = 0;
  }
  return out + '\\'.repeat(slashes * 2) + '"';
}

/** An argv list as one Windows command line (what `sc`, `msiexec` and an Intune install command take). */
export function windowsCommandLine(argv: readonly string[]): string {
  return argv.map(windowsArg).join(' ');
}
