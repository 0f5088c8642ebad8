/**
 * Windows: the `ccfleet` service hosted by NSSM, defined by windows-service.ts (the MSI registers the same
 * definition). Install: stop a running copy (may fail: not there), `nssm install` (fails harmlessly when
 * the service exists; every `nssm set` after it re-applies the definition), then start. Uninstall: stop,
 * remove (files, agent.json, state and logs stay — the MSI owns them). Status: `sc.exe query` (installed:
 * not error 1060; running: STATE 4) and `sc.exe qc` (enabled: START_TYPE 2, automatic).
 * Nothing here works on a --root image: services live in the live registry.
 */
import path from 'node:path';
import type { ManagerEnv, ServiceManager, ServiceStatus, Step } from './manager-types.js';
import { nssmInstallCommands, nssmStartCommand, nssmUninstallCommands, windowsServiceSpec, WINDOWS_SERVICE_DEFAULTS } from './windows-service.js';

export interface WindowsOptions {
  /** Folder of ccfleet.exe and nssm.exe (default C:\Program Files\ccfleet). */
  installDir?: string;
  /** %SystemRoot% (for sc.exe). */
  systemRoot?: string;
}

export function windowsManager(env: ManagerEnv, options: WindowsOptions = {}): ServiceManager {
  const o = { installDir: options.installDir ?? WINDOWS_SERVICE_DEFAULTS.installDir };
  const spec = windowsServiceSpec(o);
  const sc = path.win32.join(options.systemRoot ?? 'C:\\Windows', 'System32', 'sc.exe');
  const offline: Step = { kind: 'skip', why: 'Windows services live in the live registry: nothing to do on a --root image' };
  return {
    name: 'windows',
    planInstall(): Step[] {
      if (env.root !== null) return [offline];
      const [install, ...sets] = nssmInstallCommands(o);
      return [
        { kind: 'run', argv: [spec.binary, 'stop', spec.name], why: 'stop a running copy (fails harmlessly when there is none)', allowFailure: true },
        { kind: 'run', argv: install!, why: `register the service ${spec.name} (fails harmlessly when it exists; the settings below re-apply it)`, allowFailure: true },
        ...sets.map((argv): Step => ({ kind: 'run', argv, why: `nssm set ${argv[3]}` })),
        { kind: 'run', argv: nssmStartCommand(o), why: 'start it' },
      ];
    },
    planUninstall(): Step[] {
      if (env.root !== null) return [offline];
      const [stop, remove] = nssmUninstallCommands(o);
      return [
        { kind: 'run', argv: stop!, why: 'stop it (fails harmlessly when not running)', allowFailure: true },
        { kind: 'run', argv: remove!, why: `remove the service ${spec.name}` },
      ];
    },
    status(): ServiceStatus {
      const base = { manager: 'windows' as const, name: spec.name };
      const exe = spec.application;
      if (env.root !== null) return { ...base, installed: env.exists(spec.binary) && env.exists(exe), enabled: null, running: null, detail: [`${spec.binary}: ${env.exists(spec.binary) ? 'present' : 'absent'}`, 'service state: not known for a --root image'] };
      const q = env.run([sc, 'query', spec.name]);
      if (q === null) return { ...base, installed: false, enabled: null, running: null, detail: [`${sc} not found`] };
      if (q.status !== 0) return { ...base, installed: false, enabled: false, running: false, detail: [`sc query: exit ${q.status}${q.status === 1060 ? ' (no such service)' : ''}`] };
      const state = /STATE\s*:\s*(\d+)\s+(\w+)/.exec(q.stdout);
      const c = env.run([sc, 'qc', spec.name]);
      const start = c && c.status === 0 ? /START_TYPE\s*:\s*(\d+)\s+(\w+)/.exec(c.stdout) : null;
      return {
        ...base,
        installed: true,
        enabled: start ? start[1] === '2' : null,
        running: state ? state[1] === '4' : null,
        detail: [`STATE ${state ? `${state[1]} ${state[2]}` : '?'}`, `START_TYPE ${start ? `${start[1]} ${start[2]}` : '?'}`],
      };
    },
  };
}
