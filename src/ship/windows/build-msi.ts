/**
 * Builds `ccfleet-<version>-x64.msi` with Debian's msitools: stage the files (Authenticode-signing the
 * two executables when signing is configured and they are not signed yet), generate the .wxs (wxs.ts),
 * compile it with `wixl -a x64`, export the tables wixl wrote and patch what it cannot express with
 * `msibuild` (msi-fixups.ts), then optionally sign the MSI. Everything happens in a staging folder inside
 * the output folder; only the finished package is renamed into place.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { osslsigncodeSignArgs, winSigningEnv, type WinSigning, type WinSigningEnv } from '../sea/win-sign.js';
import { WINDOWS_DEFAULT_AGENT_CONFIG } from './default-config.js';
import { parseIdt } from './idt.js';
import { FIXUP_TABLES, msiFixups, type WixlTables } from './msi-fixups.js';
import { msiVersion } from './msi-layout.js';
import { peHasSignature } from './pe.js';
import { WSL_TASK_XML, utf16le, wslTaskXml } from './wsl-task.js';
import { buildWxs, msiServiceSpec } from './wxs.js';
import type { WindowsServiceOptions } from '../../service/windows-service.js';

export interface BuildMsiOptions {
  /** package.json version; the file is named after it, the MSI ProductVersion is msiVersion(version). */
  version: string;
  /** The Windows single executable (becomes ccfleet.exe). */
  exe: string;
  /** nssm.exe (64-bit), from installers/windows/fetch-nssm.mjs. */
  nssm: string;
  /** installers/windows/custom-actions.js. */
  script: string;
  /** The Linux x64 executable for WSL distros; left out when undefined. */
  wsl?: string;
  outDir: string;
  /** Environment holding the CCFLEET_WIN_* signing settings (src/ship/sea/win-sign.ts); default: none. */
  env?: Record<string, string | undefined>;
  /** Service overrides (tests). */
  service?: Omit<WindowsServiceOptions, 'installDir' | 'dataDir'>;
  log?: (line: string) => void;
}

export interface BuiltMsi {
  file: string;
  bytes: number;
  seconds: number;
  /** What was Authenticode-signed here (empty when signing is not configured). */
  signed: string[];
}

export function msiFileName(version: string): string {
  return `ccfleet-${version}-x64.msi`;
}

export function buildMsi(o: BuildMsiOptions): BuiltMsi {
  const t0 = performance.now();
  const log = o.log ?? (() => undefined);
  msiVersion(o.version); // fails early on a version MSI cannot carry
  for (const tool of ['wixl', 'msiinfo', 'msibuild']) requireTool(tool, 'apt-get install wixl msitools');
  const creds = winSigningEnv(o.env ?? {});
  if (creds) requireTool('osslsigncode', 'apt-get install osslsigncode');

  fs.mkdirSync(o.outDir, { recursive: true });
  const stage = fs.mkdtempSync(path.join(o.outDir, '.msi-build-'));
  const signed: string[] = [];
  try {
    const passFile = creds?.pass !== undefined ? path.join(stage, 'signing-pass') : undefined;
    if (passFile) fs.writeFileSync(passFile, creds!.pass!, { mode: 0o600 });
    const signing = creds ? toSigning(creds, passFile) : null;

    const put = (name: string, from: string, sign: boolean): string => {
      const to = path.join(stage, name);
      fs.copyFileSync(from, to);
      if (sign && signing && !peHasSignature(fs.readFileSync(to))) {
        osslsign(signing, to);
        signed.push(name);
      }
      return to;
    };
    const sources = {
      exe: put('ccfleet.exe', o.exe, true),
      nssm: put('nssm.exe', o.nssm, true),
      script: put('custom-actions.js', o.script, false),
      config: path.join(stage, 'agent.json'),
      ...(o.wsl ? { wsl: put('ccfleet-linux-x64', o.wsl, false), wslTask: path.join(stage, WSL_TASK_XML) } : {}),
    };
    fs.writeFileSync(sources.config, WINDOWS_DEFAULT_AGENT_CONFIG);
    if (sources.wslTask) fs.writeFileSync(sources.wslTask, utf16le(wslTaskXml()));

    // wixl resolves Source paths against its working folder (absolute ones fail): name them relative.
    const relative = Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, path.relative(stage, v)])) as typeof sources;
    const wxs = path.join(stage, 'ccfleet.wxs');
    fs.writeFileSync(wxs, buildWxs({ version: o.version, sources: relative, service: o.service }));
    const msi = path.join(stage, msiFileName(o.version));
    run('wixl', ['-a', 'x64', '-o', msi, wxs], stage);
    log(`wixl: ${msi}`);

    const tables = Object.fromEntries(FIXUP_TABLES.map((t) => [t, parseIdt(run('msiinfo', ['export', msi, t], stage))])) as unknown as WixlTables;
    const fix = msiFixups(tables, msiServiceSpec(o.service));
    const args = [msi];
    for (const q of fix.queries) args.push('-q', q);
    for (const [file, text] of Object.entries(fix.tables)) {
      fs.writeFileSync(path.join(stage, file), text);
      args.push('-i', path.join(stage, file));
    }
    run('msibuild', args, stage);

    if (signing) {
      osslsign(signing, msi);
      signed.push(path.basename(msi));
    }
    const file = path.join(o.outDir, path.basename(msi));
    fs.renameSync(msi, file);
    return { file, bytes: fs.statSync(file).size, seconds: (performance.now() - t0) / 1000, signed };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

function toSigning(c: WinSigningEnv, passFile: string | undefined): WinSigning {
  return c.pfx
    ? { kind: 'pfx', pfx: c.pfx, passFile, timestampUrl: c.timestampUrl }
    : { kind: 'pem', cert: c.cert!, key: c.key!, passFile, timestampUrl: c.timestampUrl };
}

function osslsign(s: WinSigning, file: string): void {
  const out = `${file}.signed`;
  run('osslsigncode', osslsigncodeSignArgs(s, file, out), path.dirname(file));
  fs.renameSync(out, file);
}

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { status?: number; stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} failed (exit ${err.status}): ${(err.stderr || err.stdout || err.message).slice(-4000)}`);
  }
}

function requireTool(cmd: string, hint: string): void {
  const found = (process.env.PATH ?? '').split(path.delimiter).some((d) => d !== '' && isExecutable(path.join(d, cmd)));
  if (!found) throw new Error(`${cmd} is not installed (${hint})`);
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
