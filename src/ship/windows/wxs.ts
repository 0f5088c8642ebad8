/**
 * The WiX source of the ccfleet MSI, in the subset Debian's `wixl` (msitools 0.101) compiles. What wixl
 * cannot express (component Permanent/NeverOverwrite bits, HideTarget, the ACL, SCM failure actions,
 * same-version upgrades) is patched into the database afterwards — see msi-fixups.ts.
 *
 * The service is pure MSI: nssm.exe's component carries ServiceInstall/ServiceControl (the SCM entry
 * points at nssm.exe) and NSSM's Parameters as Registry rows, all from src/service/windows-service.ts —
 * the same definition `ccfleet service install` applies with nssm command lines. agent.json is written
 * from the SERVER_URL/ENROLL_SECRET/POLICY_URL/POLICY_PUBLIC_KEYS properties by two JScript custom
 * actions (installers/windows/custom-actions.js): an immediate one builds the JSON, a deferred one
 * running as LocalSystem writes it.
 */
import { windowsServiceSpec, type NssmParameter, type WindowsServiceOptions, type WindowsServiceSpec } from '../../service/windows-service.js';
import {
  COMPONENT, CONFIG_PROPERTIES, CUSTOM_ACTION, DIR, FILE_ID, FORMATTED_DATA_DIR, FORMATTED_INSTALL_DIR, HIDDEN_PROPERTIES,
  LOGS_COMPONENT_GUID, MANUFACTURER, PRODUCT_NAME, UPGRADE_CODE, WSL_TASK_PROPERTY, msiVersion,
} from './msi-layout.js';

export interface WxsInput {
  /** package.json version (converted with msiVersion). */
  version: string;
  /** Host paths of the files to package. `wsl` is optional (the Linux executable for WSL distros). */
  sources: { exe: string; nssm: string; config: string; script: string; wsl?: string; wslTask?: string };
  /** Service overrides (tests); the install and data folders are always the MSI's own. */
  service?: Omit<WindowsServiceOptions, 'installDir' | 'dataDir'>;
}

/** The condition under which agent.json is (re)written: a config property was given, and not on removal. */
export const CONFIG_CONDITION = `(${CONFIG_PROPERTIES.map((p) => p.property).join(' OR ')}) AND NOT REMOVE`;

/**
 * The per-user WSL task (wsl-task.ts), in a package that carries the Linux executable: registered on
 * install, repair and upgrade unless WSL_TASK=0; deleted when the product is removed (an upgrade removes
 * the old product first, then the new one registers it again).
 */
export const WSL_TASK_CONDITION = { install: `${WSL_TASK_PROPERTY}<>"0" AND NOT REMOVE`, remove: 'REMOVE="ALL"' } as const;

/**
 * Two ServiceControl rows. Start without waiting: NSSM reports the service Paused while it throttles a
 * daemon that exits at once (exit 2 until IT pushes a config, which may come after the package), and an
 * installer waiting for Running would then fail and roll back. A binary that cannot start still fails
 * StartService itself. Stop and remove waiting (up to 30 s): the files must not be in use when they go.
 */
export const SERVICE_CONTROL = { start: 'CcfleetServiceStart', stop: 'CcfleetServiceStop' } as const;

/** Where the generated sequence places its actions (wixl numbers the standard actions: see the test). */
export const SEQUENCE = {
  prepareConfig: 1001, // after CostFinalize (1000): directory properties are resolved
  removeExisting: 1401, // after InstallValidate (1400): the old version goes first, wholly
  prepareWslTask: 1002, // immediate, after CostFinalize: the data of both WSL task actions
  removeWslTask: 3499, // before RemoveFiles (3500): the task and wsl-task.json go before the folder does
  writeConfig: 4001, // after InstallFiles (4000), before StartServices (5900)
  installWslTask: 4002, // after InstallFiles: the task's XML is in place
  configureServices: 5850, // between InstallServices (5800) and StartServices (5900); added by msi-fixups
} as const;

/** The service definition with the MSI's folders (formatted strings MSI resolves at install time). */
export function msiServiceSpec(service: WxsInput['service'] = {}): WindowsServiceSpec {
  return windowsServiceSpec({ ...service, installDir: FORMATTED_INSTALL_DIR, dataDir: FORMATTED_DATA_DIR });
}

