/**
 * Command-line parsing: `ccfleet <command> [options]`. Unknown commands, unknown options, missing values,
 * bad values and stray arguments are usage errors (code USAGE, exit 2) before anything is read or
 * written — also when --help is given, so a typo never looks like success.
 */
import { parseArgs } from 'node:util';
import { CcfleetError } from '../core/errors.js';
import { PLATFORM_NAMES, type PlatformName } from '../platform/types.js';
import { MDM_FORMATS, type MdmFormat } from './render-mdm.js';

export interface CommonOptions {
  policy?: string;
  config?: string;
  root?: string;
  platform?: PlatformName;
  users: string[];
  json: boolean;
  dryRun: boolean;
  stateDir?: string;
  /** check / repair: one line for an MDM script instead of the table (src/cli/render-mdm.ts). */
  format?: MdmFormat;
  help: boolean;
}

export interface Parsed {
  command: string;
  rest: string[];
  opts: CommonOptions;
  extra: Record<string, string | boolean | string[] | undefined>;
}

const common = {
  policy: { type: 'string' },
  config: { type: 'string' },
  root: { type: 'string' },
  platform: { type: 'string' },
  user: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'state-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The commands this build knows; `help` prints the overview. */
export const COMMANDS = ['check', 'repair', 'status', 'doctor', 'daemon', 'report', 'policy', 'restore', 'server', 'wsl', 'service', 'version', 'help'] as const;

/** Commands that take positional arguments (`policy lint <file>`, `help <command>`). */
const POSITIONAL_COMMANDS = new Set(['policy', 'help', 'wsl', 'service']);

/** Common options a command would silently ignore: refused instead (`restore --user bob` must not restore everyone's files). */
const MACHINE_OPTIONS = ['policy', 'config', 'root', 'platform', 'user', 'state-dir'] as const;
const NOT_FOR: Record<string, readonly string[]> = {
  restore: ['user'],
  // `policy verify --config <agent.json>` takes its pinned keys from an agent config.
  policy: MACHINE_OPTIONS.filter((k) => k !== 'config'),
  version: MACHINE_OPTIONS,
  help: MACHINE_OPTIONS,
  // `server --policy <file>` is the policy it serves.
  server: MACHINE_OPTIONS.filter((k) => k !== 'policy'),
  // `wsl check|repair` runs in WSL distributions, not on this machine's tree or users.
  wsl: ['root', 'platform', 'user'],
  // `service install|uninstall|status` registers the daemon; it reads no policy, config or users.
  service: ['policy', 'config', 'user', 'state-dir'],
};

/** Extra options per command (beyond the common ones). */
const perCommand: Record<string, Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>> = {
  restore: { path: { type: 'string', multiple: true }, latest: { type: 'boolean' }, list: { type: 'boolean' } },
  doctor: { ca: { type: 'string' }, timeout: { type: 'string' } },
  daemon: { 'log-level': { type: 'string' } },
  server: {
    listen: { type: 'string' }, store: { type: 'string' }, 'data-dir': { type: 'string' }, 'admin-token': { type: 'string', multiple: true },
    'enroll-secret': { type: 'string', multiple: true }, 'signing-key': { type: 'string' }, 'policy-dir': { type: 'string' }, 'allow-unsigned': { type: 'boolean' },
    'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'history-days': { type: 'string' }, 'stale-hours': { type: 'string' }, 'rate-limit': { type: 'string' }, 'log-level': { type: 'string' },
    'cookie-secure': { type: 'string' }, 'trust-proxy': { type: 'string', multiple: true },
  },
  report: { once: { type: 'boolean' } },
  service: { binary: { type: 'string' } },
  wsl: { distro: { type: 'string', multiple: true }, all: { type: 'boolean' }, timeout: { type: 'string' }, 'linux-exe': { type: 'string' }, 'wsl-exe': { type: 'string' }, report: { type: 'boolean' } },
  check: { format: { type: 'string' } },
  repair: { format: { type: 'string' } },
  // policy keygen --out <dir> | sign --key <pem> [--out <file.sig>] [--force] | verify [--sig <file>] --public-key <b64>...
  policy: { out: { type: 'string' }, key: { type: 'string' }, sig: { type: 'string' }, 'public-key': { type: 'string', multiple: true }, force: { type: 'boolean' } },
};

/** doctor --timeout: milliseconds per network call. */
export const DOCTOR_TIMEOUT = { default: 5000, max: 120_000 } as const;

export function parseCommandLine(argv: readonly string[]): Parsed {
  const [command = 'help', ...tail] = argv;
  if (command === '--version' || command === '-v') return { command: 'version', rest: [], opts: emptyOpts(), extra: {} };
  if (command === '--help' || command === '-h') return { command: 'help', rest: [], opts: emptyOpts(), extra: {} };
  if (!(COMMANDS as readonly string[]).includes(command)) {
    const what = command.startsWith('-') ? `expected a command before the option "${command}"` : `unknown command "${command}"`;
    throw new CcfleetError('USAGE', `${what} (see ccfleet --help)`);
  }
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    const r = parseArgs({ args: [...tail], options: { ...common, ...(perCommand[command] ?? {}) }, allowPositionals: true, strict: true });
    values = r.values as Record<string, unknown>;
    positionals = r.positionals;
  } catch (e) {
    throw new CcfleetError('USAGE', `${argError(e)} (see ccfleet ${command} --help)`);
  }
  if (positionals.length > 0 && !POSITIONAL_COMMANDS.has(command) && !values.help) {
    throw new CcfleetError('USAGE', `unexpected argument "${positionals[0]}" (see ccfleet ${command} --help)`);
  }
  for (const k of NOT_FOR[command] ?? []) {
    if (values[k] !== undefined && !values.help) throw new CcfleetError('USAGE', `--${k} does not apply to ${command} (see ccfleet ${command} --help)`);
  }
  const platform = values.platform as string | undefined;
  if (platform !== undefined && !PLATFORM_NAMES.includes(platform as PlatformName)) {
    throw new CcfleetError('USAGE', `--platform must be one of ${PLATFORM_NAMES.join(', ')}, got "${platform}"`);
  }
  for (const k of ['policy', 'config', 'root', 'state-dir'] as const) {
    if (values[k] === '') throw new CcfleetError('USAGE', `--${k} needs a non-empty value`);
  }
  const users = (values.user as string[] | undefined) ?? [];
  for (const u of users) if (!/^[^\s/\\:]+$/.test(u)) throw new CcfleetError('USAGE', `--user "${u}" is not a user name`);
  if (command === 'doctor') checkDoctorOptions(values);
  const format = values.format as string | undefined;
  if (format !== undefined && !(MDM_FORMATS as readonly string[]).includes(format)) throw new CcfleetError('USAGE', `--format must be one of ${MDM_FORMATS.join(', ')}, got "${format}"`);
  if (format !== undefined && values.json) throw new CcfleetError('USAGE', '--format and --json are two different outputs: give one');
  if (values['dry-run'] && command !== 'repair' && command !== 'restore' && command !== 'service') throw new CcfleetError('USAGE', '--dry-run applies to repair, restore and service only');
  const opts: CommonOptions = {
    policy: values.policy as string | undefined,
    config: values.config as string | undefined,
    root: values.root as string | undefined,
    platform: platform as PlatformName | undefined,
    users,
    json: Boolean(values.json),
    dryRun: Boolean(values['dry-run']),
    stateDir: values['state-dir'] as string | undefined,
    format: format as MdmFormat | undefined,
    help: Boolean(values.help),
  };
  const extra: Parsed['extra'] = {};
  for (const k of Object.keys(perCommand[command] ?? {})) extra[k] = values[k] as string | boolean | string[] | undefined;
  return { command, rest: positionals, opts, extra };
}

function checkDoctorOptions(values: Record<string, unknown>): void {
  const t = values.timeout as string | undefined;
  if (t !== undefined && (!/^[0-9]+$/.test(t) || Number(t) < 1 || Number(t) > DOCTOR_TIMEOUT.max)) {
    throw new CcfleetError('USAGE', `--timeout must be a whole number of milliseconds from 1 to ${DOCTOR_TIMEOUT.max}, got "${t}"`);
  }
  if (values.ca === '') throw new CcfleetError('USAGE', '--ca needs a non-empty value');
}

/** Node's parseArgs messages, in our words (one short line, the option named). */
function argError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = (err.message ?? String(e)).split('\n')[0]!;
  const opt = /'(-[^' ]+)/.exec(msg)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${opt ?? msg}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(msg)) return `option ${opt ?? ''} needs a value`;
      if (/does not take an argument/.test(msg)) return `option ${opt ?? ''} does not take a value`;
      return msg.replace(/\.\s.*$/, '');
    default:
      return msg.replace(/\.\s.*$/, '');
  }
}

const emptyOpts = (): CommonOptions => ({ users: [], json: false, dryRun: false, help: false });
