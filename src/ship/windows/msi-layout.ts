/**
 * The names the Windows package is built from: fixed codes, directory and component ids, the public
 * properties IT sets on the msiexec command line. Changing UPGRADE_CODE breaks upgrades of every
 * installed agent — never change it.
 */
import { NSSM_EXE, WINDOWS_EXE, WSL_LINUX_EXE } from '../../service/windows-service.js';
import { WSL_TASK_XML } from './wsl-task.js';

/** Ties every ccfleet MSI together: a newer one removes an older one (MajorUpgrade). */
export const UPGRADE_CODE = '{62821836-A564-4ED5-B474-92CB73D8FA1A}';
/** The logs folder's component (no key file, so its GUID is fixed here). */
export const LOGS_COMPONENT_GUID = '{47D4B5E3-0EC3-49A1-B799-5230DE934B08}';

export const MANUFACTURER = 'ccfleet';
export const PRODUCT_NAME = 'ccfleet agent';

/**
 * Directory ids. Mixed case on purpose: MSI treats only all-uppercase properties as public, so nobody can
 * move the binaries to a user-writable folder with `INSTALLDIR=…` on the command line.
 */
export const DIR = {
  programFiles: 'ProgramFiles64Folder',
  commonAppData: 'CommonAppDataFolder',
  bin: 'CcfleetBinDir',
  data: 'CcfleetDataDir',
  logs: 'CcfleetLogsDir',
} as const;

/**
 * The install and data folders as MSI formatted strings: `[ProgramFiles64Folder]` resolves to
 * `C:\Program Files\` (trailing backslash), so these resolve to `C:\Program Files\ccfleet` and
 * `C:\ProgramData\ccfleet` — the paths the service definition expects, without a trailing backslash.
 */
export const FORMATTED_INSTALL_DIR = `[${DIR.programFiles}]ccfleet`;
export const FORMATTED_DATA_DIR = `[${DIR.commonAppData}]ccfleet`;

export const COMPONENT = {
  exe: 'CcfleetExe',
  service: 'CcfleetService',
  wsl: 'CcfleetWslLinux',
  wslTask: 'CcfleetWslTask',
  config: 'AgentConfig',
  logs: 'LogsFolder',
} as const;

export const FILE_ID = {
  exe: WINDOWS_EXE,
  nssm: NSSM_EXE,
  wsl: WSL_LINUX_EXE,
  wslTask: WSL_TASK_XML,
  config: 'agent.json',
} as const;

/** Public properties that write agent.json (see docs/install-windows.md) and the agent.json key each sets. */
export const CONFIG_PROPERTIES = [
  { property: 'SERVER_URL', key: 'server' },
  { property: 'ENROLL_SECRET', key: 'enrollSecret' },
  { property: 'POLICY_URL', key: 'policy' },
  { property: 'POLICY_PUBLIC_KEYS', key: 'policyPublicKeys' },
] as const;

/** Properties never written to an msiexec log (the secret, and the custom action data that holds it). */
export const HIDDEN_PROPERTIES = ['ENROLL_SECRET', 'PrepareAgentConfig', 'WriteAgentConfig'] as const;

export const CUSTOM_ACTION = {
  binary: 'CcfleetConfigScript',
  prepare: 'PrepareAgentConfig',
  write: 'WriteAgentConfig',
  prepareWslTask: 'PrepareWslTask',
  installWslTask: 'InstallWslTask',
  removeWslTask: 'RemoveWslTask',
} as const;

/**
 * WSL_TASK=0 on the msiexec command line: no per-user WSL task (src/ship/windows/wsl-task.ts). Present
 * only in a package that carries the Linux executable.
 */
export const WSL_TASK_PROPERTY = 'WSL_TASK';
/** The agent.json keys copied into the users-readable wsl-task.json (never the enrollment secret). */
export const WSL_TASK_CONFIG_PROPERTIES = ['POLICY_URL', 'POLICY_PUBLIC_KEYS'] as const;

/** Component attribute bits (msidbComponentAttributes…). */
export const COMPONENT_ATTR = { permanent: 16, neverOverwrite: 128, win64: 256 } as const;
/** msidbCustomActionTypeHideTarget: the action's target and data are never logged. */
export const CA_HIDE_TARGET = 0x2000;
/** msidbUpgradeAttributesVersionMaxInclusive: a rebuilt package of the same version replaces the installed one. */
export const UPGRADE_VERSION_MAX_INCLUSIVE = 0x200;

/**
 * The data folder's DACL, applied by MsiLockPermissionsEx when the folder is created: protected (no
 * inheritance from C:\ProgramData, which lets every user create files), SYSTEM and Administrators full
 * control, inherited by everything below — agent.json holds the enrollment secret.
 */
export const DATA_DIR_SDDL = 'D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)';

/**
 * The MSI ProductVersion for a package.json version: major.minor.patch, numeric (a prerelease or build
 * suffix is dropped — MSI compares only the first three fields), within MSI's limits (255.255.65535).
 */
export function msiVersion(version: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  if (!m) throw new Error(`version ${JSON.stringify(version)} is not major.minor.patch`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major > 255 || minor > 255 || patch > 65535) throw new Error(`version ${version}: MSI allows at most 255.255.65535`);
  return `${major}.${minor}.${patch}`;
}