export function buildWxs(input: WxsInput): string {
  const version = msiVersion(input.version);
  const svc = msiServiceSpec(input.service);
  const regKey = `SYSTEM\\CurrentControlSet\\Services\\${svc.name}`;
  const registry = svc.parameters.map((p) => registryValue(regKey, p)).join('\n');
  const s = input.sources;
  const wsl = s.wsl
    ? `
          <Component Id="${COMPONENT.wsl}" Guid="*" Win64="yes">
            <File Id="${FILE_ID.wsl}" Name="${FILE_ID.wsl}" Source="${attr(s.wsl)}" KeyPath="yes"/>
          </Component>`
    : '';
  const task = s.wsl && s.wslTask
    ? `
          <Component Id="${COMPONENT.wslTask}" Guid="*" Win64="yes">
            <File Id="${FILE_ID.wslTask}" Name="${FILE_ID.wslTask}" Source="${attr(s.wslTask)}" KeyPath="yes"/>
          </Component>`
    : '';
  const taskActions = task
    ? `
    <CustomAction Id="${CUSTOM_ACTION.prepareWslTask}" BinaryKey="${CUSTOM_ACTION.binary}" JScriptCall="${CUSTOM_ACTION.prepareWslTask}" Execute="immediate" Impersonate="yes" Return="check"/>
    <CustomAction Id="${CUSTOM_ACTION.installWslTask}" BinaryKey="${CUSTOM_ACTION.binary}" JScriptCall="${CUSTOM_ACTION.installWslTask}" Execute="deferred" Impersonate="no" Return="check"/>
    <CustomAction Id="${CUSTOM_ACTION.removeWslTask}" BinaryKey="${CUSTOM_ACTION.binary}" JScriptCall="${CUSTOM_ACTION.removeWslTask}" Execute="deferred" Impersonate="no" Return="check"/>`
    : '';
  const taskSequence = task
    ? `
      <Custom Action="${CUSTOM_ACTION.prepareWslTask}" Sequence="${SEQUENCE.prepareWslTask}"/>
      <Custom Action="${CUSTOM_ACTION.removeWslTask}" Sequence="${SEQUENCE.removeWslTask}">${text(WSL_TASK_CONDITION.remove)}</Custom>
      <Custom Action="${CUSTOM_ACTION.installWslTask}" Sequence="${SEQUENCE.installWslTask}">${text(WSL_TASK_CONDITION.install)}</Custom>`
    : '';
  return `<?xml version="1.0" encoding="utf-8"?>
<!-- Generated by src/ship/windows/wxs.ts (installers/windows/build.mjs). Do not edit. -->
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="${attr(PRODUCT_NAME)}" Language="1033" Version="${version}" Manufacturer="${MANUFACTURER}" UpgradeCode="${UPGRADE_CODE}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Manufacturer="${MANUFACTURER}" Description="${attr(PRODUCT_NAME)} ${version}" Comments="Keeps Claude Code on the company gateway (ccfleet daemon as the Windows service ${svc.name})"/>
    <MajorUpgrade DowngradeErrorMessage="A newer version of ccfleet is already installed."/>
    <Media Id="1" Cabinet="ccfleet.cab" EmbedCab="yes"/>
    <Property Id="ARPNOMODIFY" Value="1"/>
    <Property Id="MsiHiddenProperties" Value="${HIDDEN_PROPERTIES.join(';')}"/>
    <Binary Id="${CUSTOM_ACTION.binary}" SourceFile="${attr(s.script)}"/>
    <CustomAction Id="${CUSTOM_ACTION.prepare}" BinaryKey="${CUSTOM_ACTION.binary}" JScriptCall="${CUSTOM_ACTION.prepare}" Execute="immediate" Impersonate="yes" Return="check"/>
    <CustomAction Id="${CUSTOM_ACTION.write}" BinaryKey="${CUSTOM_ACTION.binary}" JScriptCall="${CUSTOM_ACTION.write}" Execute="deferred" Impersonate="no" Return="check"/>${taskActions}
    <InstallExecuteSequence>
      <Custom Action="${CUSTOM_ACTION.prepare}" Sequence="${SEQUENCE.prepareConfig}">${text(CONFIG_CONDITION)}</Custom>
      <RemoveExistingProducts Sequence="${SEQUENCE.removeExisting}"/>
      <Custom Action="${CUSTOM_ACTION.write}" Sequence="${SEQUENCE.writeConfig}">${text(CONFIG_CONDITION)}</Custom>${taskSequence}
    </InstallExecuteSequence>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="${DIR.programFiles}">
        <Directory Id="${DIR.bin}" Name="ccfleet">
          <Component Id="${COMPONENT.exe}" Guid="*" Win64="yes">
            <File Id="${FILE_ID.exe}" Name="${FILE_ID.exe}" Source="${attr(s.exe)}" KeyPath="yes"/>
          </Component>
          <Component Id="${COMPONENT.service}" Guid="*" Win64="yes">
            <File Id="${FILE_ID.nssm}" Name="${FILE_ID.nssm}" Source="${attr(s.nssm)}" KeyPath="yes"/>
            <ServiceInstall Id="${COMPONENT.service}" Name="${svc.name}" DisplayName="${attr(formatted(svc.displayName))}" Description="${attr(formatted(svc.description))}" Type="${svc.type}" Start="${svc.start}" ErrorControl="normal" Account="${svc.account}" Vital="yes"/>
            <ServiceControl Id="${SERVICE_CONTROL.start}" Name="${svc.name}" Start="install" Wait="no"/>
            <ServiceControl Id="${SERVICE_CONTROL.stop}" Name="${svc.name}" Stop="both" Remove="uninstall" Wait="yes"/>
${registry}
          </Component>${wsl}${task}
        </Directory>
      </Directory>
      <Directory Id="${DIR.commonAppData}">
        <Directory Id="${DIR.data}" Name="ccfleet">
          <Component Id="${COMPONENT.config}" Guid="*" Win64="yes">
            <File Id="${FILE_ID.config}" Name="agent.json" Source="${attr(s.config)}" KeyPath="yes"/>
            <CreateFolder/>
          </Component>
          <Directory Id="${DIR.logs}" Name="logs">
            <Component Id="${COMPONENT.logs}" Guid="${LOGS_COMPONENT_GUID}" Win64="yes">
              <CreateFolder/>
            </Component>
          </Directory>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Agent" Level="1" Title="${attr(PRODUCT_NAME)}">
      <ComponentRef Id="${COMPONENT.exe}"/>
      <ComponentRef Id="${COMPONENT.service}"/>${s.wsl ? `\n      <ComponentRef Id="${COMPONENT.wsl}"/>` : ''}${task ? `\n      <ComponentRef Id="${COMPONENT.wslTask}"/>` : ''}
      <ComponentRef Id="${COMPONENT.config}"/>
      <ComponentRef Id="${COMPONENT.logs}"/>
    </Feature>
  </Product>
</Wix>
`;
}

