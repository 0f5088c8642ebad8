/**
 * What wixl 0.101 cannot write, patched into its output with msibuild: a plan computed from the tables
 * wixl produced (exported with `msiinfo export`), so every assumption about wixl's output is checked
 * first and a wixl that silently dropped something fails the build instead of shipping it.
 *
 * - AgentConfig component: Permanent | NeverOverwrite (an existing agent.json is never replaced by the
 *   default one, and uninstalling keeps it);
 * - WriteAgentConfig: HideTarget (its data holds the enrollment secret);
 * - SecureCustomProperties: the config properties and WSL_TASK (passed to the elevated install in managed installs);
 * - Registry: NSSM's path values as REG_EXPAND_SZ (`#%` prefix), as `nssm set` writes them;
 * - Upgrade: the maximum version inclusive (a rebuilt package of the same version replaces the old one);
 * - MsiLockPermissionsEx: the data folder's DACL (SYSTEM and Administrators only);
 * - MsiServiceConfigFailureActions + MsiConfigureServices: the SCM restarts nssm.exe itself if it dies.
 */
import { formatIdt, type IdtTable } from './idt.js';
import {
  CA_HIDE_TARGET, COMPONENT, COMPONENT_ATTR, CONFIG_PROPERTIES, CUSTOM_ACTION, DATA_DIR_SDDL, DIR, UPGRADE_VERSION_MAX_INCLUSIVE, WSL_TASK_PROPERTY,
} from './msi-layout.js';
import { SEQUENCE } from './wxs.js';
import type { WindowsServiceSpec } from '../../service/windows-service.js';

/** The tables the plan reads, as exported from wixl's output. */
export interface WixlTables {
  Component: IdtTable;
  CustomAction: IdtTable;
  Property: IdtTable;
  Upgrade: IdtTable;
  CreateFolder: IdtTable;
  InstallExecuteSequence: IdtTable;
  Registry: IdtTable;
}

export const FIXUP_TABLES = ['Component', 'CustomAction', 'Property', 'Upgrade', 'CreateFolder', 'InstallExecuteSequence', 'Registry'] as const;

export interface MsiFixups {
  /** SQL for `msibuild <msi> -q <query>`, in order. */
  queries: string[];
  /** New tables for `msibuild <msi> -i <file>`: file name → IDT text. */
  tables: Record<string, string>;
}

/** msidbCustomAction bits wixl must have set on the deferred config writer. */
const CA_JSCRIPT_BINARY = 5;
const CA_IN_SCRIPT = 0x400;
const CA_NO_IMPERSONATE = 0x800;

