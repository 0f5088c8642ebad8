// The MDM scripts in installers/mdm/. Shell scripts run for real (dash as /bin/sh, and bash --posix as on
// macOS) against a fake `ccfleet` first on PATH printing each format, then against the real CLI bundle on a
// fixture machine. PowerShell and cmd scripts: pwsh is not in Debian, so they are checked structurally
// (the exact ccfleet command line, exit-code handling, encodings) and run only when pwsh exists
// (CCFLEET_PWSH=require makes its absence a failure). The rules JSON is evaluated against the real
// intune-compliance output; the ADMX/ADML, .reg and plist files are checked for consistency.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePlist } from '../../src/agent/config-sources/plist.js';
import { loadAgentConfigChannels } from '../../src/agent/config-sources/load.js';
import { agentConfigSchema } from '../../src/agent/agent-config.js';
import { CcfleetError } from '../../src/core/errors.js';
import { renderMdm, renderMdmError } from '../../src/cli/render-mdm.js';
import { WINDOWS_EXE, WINDOWS_SERVICE_DEFAULTS } from '../../src/service/windows-service.js';
import { sampleMachine } from '../agent/report-sample.js';
import { bundle, repoRoot } from '../support/cli.js';
import { testNode } from '../support/runtime.js';
import { fixture, type Fixture } from '../cli/e2e-fixture.js';

const MDM = path.join(repoRoot, 'installers', 'mdm');
const read = (rel: string) => fs.readFileSync(path.join(MDM, rel), 'utf8');
const temps: string[] = [];
const fixtures: Fixture[] = [];
afterAll(() => {
  temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  fixtures.forEach((f) => f.cleanup());
});
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-mdm-'));
  temps.push(d);
  return d;
};

/** Shells to run the sh scripts with: Debian's dash, and bash in POSIX mode (macOS's /bin/sh). */
const SHELLS: string[][] = [['sh'], ['bash', '--posix']].filter(([s]) => spawnSync(s!, ['-c', 'true']).status === 0);
/** The locations the scripts fall back to; when one exists here, "not installed" cannot be tested. */
const INSTALLED = ['/Library/Application Support/ccfleet/bin/ccfleet', '/usr/bin/ccfleet', '/usr/lib/ccfleet/ccfleet'];
const SYS_PATH = '/usr/bin:/bin';

interface Fake {
  dir: string;
  set(stdout: string, rc: number): void;
  args(): string;
}
/** A fake `ccfleet` (in its own folder, for PATH) printing a canned answer and recording its arguments. */
function fakeCcfleet(): Fake {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'ccfleet'), `#!/bin/sh\nprintf '%s' "$*" > "${dir}/args"\ncat "${dir}/out"\nexit "$(cat "${dir}/rc")"\n`, { mode: 0o755 });
  return {
    dir,
    set(stdout, rc) {
      fs.writeFileSync(path.join(dir, 'out'), stdout);
      fs.writeFileSync(path.join(dir, 'rc'), String(rc));
    },
    args: () => fs.readFileSync(path.join(dir, 'args'), 'utf8'),
  };
}

