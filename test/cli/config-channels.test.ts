// The CLI takes its agent config from the MDM channels under --root: macOS managed preferences (a plist
// under <root>/Library/Managed Preferences) and the Windows policy key (a fake reg.exe first on PATH —
// on a non-Windows host the agent runs whatever reg.exe PATH names for a --platform windows tree).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { makeMachine } from '../support/machine.js';
import { policyText } from './e2e-fixture.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

const xmlPlist = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>${body}</dict></plist>\n`;

function fakeRegDir(): { env: NodeJS.ProcessEnv; setOutput(text: string, status?: number): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-fakereg-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'out.txt');
  fs.writeFileSync(
    path.join(dir, 'reg.exe'),
    `#!/bin/sh\n[ "$*" = 'query HKLM\\SOFTWARE\\Policies\\ccfleet /s /reg:64' ] || { echo "unexpected arguments: $*" >&2; exit 9; }\ncat "${out}"\nexit "$(cat "${out}.status")"\n`,
    { mode: 0o755 },
  );
  return {
    env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` },
    setOutput(text, status = 0) {
      fs.writeFileSync(out, text);
      fs.writeFileSync(`${out}.status`, String(status));
    },
  };
}

describe('agent config from MDM channels (CLI, --root)', () => {
  it('macOS: the policy named by managed preferences is the one checked; a bad profile value is exit 2 naming the channel and field', () => {
    const m = makeMachine('darwin', [{ name: 'alice' }]);
    cleanups.push(m.cleanup);
    const policy = path.join(m.root, 'policy.jsonc');
    fs.writeFileSync(policy, policyText());
    const args = ['check', '--json', '--root', m.root, '--platform', 'darwin'];
    expect(cli(args).stderr).toMatch(/^ccfleet: POLICY_NOT_FOUND: /);
    m.write('/Library/Managed Preferences/com.ccfleet.agent.plist', xmlPlist(`<key>policy</key><string>${policy}</string>`));
    const r = cli(args);
    expect(r.code).toBe(1); // alice has no settings yet: not compliant, but the policy came from the profile
    expect(r.json.policy).toMatchObject({ id: 'e2e', version: 1 });
    m.write('/Library/Managed Preferences/com.ccfleet.agent.plist', xmlPlist(`<key>policy</key><string>${policy}</string><key>heartbeatMinutes</key><integer>0</integer>`));
    const bad = cli(args);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ccfleet: CONFIG_INVALID: managed preferences .*com\.ccfleet\.agent\.plist: heartbeatMinutes: .*\n$/);
    expect(bad.stdout).toBe('');
  });

  it('Windows: HKLM\\SOFTWARE\\Policies\\ccfleet overrides agent.json; a bad registry value is exit 2 naming the registry and field', () => {
    const m = makeMachine('windows', [{ name: 'alice' }]);
    cleanups.push(m.cleanup);
    const good = path.join(m.root, 'good.jsonc');
    fs.writeFileSync(good, policyText());
    m.write('C:\\ProgramData\\ccfleet\\agent.json', JSON.stringify({ policy: path.join(m.root, 'missing.jsonc') }));
    const reg = fakeRegDir();
    const args = ['check', '--json', '--root', m.root, '--platform', 'windows'];
    reg.setOutput('', 1); // key absent: agent.json's policy, which does not exist
    expect(cli(args, { env: reg.env }).stderr).toMatch(/^ccfleet: POLICY_NOT_FOUND: .*missing\.jsonc/);
    reg.setOutput(`\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet\r\n    Policy    REG_SZ    ${good}\r\n\r\n`);
    const r = cli(args, { env: reg.env });
    expect(r.code).toBe(1);
    expect(r.json.policy).toMatchObject({ id: 'e2e' });
    reg.setOutput(`\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\ccfleet\r\n    Policy    REG_SZ    ${good}\r\n    heartbeatMinutes    REG_DWORD    0x0\r\n\r\n`);
    const bad = cli(args, { env: reg.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ccfleet: CONFIG_INVALID: registry HKLM\\SOFTWARE\\Policies\\ccfleet: heartbeatMinutes: /);
  });
});