/** `service` is the definition the .wxs was generated from (wxs.ts msiServiceSpec). */
export function msiFixups(t: WixlTables, service: Pick<WindowsServiceSpec, 'name' | 'parameters'>): MsiFixups {
  const queries: string[] = [];
  const serviceName = service.name;

  const serviceKey = `SYSTEM\\CurrentControlSet\\Services\\${serviceName}`;
  for (const p of service.parameters) {
    const key = `${serviceKey}\\${p.key}`;
    const row = t.Registry.rows.filter((r) => r.Root === '2' && r.Key === key && r.Name === p.valueName);
    const written = typeof p.value === 'number' ? `#${p.value}` : p.value;
    if (row.length !== 1 || row[0]!.Value !== written || row[0]!.Component_ !== COMPONENT.service) {
      throw new Error(`wixl output: expected one HKLM registry row ${key}\\${p.valueName} = ${written} in ${COMPONENT.service}, found ${JSON.stringify(row)}`);
    }
    if (p.type === 'REG_EXPAND_SZ') queries.push(`UPDATE \`Registry\` SET \`Value\` = '#%${sql(p.value as string)}' WHERE \`Registry\` = '${sql(row[0]!.Registry!)}'`);
  }
  if (t.Registry.rows.length !== service.parameters.length) throw new Error(`wixl output: ${t.Registry.rows.length} registry rows, expected ${service.parameters.length}`);

  const config = one(t.Component, 'Component', COMPONENT.config);
  const attrs = Number(config.Attributes);
  if (attrs !== COMPONENT_ATTR.win64) throw new Error(`wixl wrote Component ${COMPONENT.config} with Attributes ${config.Attributes}, expected ${COMPONENT_ATTR.win64} (64-bit)`);
  queries.push(`UPDATE \`Component\` SET \`Attributes\` = ${attrs | COMPONENT_ATTR.permanent | COMPONENT_ATTR.neverOverwrite} WHERE \`Component\` = '${COMPONENT.config}'`);

  const write = one(t.CustomAction, 'Action', CUSTOM_ACTION.write);
  const type = Number(write.Type);
  const want = CA_JSCRIPT_BINARY | CA_IN_SCRIPT | CA_NO_IMPERSONATE;
  if ((type & want) !== want || (type & 0x3f) !== CA_JSCRIPT_BINARY) {
    throw new Error(`wixl wrote CustomAction ${CUSTOM_ACTION.write} with Type ${type}: not a deferred, no-impersonate JScript action`);
  }
  queries.push(`UPDATE \`CustomAction\` SET \`Type\` = ${type | CA_HIDE_TARGET} WHERE \`Action\` = '${CUSTOM_ACTION.write}'`);
  const prepare = one(t.CustomAction, 'Action', CUSTOM_ACTION.prepare);
  if ((Number(prepare.Type) & (0x3f | CA_IN_SCRIPT)) !== CA_JSCRIPT_BINARY) throw new Error(`wixl wrote CustomAction ${CUSTOM_ACTION.prepare} with Type ${prepare.Type}: not an immediate JScript action`);

  const secure = t.Property.rows.find((r) => r.Property === 'SecureCustomProperties');
  const names = new Set([...(secure?.Value ? secure.Value.split(';') : []), ...CONFIG_PROPERTIES.map((p) => p.property), WSL_TASK_PROPERTY]);
  const value = [...names].sort().join(';');
  queries.push(
    secure
      ? `UPDATE \`Property\` SET \`Value\` = '${sql(value)}' WHERE \`Property\` = 'SecureCustomProperties'`
      : `INSERT INTO \`Property\` (\`Property\`, \`Value\`) VALUES ('SecureCustomProperties', '${sql(value)}')`,
  );

  const upgrade = one(t.Upgrade, 'ActionProperty', 'WIX_UPGRADE_DETECTED');
  if (upgrade.VersionMin !== '' || upgrade.VersionMax === '') throw new Error(`wixl wrote an unexpected upgrade row (VersionMin ${upgrade.VersionMin}, VersionMax ${upgrade.VersionMax})`);
  // Attributes is part of the Upgrade table's primary key, which MSI SQL cannot UPDATE: replace the row.
  queries.push(
    `DELETE FROM \`Upgrade\` WHERE \`ActionProperty\` = 'WIX_UPGRADE_DETECTED'`,
    `INSERT INTO \`Upgrade\` (\`UpgradeCode\`, \`VersionMax\`, \`Attributes\`, \`ActionProperty\`) VALUES ('${sql(upgrade.UpgradeCode!)}', '${sql(upgrade.VersionMax!)}', ${Number(upgrade.Attributes) | UPGRADE_VERSION_MAX_INCLUSIVE}, 'WIX_UPGRADE_DETECTED')`,
  );
  if (upgrade.Language !== '' || upgrade.Remove !== '') throw new Error('wixl wrote an upgrade row with Language or Remove set');

  const seq = Object.fromEntries(t.InstallExecuteSequence.rows.map((r) => [r.Action, Number(r.Sequence)]));
  if (!(seq.InstallServices! < SEQUENCE.configureServices && SEQUENCE.configureServices < seq.StartServices!)) {
    throw new Error(`MsiConfigureServices at ${SEQUENCE.configureServices} is not between InstallServices (${seq.InstallServices}) and StartServices (${seq.StartServices})`);
  }
  queries.push(`INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('MsiConfigureServices', 'VersionNT >= 600', ${SEQUENCE.configureServices})`);

  one(t.CreateFolder, 'Directory_', DIR.data);
  const lock: IdtTable = {
    name: 'MsiLockPermissionsEx',
    columns: ['MsiLockPermissionsEx', 'LockObject', 'Table', 'SDDL', 'Condition'],
    types: ['s72', 's72', 's32', 's255', 'S255'],
    keys: ['MsiLockPermissionsEx'],
    rows: [{ MsiLockPermissionsEx: 'LockCcfleetData', LockObject: DIR.data, Table: 'CreateFolder', SDDL: DATA_DIR_SDDL, Condition: '' }],
  };
  // Restart nssm.exe after 5 s, 30 s, then every 60 s; the failure count resets after a day without one.
  const failure: IdtTable = {
    name: 'MsiServiceConfigFailureActions',
    columns: ['MsiServiceConfigFailureActions', 'Name', 'Event', 'ResetPeriod', 'RebootMessage', 'Command', 'Actions', 'DelayActions', 'Component_'],
    types: ['s72', 's255', 'i2', 'I4', 'L255', 'L255', 'S255', 'S255', 's72'],
    keys: ['MsiServiceConfigFailureActions'],
    rows: [{
      MsiServiceConfigFailureActions: 'CcfleetRestartOnFailure',
      Name: serviceName,
      Event: '5', // msidbServiceConfigEventInstall | msidbServiceConfigEventReinstall
      ResetPeriod: '86400',
      RebootMessage: '',
      Command: '',
      Actions: '1[~]1[~]1', // SC_ACTION_RESTART ×3
      DelayActions: '5000[~]30000[~]60000',
      Component_: COMPONENT.service,
    }],
  };
  return { queries, tables: { 'MsiLockPermissionsEx.idt': formatIdt(lock), 'MsiServiceConfigFailureActions.idt': formatIdt(failure) } };
}

function one(t: IdtTable, column: string, value: string): Record<string, string> {
  const rows = t.rows.filter((r) => r[column] === value);
  if (rows.length !== 1) throw new Error(`wixl output: expected one ${t.name} row with ${column} = ${value}, found ${rows.length}`);
  return rows[0]!;
}

/** A value inside a '…' SQL literal (msibuild's SQL has no escape for the quote; a backslash is literal). */
function sql(v: string): string {
  if (/['\x00-\x1f]/.test(v)) throw new Error(`${JSON.stringify(v)}: quotes and control characters cannot go into an MSI SQL literal`);
  return v;
}