function runScript(shell: string[], rel: string, pathDirs: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(shell[0]!, [...shell.slice(1), path.join(MDM, rel)], {
    encoding: 'utf8',
    env: { PATH: [...pathDirs, SYS_PATH].join(':'), HOME: os.tmpdir(), ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The MSI's names (helper-built src/ship/windows): loaded when present, so these checks follow the real package. */
const MSI_LAYOUT = path.join(repoRoot, 'src', 'ship', 'windows', 'msi-layout.ts');
const msiNames = async () => {
  // By path, so this file typechecks and loads before src/ship/windows exists.
  const layout = (await import(MSI_LAYOUT)) as { CONFIG_PROPERTIES: readonly { property: string }[]; UPGRADE_CODE: string };
  const build = (await import(path.join(repoRoot, 'src', 'ship', 'windows', 'build-msi.ts'))) as { msiFileName(v: string): string };
  return { CONFIG_PROPERTIES: layout.CONFIG_PROPERTIES, UPGRADE_CODE: layout.UPGRADE_CODE, msiFileName: build.msiFileName };
};

const COMPLIANCE_KEYS = Object.keys(JSON.parse(renderMdm('intune-compliance', sampleMachine(), '0.1.0').stdout));

describe.each(SHELLS.map((s) => [s.join(' '), s] as const))('shell scripts under %s, fake ccfleet on PATH', (_name, shell) => {
  it('Jamf EA: passes ccfleet\'s <result> through, always exit 0; no output → Error: NO_OUTPUT; calls check --format jamf', () => {
    const fake = fakeCcfleet();
    for (const line of ['<result>Compliant</result>', '<result>Non-compliant: model-present (2 users)</result>', '<result>Error: POLICY_NOT_FOUND</result>']) {
      fake.set(`${line}\n`, 0);
      expect(runScript(shell, 'jamf/ccfleet-compliance-ea.sh', [fake.dir])).toMatchObject({ code: 0, stdout: `${line}\n` });
      expect(fake.args()).toBe('check --format jamf');
    }
    fake.set('', 139);
    expect(runScript(shell, 'jamf/ccfleet-compliance-ea.sh', [fake.dir])).toMatchObject({ code: 0, stdout: '<result>Error: NO_OUTPUT (exit 139)</result>\n' });
    fake.set('Segmentation fault\n', 2);
    expect(runScript(shell, 'jamf/ccfleet-compliance-ea.sh', [fake.dir])).toMatchObject({ code: 0, stdout: '<result>Error: NO_OUTPUT (exit 2)</result>\n' });
    // CCFLEET_BIN names the binary explicitly (beats PATH).
    const other = fakeCcfleet();
    other.set('<result>Compliant</result>\n', 0);
    fake.set('<result>Non-compliant: x (1 user)</result>\n', 0);
    expect(runScript(shell, 'jamf/ccfleet-compliance-ea.sh', [fake.dir], { CCFLEET_BIN: path.join(other.dir, 'ccfleet') }).stdout).toBe('<result>Compliant</result>\n');
  });

  it.skipIf(INSTALLED.some((p) => fs.existsSync(p)))('not installed: EA "Not installed" exit 0, detection/remediation exit 1, discovery NOT_INSTALLED JSON exit 0', () => {
    const empty = tempDir();
    expect(runScript(shell, 'jamf/ccfleet-compliance-ea.sh', [empty])).toMatchObject({ code: 0, stdout: '<result>Not installed</result>\n' });
    expect(runScript(shell, 'intune/remediation/detect.sh', [empty])).toMatchObject({ code: 1, stdout: expect.stringMatching(/^Error: NOT_INSTALLED: .*\n$/) });
    expect(runScript(shell, 'intune/remediation/remediate.sh', [empty])).toMatchObject({ code: 1, stdout: expect.stringMatching(/^Error: NOT_INSTALLED: .*\n$/) });
    const d = runScript(shell, 'intune/compliance/discovery.sh', [empty]);
    expect(d.code).toBe(0);
    expect(Object.keys(JSON.parse(d.stdout))).toEqual(COMPLIANCE_KEYS);
    expect(JSON.parse(d.stdout)).toMatchObject({ ccfleetCompliant: false, ccfleetError: 'NOT_INSTALLED' });
  });

  it('Intune detection / remediation: exit 0 only when ccfleet exits 0; one line; the right subcommand', () => {
    const fake = fakeCcfleet();
    const cases: [string, string, number, number][] = [
      ['detect.sh', 'Compliant: policy p v3, 2 user(s)', 0, 0],
      ['detect.sh', 'Non-compliant: policy p v3; 1 of 2 user(s) (bob); model-present (1 user)', 1, 1],
      ['detect.sh', 'Error: POLICY_NOT_FOUND: no policy', 1, 1],
      ['detect.sh', 'ccfleet: USAGE: unknown option --format', 2, 1], // an older ccfleet without --format
      ['remediate.sh', 'Compliant: policy p v3, 2 user(s)', 0, 0],
      ['remediate.sh', 'Non-compliant: policy p v3; 1 of 2 user(s) (bob); unsafe (1 user)', 1, 1],
    ];
    for (const [script, line, rc, want] of cases) {
      fake.set(`${line}\n`, rc);
      expect(runScript(shell, `intune/remediation/${script}`, [fake.dir])).toMatchObject({ code: want, stdout: `${line}\n` });
      expect(fake.args()).toBe(script === 'detect.sh' ? 'check --format intune' : 'repair --format intune');
    }
    fake.set('first\nsecond\n', 1);
    expect(runScript(shell, 'intune/remediation/detect.sh', [fake.dir])).toMatchObject({ code: 1, stdout: 'first\n' });
    fake.set('', 0);
    expect(runScript(shell, 'intune/remediation/detect.sh', [fake.dir])).toMatchObject({ code: 0, stdout: 'Error: NO_OUTPUT: ccfleet check exited 0 without output\n' });
    fake.set('', 137);
    expect(runScript(shell, 'intune/remediation/remediate.sh', [fake.dir])).toMatchObject({ code: 1, stdout: 'Error: NO_OUTPUT: ccfleet repair exited 137 without output\n' });
  });

  it('compliance discovery: ccfleet\'s JSON line passes through; anything else becomes the fallback JSON with the same keys; always exit 0', () => {
    const fake = fakeCcfleet();
    const good = renderMdm('intune-compliance', sampleMachine(), '0.1.0').stdout;
    fake.set(good, 0);
    expect(runScript(shell, 'intune/compliance/discovery.sh', [fake.dir])).toMatchObject({ code: 0, stdout: good });
    expect(fake.args()).toBe('check --format intune-compliance');
    for (const [out, rc] of [['', 1], ['ccfleet: USAGE: unknown option --format\n', 2], ['{"unrelated":1}\n', 0]] as const) {
      fake.set(out, rc);
      const r = runScript(shell, 'intune/compliance/discovery.sh', [fake.dir]);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')).toHaveLength(2);
      const j = JSON.parse(r.stdout);
      expect(Object.keys(j)).toEqual(COMPLIANCE_KEYS);
      expect(j).toMatchObject({ ccfleetCompliant: false, ccfleetError: 'NO_OUTPUT' });
    }
  });
});

describe('shell scripts against the real CLI (a wrapper ccfleet adding --root/--platform/--policy)', () => {
  it('drifted → EA Non-compliant, detection exit 1; remediation repairs (exit 0); then EA Compliant, detection 0, discovery compliant', () => {
    const f = fixture('linux', [{ name: 'alice' }, { name: 'bob' }]);
    fixtures.push(f);
    f.put(f.join(f.home('alice'), '.claude', 'settings.json'), '{ "model": "claude-opus-4-5" }\n');
    const dir = tempDir();
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    fs.writeFileSync(path.join(dir, 'ccfleet'), `#!/bin/sh\nexec ${q(testNode)} ${q(bundle)} "$@" --root ${q(f.root)} --platform linux --policy ${q(f.policyPath)}\n`, { mode: 0o755 });
    const shell = SHELLS[0]!;
    const ea = runScript(shell, 'jamf/ccfleet-compliance-ea.sh', [dir]);
    expect(ea).toMatchObject({ code: 0, stdout: expect.stringMatching(/^<result>Non-compliant: .*model-unmapped \(2 users\)<\/result>\n$/) });
    expect(runScript(shell, 'intune/remediation/detect.sh', [dir])).toMatchObject({ code: 1, stdout: expect.stringMatching(/^Non-compliant: policy e2e v1; 2 of 2 user\(s\) \(alice, bob\); .*model-present \(1 user\)\n$/) });
    expect(JSON.parse(runScript(shell, 'intune/compliance/discovery.sh', [dir]).stdout)).toMatchObject({ ccfleetCompliant: false, ccfleetNonCompliantUsers: 2, ccfleetError: 'none' });
    expect(runScript(shell, 'intune/remediation/remediate.sh', [dir])).toMatchObject({ code: 0, stdout: 'Compliant: policy e2e v1, 2 user(s)\n' });
    expect(runScript(shell, 'jamf/ccfleet-compliance-ea.sh', [dir])).toMatchObject({ code: 0, stdout: '<result>Compliant</result>\n' });
    expect(runScript(shell, 'intune/remediation/detect.sh', [dir])).toMatchObject({ code: 0, stdout: 'Compliant: policy e2e v1, 2 user(s)\n' });
    const d = runScript(shell, 'intune/compliance/discovery.sh', [dir]);
    expect(JSON.parse(d.stdout)).toMatchObject({ ccfleetCompliant: true, ccfleetPolicyId: 'e2e', ccfleetPolicyVersion: 1, ccfleetUsers: 2, ccfleetNonCompliantUsers: 0, ccfleetError: 'none' });
    expect(evaluateRules(JSON.parse(d.stdout))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// PowerShell and cmd: structure (always), execution (when pwsh exists).

const PWSH = spawnSync('pwsh', ['-NoLogo', '-NoProfile', '-Command', '$PSVersionTable.PSVersion.Major'], { encoding: 'utf8' }).status === 0;
const REQUIRE_PWSH = process.env.CCFLEET_PWSH === 'require';

describe('PowerShell and cmd scripts: structure', () => {
  const ps = (rel: string) => read(rel);

  it('every .ps1 and .cmd is ASCII (Windows PowerShell 5.1 reads a BOM-less script in the ANSI code page; cmd in OEM); .cmd files have CRLF', () => {
    for (const rel of ['intune/remediation/detect.ps1', 'intune/remediation/remediate.ps1', 'intune/compliance/discovery.ps1', 'intune/win32/detect.ps1', 'intune/win32/install.cmd', 'intune/win32/uninstall.cmd']) {
      expect(/^[\x09\x0a\x0d\x20-\x7e]*$/.test(ps(rel)), rel).toBe(true);
    }
    for (const rel of ['intune/win32/install.cmd', 'intune/win32/uninstall.cmd']) {
      const t = ps(rel);
      expect(t.split('\r\n').length, rel).toBe(t.split('\n').length);
    }
  });

  it('Remediations detect/remediate: the installed 64-bit path, the exact command line, exit 0 only on ccfleet exit 0, one capped line', () => {
    for (const [rel, cmd] of [['intune/remediation/detect.ps1', 'check --format intune'], ['intune/remediation/remediate.ps1', 'repair --format intune']] as const) {
      const t = ps(rel);
      expect(t).toContain(`$ccfleet = if ($env:CCFLEET_BIN) { $env:CCFLEET_BIN } else { Join-Path $programFiles 'ccfleet\\${WINDOWS_EXE}' }`);
      expect(WINDOWS_SERVICE_DEFAULTS.installDir).toBe('C:\\Program Files\\ccfleet');
      expect(t).toContain('$programFiles = if ($env:ProgramW6432) { $env:ProgramW6432 } else { $env:ProgramFiles }');
      expect(t.match(/^\$out = & \$ccfleet (.*) 2>\$null$/m)?.[1]).toBe(cmd);
      expect(t).toMatch(/^\$rc = \$LASTEXITCODE$/m);
      expect(t).toMatch(/^if \(\$rc -eq 0\) \{ exit 0 \}\r?\nexit 1\s*$/m);
      expect(t).toContain("if ($line.Length -gt 2047) { $line = $line.Substring(0, 2044) + '...' }");
      expect(t).toMatch(/Write-Output "Error: NOT_INSTALLED: [^"]*"\r?\n\s*exit 1/);
    }
  });

  it('compliance discovery.ps1: check --format intune-compliance, compressed JSON out, a fallback with exactly the keys ccfleet emits', () => {
    const t = ps('intune/compliance/discovery.ps1');
    expect(t.match(/^\s*\$out = & \$ccfleet (.*) 2>\$null$/m)?.[1]).toBe('check --format intune-compliance');
    expect(t).toMatch(/^return \$result \| ConvertTo-Json -Compress\s*$/m);
    const fallback = /\[ordered\]@\{([\s\S]*?)\n\s*\}/.exec(t)?.[1] ?? '';
    expect([...fallback.matchAll(/(ccfleet\w+) =/g)].map((m) => m[1])).toEqual(COMPLIANCE_KEYS);
    expect(t).toContain("Fallback 'NOT_INSTALLED'");
    expect(t).toContain("Fallback 'NO_OUTPUT'");
  });

  it.skipIf(!fs.existsSync(MSI_LAYOUT))('Win32 install.cmd: msiexec /i on the ccfleet-<version>-x64.msi beside it, silent, the MSI\'s public properties, msiexec\'s exit code', async () => {
    const { CONFIG_PROPERTIES, msiFileName } = await msiNames();
    const t = ps('intune/win32/install.cmd');
    expect(msiFileName('1.2.3')).toMatch(new RegExp(`^${'ccfleet-*-x64.msi'.replace(/[.]/g, '\\.').replace('*', '[^\\\\]+')}$`));
    expect(t).toContain('for %%F in ("%~dp0ccfleet-*-x64.msi") do set "MSI=%%~fF"');
    expect(t).toMatch(/^msiexec\.exe \/i "%MSI%" \/qn \/norestart%PROPS% \/l\*v "[^"]+"\r$/m);
    expect(t).toMatch(/^exit \/b %ERRORLEVEL%\r$/m);
    const props = [...t.matchAll(/^if defined (\w+) set PROPS=%PROPS% (\w+)="%(\w+)%"\r$/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(props.map((p) => p[1])).toEqual(['SERVER_URL', 'ENROLL_SECRET', 'POLICY_PUBLIC_KEYS']);
    for (const [a, b, c] of props) expect(a === b && b === c).toBe(true);
    const known = CONFIG_PROPERTIES.map((p) => p.property as string);
    for (const [p] of props) expect(known).toContain(p);
  });

  it.skipIf(!fs.existsSync(MSI_LAYOUT))('Win32 uninstall.cmd: every product of the MSI\'s UpgradeCode removed silently', async () => {
    const { UPGRADE_CODE } = await msiNames();
    const u = ps('intune/win32/uninstall.cmd');
    expect(u).toContain(`set "UPGRADE_CODE=${UPGRADE_CODE}"`);
    expect(u).toContain("RelatedProducts('%UPGRADE_CODE%')");
    expect(u).toMatch(/^msiexec\.exe \/x %1 \/qn \/norestart /m);
    expect(u).toMatch(/^exit \/b %RC%\r$/m);
  });

  it('Win32 detect.ps1: --version, minimum version, the service', () => {
    const d = ps('intune/win32/detect.ps1');
    expect(d).toMatch(/^\$out = & \$ccfleet --version 2>\$null$/m);
    expect(d).toContain("'^ccfleet (\\d+\\.\\d+\\.\\d+)'");
    expect(d).toContain(`Get-Service -Name '${WINDOWS_SERVICE_DEFAULTS.name}'`);
    const min = /^\$MinVersion = \[version\]'(\d+)\.(\d+)\.(\d+)'$/m.exec(d);
    const pkg = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version as string).split('.').map(Number);
    expect(min).not.toBeNull();
    const cmp = min!.slice(1).map(Number).reduce((acc, v, i) => acc || Math.sign(v - pkg[i]!), 0);
    expect(cmp).toBeLessThanOrEqual(0); // never requires a version newer than this build
    // Detected only with output and exit 0; every other path exits 1 without writing anything.
    expect(d.match(/Write-Output/g)).toHaveLength(1);
    expect(d).toMatch(/Write-Output "ccfleet \$version installed[^"]*"\r?\nexit 0\s*$/);
  });

  it.skipIf(!PWSH && !REQUIRE_PWSH)('pwsh: the .ps1 scripts against a fake ccfleet (exit codes and output)', () => {
    expect(PWSH, 'CCFLEET_PWSH=require but pwsh is not installed').toBe(true);
    const fake = fakeCcfleet();
    const run = (rel: string) => {
      const r = spawnSync('pwsh', ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', path.join(MDM, rel)], { encoding: 'utf8', env: { ...process.env, CCFLEET_BIN: path.join(fake.dir, 'ccfleet') } });
      return { code: r.status, stdout: r.stdout };
    };
    fake.set('Compliant: policy p v3, 1 user(s)\n', 0);
    expect(run('intune/remediation/detect.ps1')).toMatchObject({ code: 0, stdout: 'Compliant: policy p v3, 1 user(s)\n' });
    fake.set('Non-compliant: x\n', 1);
    expect(run('intune/remediation/detect.ps1')).toMatchObject({ code: 1, stdout: 'Non-compliant: x\n' });
    expect(run('intune/remediation/remediate.ps1').code).toBe(1);
    fake.set('garbage', 1);
    expect(JSON.parse(run('intune/compliance/discovery.ps1').stdout)).toMatchObject({ ccfleetCompliant: false, ccfleetError: 'NO_OUTPUT' });
  });
});
if (!PWSH && !REQUIRE_PWSH) {
  describe('PowerShell execution', () => {
    it.skip('pwsh is not installed (not in Debian): the .ps1 scripts are checked structurally only; CCFLEET_PWSH=require to insist', () => undefined);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Intune custom-compliance rules: a tiny evaluator of the documented operators and data types.

interface Rule { SettingName: string; Operator: string; DataType: string; Operand: unknown; RemediationStrings: { Language: string; Title: string; Description: string }[] }
const RULES = (): Rule[] => JSON.parse(read('intune/compliance/ccfleet-compliance-rules.json')).Rules;

/** The settings whose rule fails for a discovery result. */
function evaluateRules(result: Record<string, unknown>): string[] {
  const failed: string[] = [];
  for (const r of RULES()) {
    const v = result[r.SettingName];
    const ok =
      r.Operator === 'IsEquals' ? v === r.Operand
      : r.Operator === 'NotEquals' ? v !== r.Operand
      : r.Operator === 'GreaterEquals' ? (v as number) >= (r.Operand as number)
      : r.Operator === 'GreaterThan' ? (v as number) > (r.Operand as number)
      : r.Operator === 'LessEquals' ? (v as number) <= (r.Operand as number)
      : (v as number) < (r.Operand as number);
    if (!ok) failed.push(r.SettingName);
  }
  return failed;
}

describe('Intune custom compliance rules file', () => {
  it('well-formed for Intune: known operators and data types, en_US strings, under 100 KB and 100 rules', () => {
    const text = read('intune/compliance/ccfleet-compliance-rules.json');
    expect(text.length).toBeLessThan(100 * 1024);
    const rules = RULES();
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.length).toBeLessThanOrEqual(100);
    for (const r of rules) {
      expect(['IsEquals', 'NotEquals', 'GreaterThan', 'GreaterEquals', 'LessThan', 'LessEquals']).toContain(r.Operator);
      expect(['Boolean', 'Int64', 'Double', 'String', 'DateTime', 'Version']).toContain(r.DataType);
      expect(r.RemediationStrings.some((s) => s.Language === 'en_US' && s.Title && s.Description)).toBe(true);
    }
  });

  it('every rule names a key ccfleet emits, with the matching data type', () => {
    const sample = JSON.parse(renderMdm('intune-compliance', sampleMachine(), '0.1.0').stdout) as Record<string, unknown>;
    const typeOf = (v: unknown) => (typeof v === 'boolean' ? 'Boolean' : Number.isInteger(v) ? 'Int64' : typeof v === 'number' ? 'Double' : 'String');
    for (const r of RULES()) {
      expect(Object.keys(sample)).toContain(r.SettingName);
      expect(typeOf(sample[r.SettingName])).toBe(r.DataType);
      expect(typeOf(r.Operand)).toBe(r.DataType);
    }
  });

  it('a compliant device passes every rule; a non-compliant one and an error fail the right ones', () => {
    const out = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, unknown>;
    expect(evaluateRules(out(renderMdm('intune-compliance', sampleMachine(), '0.1.0')))).toEqual([]);
    const bad = sampleMachine();
    bad.compliant = false;
    bad.users[0]!.compliant = false;
    bad.users[0]!.findings.push({ code: 'model-present', blocking: true });
    expect(evaluateRules(out(renderMdm('intune-compliance', bad, '0.1.0')))).toEqual(['ccfleetCompliant', 'ccfleetNonCompliantUsers']);
    expect(evaluateRules(out(renderMdmError('intune-compliance', new CcfleetError('POLICY_NOT_FOUND', 'x'), '0.1.0')))).toEqual(['ccfleetCompliant', 'ccfleetError', 'ccfleetPolicyVersion']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// ADMX/ADML, .reg and plists.

/** Well-formed XML (balanced, quoted attributes, escaped text): enough to catch a broken template. */
function checkXml(text: string): string[] {
  const errors: string[] = [];
  const stack: string[] = [];
  const body = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '').replace(/<!DOCTYPE[^>]*>/, '');
  let last = 0;
  for (const m of body.matchAll(/<[^<>]*>/g)) {
    const between = body.slice(last, m.index);
    if (/[<>]/.test(between) || /&(?!(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(between)) errors.push(`bad text before ${m[0]}`);
    last = m.index! + m[0].length;
    const t = /^<(\/?)([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>$/.exec(m[0]);
    if (!t) {
      errors.push(`malformed tag ${m[0]}`);
      continue;
    }
    if (t[1]) {
      if (stack.pop() !== t[2]) errors.push(`unbalanced </${t[2]}>`);
    } else if (!t[4]) stack.push(t[2]!);
  }
  if (stack.length) errors.push(`unclosed ${stack.join(', ')}`);
  if (/\S/.test(body.slice(last))) errors.push('text after the root');
  return errors;
}

const unescapeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** An ADMX/ADML pair refers to what exists: strings, presentations, element ids. */
function checkAdmxPair(admxRel: string, admlRel: string) {
  const admx = read(admxRel);
  const adml = read(admlRel);
  expect(checkXml(admx)).toEqual([]);
  expect(checkXml(adml)).toEqual([]);
  const strings = new Set([...adml.matchAll(/<string id="([^"]+)"/g)].map((m) => m[1]));
  for (const m of admx.matchAll(/\$\(string\.([^)]+)\)/g)) expect(strings, `string ${m[1]}`).toContain(m[1]);
  const presentations = new Map([...adml.matchAll(/<presentation id="([^"]+)">([\s\S]*?)<\/presentation>/g)].map((m) => [m[1]!, m[2]!]));
  for (const p of admx.matchAll(/<policy name="([^"]+)"[^>]*presentation="\$\(presentation\.([^)]+)\)"[^>]*>([\s\S]*?)<\/policy>/g)) {
    const pres = presentations.get(p[2]!);
    expect(pres, `presentation ${p[2]}`).toBeDefined();
    const ids = [...p[3]!.matchAll(/<(?:text|multiText|decimal|enum|boolean)\s+id="([^"]+)"/g)].map((m) => m[1]);
    const refs = [...pres!.matchAll(/refId="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.sort()).toEqual(ids.sort());
  }
  return { admx, adml };
}

describe('administrative templates, .reg and plists', () => {
  it('ccfleet.admx: every value is an agent config key under Software\\Policies\\ccfleet, typed as the schema wants; what it writes loads through the registry channel', () => {
    const { admx } = checkAdmxPair('intune/admx/ccfleet.admx', 'intune/admx/en-US/ccfleet.adml');
    const shape = agentConfigSchema.shape as Record<string, { _zod: { def: { type: string; innerType?: { _zod: { def: { type: string } } } } } }>;
    const kind = (k: string) => {
      const d = shape[k]!._zod.def;
      return d.type === 'optional' ? d.innerType!._zod.def.type : d.type;
    };
    const elements = [...admx.matchAll(/<(text|multiText|decimal|enum)\s+id="[^"]+"\s+valueName="([^"]+)"/g)].map((m) => ({ el: m[1]!, name: m[2]! }));
    expect(elements.length).toBeGreaterThan(3);
    for (const p of admx.matchAll(/<policy [^>]*key="([^"]+)"/g)) expect(p[1]).toBe('Software\\Policies\\ccfleet');
    const want: Record<string, string> = { text: 'string', multiText: 'array', decimal: 'number', enum: 'enum' };
    for (const e of elements) expect([e.name, kind(e.name)]).toEqual([e.name, want[e.el]]);
    // What Group Policy would write for each element (text → REG_SZ, multiText → REG_MULTI_SZ, decimal → REG_DWORD).
    const KEY = 'gODXEsEFsujidOra01GwOEYBBCQpb47KLyyyCgc0YUM=';
    const sample: Record<string, string> = { text: 'REG_SZ', multiText: 'REG_MULTI_SZ', decimal: 'REG_DWORD', enum: 'REG_SZ' };
    const value = (e: { el: string; name: string }) =>
      e.el === 'multiText' ? `${KEY}\\0${KEY}` : e.el === 'decimal' ? '0x3c' : e.el === 'enum' ? 'debug' : e.name === 'server' ? 'https://fleet.example.com' : 'x';
    const out = ['', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet', ...elements.map((e) => `    ${e.name}    ${sample[e.el]}    ${value(e)}`), ''].join('\r\n');
    const loaded = loadAgentConfigChannels(undefined, { platform: 'windows', configFile: 'C:\\ProgramData\\ccfleet\\agent.json', host: (p) => path.join(tempDir(), p.replace(/[:\\]/g, '_')), registry: () => ({ status: 0, stdout: out, stderr: '' }) });
    expect(Object.keys(loaded.config).sort()).toEqual(elements.map((e) => e.name).sort());
  });

  it('Claude Code native: the ADMX writes HKLM Software\\Policies\\ClaudeCode Settings; the ADML default, the .reg value and both plists carry the same settings', () => {
    const { admx, adml } = checkAdmxPair('claude-code-native/windows/ClaudeCode.admx', 'claude-code-native/windows/en-US/ClaudeCode.adml');
    expect(admx).toMatch(/<policy name="ManagedSettings" class="Machine"[^>]*key="Software\\Policies\\ClaudeCode">/);
    expect(admx).toMatch(/<text id="Settings" valueName="Settings"/);
    const fromAdml = JSON.parse(unescapeXml(/<defaultValue>([^<]*)<\/defaultValue>/.exec(adml)![1]!));
    const reg = read('claude-code-native/windows/claude-code-settings.reg');
    expect(reg.startsWith('Windows Registry Editor Version 5.00\r\n')).toBe(true);
    expect(reg).toContain('\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ClaudeCode]\r\n');
    const regLine = /^"Settings"="((?:[^"\\]|\\.)*)"\r$/m.exec(reg)![1]!;
    const fromReg = JSON.parse(regLine.replace(/\\(.)/g, '$1'));
    expect(fromReg).toEqual(fromAdml);
    expect(fromReg.env.ANTHROPIC_BASE_URL).toMatch(/^https:\/\//);
    // macOS: the same settings, except the key helper's path (each OS has its own).
    const plist = parsePlist(fs.readFileSync(path.join(MDM, 'claude-code-native/macos/com.anthropic.claudecode.plist'))) as Record<string, unknown>;
    const profile = parsePlist(fs.readFileSync(path.join(MDM, 'claude-code-native/macos/claude-code-managed-settings.mobileconfig'))) as { PayloadContent: Record<string, unknown>[] };
    const inner = Object.fromEntries(Object.entries(profile.PayloadContent[0]!).filter(([k]) => !k.startsWith('Payload')));
    expect(profile.PayloadContent[0]!.PayloadType).toBe('com.anthropic.claudecode');
    expect(inner).toEqual(plist);
    const { apiKeyHelper: _w, ...winRest } = fromReg;
    const { apiKeyHelper: _m, ...macRest } = plist;
    expect(macRest).toEqual(winRest);
  });

  it('README of the native alternative says plainly it is not ccfleet and that it shadows ccfleet\'s managed tier', () => {
    const t = read('claude-code-native/README.md');
    expect(t).toMatch(/^# ALTERNATIVE/);
    expect(t).toContain('do not use ccfleet');
    expect(t).toContain('managed-shadowed');
  });

  const profilePath = path.join(repoRoot, 'installers', 'macos', 'profiles', 'ccfleet-agent-config.mobileconfig');
  it.skipIf(!fs.existsSync(profilePath))('the macOS agent-config profile (installers/macos) uses only agent config keys besides Payload* bookkeeping', () => {
    const profile = parsePlist(fs.readFileSync(profilePath)) as { PayloadContent: Record<string, unknown>[] };
    const inner = profile.PayloadContent.find((p) => p.PayloadType === 'com.ccfleet.agent')!;
    const keys = Object.keys(inner).filter((k) => !/^Payload[A-Z]/.test(k));
    for (const k of keys) expect(Object.keys(agentConfigSchema.shape)).toContain(k);
  });
});