// wixl 0.101 writes Type="expandable" as a plain string: msi-fixups.ts adds the #% prefix afterwards.
const WIXL_REG_TYPE = { REG_SZ: 'string', REG_EXPAND_SZ: 'expandable', REG_DWORD: 'integer' } as const;

function registryValue(serviceKey: string, p: NssmParameter): string {
  const name = p.valueName === '' ? '' : ` Name="${attr(p.valueName)}"`;
  const value = typeof p.value === 'number' ? String(p.value) : formatted(p.value);
  if (typeof p.value === 'string' && p.value.startsWith('#')) throw new Error(`${p.parameter}: a registry string must not start with # (MSI reads it as a type prefix)`);
  return `            <RegistryValue Root="HKLM" Key="${attr(`${serviceKey}\\${p.key}`)}"${name} Type="${WIXL_REG_TYPE[p.type]}" Value="${attr(value)}"/>`;
}

/**
 * A value for a Formatted MSI column: the two folder references this package uses are kept, anything else
 * that MSI would expand ([…], {…}) is refused rather than escaped — no value here should contain it.
 */
function formatted(v: string): string {
  const rest = v.split(FORMATTED_INSTALL_DIR).join('').split(FORMATTED_DATA_DIR).join('');
  if (/[[\]{}]/.test(rest)) throw new Error(`${JSON.stringify(v)}: brackets and braces are MSI formatting`);
  return v;
}

function attr(v: string): string {
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(v)) throw new Error(`${JSON.stringify(v)}: control characters cannot go into the .wxs`);
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function text(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
