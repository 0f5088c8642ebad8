/**
 * The text `reg.exe query <key> /s` prints, read back into values: a header line per key
 * (`HKEY_LOCAL_MACHINE\SOFTWARE\Policies\ccfleet[\sub…]`), then one indented line per value —
 * `    <name>    <REG_TYPE>    <data>` (four spaces apart). Subkeys become nested objects; REG_SZ and
 * REG_EXPAND_SZ are strings (not expanded), REG_DWORD/REG_QWORD (printed `0x…`) numbers, REG_MULTI_SZ
 * (printed with literal `\0` between items) string arrays. Registry names are case-insensitive, so a key
 * path is matched without case; the names themselves are returned as written. Other types (REG_BINARY,
 * REG_NONE) and anything unreadable are a RegQueryError naming the value. Pure over text.
 */

export type RegValue = string | number | string[] | { [name: string]: RegValue };

export class RegQueryError extends Error {
  readonly code: 'reg-unsupported-type' | 'reg-bad-value' | 'reg-duplicate' | 'reg-bad-output';
  /** The value's path below the base key, dotted (`policyRefresh.cron`). */
  readonly field: string;
  constructor(code: RegQueryError['code'], field: string, message: string) {
    super(message);
    this.name = 'RegQueryError';
    this.code = code;
    this.field = field;
  }
}

const VALUE_LINE = /^ {4}(.+?) {4}(REG_[A-Z0-9_]+)(?: {4}(.*))?$/;
/** The unnamed default value: `(Default)` in English, localised elsewhere; never a setting. */
const DEFAULT_NAME = /^\(.*\)$/;

/**
 * Parses `reg query <baseKey> /s` output. `baseKey` is the key as queried, either spelling of the hive
 * (`HKLM\…` or `HKEY_LOCAL_MACHINE\…`). Returns the values under it as a tree.
 */
export function parseRegQuery(text: string, baseKey: string): { [name: string]: RegValue } {
  const base = fullHive(baseKey).toLowerCase().replace(/\\+$/, '');
  const top: { [name: string]: RegValue } = {};
  let current: { [name: string]: RegValue } | null = null;
  let currentPath: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (/^HKEY_/i.test(line)) {
      const key = line.trim().replace(/\\+$/, '');
      const lower = key.toLowerCase();
      if (lower !== base && !lower.startsWith(base + '\\')) throw new RegQueryError('reg-bad-output', '', `key ${key} is outside ${baseKey}`);
      currentPath = lower === base ? [] : key.slice(base.length + 1).split('\\');
      current = objectAt(top, currentPath);
      continue;
    }
    const m = VALUE_LINE.exec(line);
    if (!m) continue; // "End of search: N match(es) found." and its translations
    if (current === null) throw new RegQueryError('reg-bad-output', '', 'a value line before any key line');
    const [, name, type, data = ''] = m;
    if (DEFAULT_NAME.test(name!)) continue;
    const field = [...currentPath, name!].join('.');
    if (Object.keys(current).some((k) => k.toLowerCase() === name!.toLowerCase())) throw new RegQueryError('reg-duplicate', field, `${field} appears twice`);
    Object.defineProperty(current, name!, { value: convert(type!, data, field), enumerable: true, writable: true, configurable: true });
  }
  return top;
}

function convert(type: string, data: string, field: string): RegValue {
  switch (type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return data;
    case 'REG_DWORD':
    case 'REG_QWORD': {
      const d = data.trim();
      if (!/^0x[0-9a-fA-F]{1,16}$/.test(d)) throw new RegQueryError('reg-bad-value', field, `${field}: ${type} "${d.slice(0, 20)}" is not 0x-hex`);
      const n = Number(d);
      if (!Number.isSafeInteger(n)) throw new RegQueryError('reg-bad-value', field, `${field}: ${type} ${d} is too large`);
      return n;
    }
    case 'REG_MULTI_SZ':
      return data === '' ? [] : data.split('\\0').filter((s, i, all) => !(s === '' && i === all.length - 1));
    default:
      throw new RegQueryError('reg-unsupported-type', field, `${field}: ${type} is not a type ccfleet reads (use REG_SZ, REG_DWORD or REG_MULTI_SZ)`);
  }
}

function objectAt(top: { [name: string]: RegValue }, path: string[]): { [name: string]: RegValue } {
  let o = top;
  for (let i = 0; i < path.length; i++) {
    const name = path[i]!;
    const existing = Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase());
    if (existing === undefined) {
      const child: { [name: string]: RegValue } = {};
      Object.defineProperty(o, name, { value: child, enumerable: true, writable: true, configurable: true });
      o = child;
    } else {
      const v = o[existing];
      if (typeof v !== 'object' || Array.isArray(v)) throw new RegQueryError('reg-duplicate', path.slice(0, i + 1).join('.'), `${path.slice(0, i + 1).join('.')} is both a value and a subkey`);
      o = v;
    }
  }
  return o;
}

const HIVES: Record<string, string> = { hklm: 'HKEY_LOCAL_MACHINE', hkcu: 'HKEY_CURRENT_USER', hkcr: 'HKEY_CLASSES_ROOT', hku: 'HKEY_USERS', hkcc: 'HKEY_CURRENT_CONFIG' };

function fullHive(key: string): string {
  const [hive = '', ...rest] = key.split('\\');
  return [HIVES[hive.toLowerCase()] ?? hive, ...rest].join('\\');
}
