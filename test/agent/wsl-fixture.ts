/**
 * Fake WSL distributions for the WSL tests: a fake wsl.exe (wsl-fake.cjs) run through the real
 * spawnRunner, and per distribution a folder with
 *   bin/wslpath        converts `C:\X\Y` to `<distro folder>/fs<automount root>/c/X/Y` (like the real one
 *                      with wsl.conf [automount] root), so each distribution finds the Linux executable
 *                      at a path of its own
 *   fs/<automount>/c/Program Files/ccfleet/ccfleet-linux-x64
 *                      the "Linux executable": the real CLI bundle with `--root <the distribution's fixture
 *                      machine>` (or, per `exe`, garbage on stdout, an error exit, a hang, or nothing at all)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnRunner, type WslRunner } from '../../src/agent/wsl/runner.js';
import { makeMachine, type Machine } from '../support/machine.js';
import { testBundle, testNode } from '../support/runtime.js';

export const LINUX_EXE = 'C:\\Program Files\\ccfleet\\ccfleet-linux-x64';

export interface DistroSpec {
  name: string;
  running?: boolean;
  /** Default 'ccfleet'. */
  exe?: 'ccfleet' | 'garbage' | 'fail' | 'hang' | 'missing';
  /** The automount root seen inside (default /mnt). */
  automount?: string;
  users?: string[];
}

export interface ListSpec {
  encoding?: 'utf16le' | 'utf8';
  bom?: boolean;
  crlf?: boolean;
  nuls?: boolean;
  marker?: boolean;
}

export interface FakeWsl {
  dir: string;
  runner: WslRunner;
  /** The command line that runs the fake (for `ccfleet wsl --wsl-exe`): a sh wrapper. */
  exe: string;
  machine(name: string): Machine;
  /** Every call's argv, in order. */
  calls(): string[][];
  /** The distributions a command was run in. */
  ranIn(): string[];
  cleanup(): void;
}

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export function fakeWsl(distros: DistroSpec[], list: ListSpec = {}): FakeWsl {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-wsl-'));
  const machines = new Map<string, Machine>();
  const entries = distros.map((d) => {
    const base = path.join(dir, d.name);
    const bin = path.join(base, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    const mount = (d.automount ?? '/mnt').replace(/\/+$/, '');
    fs.writeFileSync(
      path.join(bin, 'wslpath'),
      [
        '#!/bin/sh',
        '[ "$1" = "-u" ] || exit 1',
        'p=$2',
        'case "$p" in [A-Za-z]:\\\\*) ;; *) echo "wslpath: $p: Invalid argument" >&2; exit 1;; esac',
        "drive=$(printf '%s' \"$p\" | cut -c1 | tr 'A-Z' 'a-z')",
        "rest=$(printf '%s' \"$p\" | cut -c3- | tr '\\\\' '/')",
        `printf '%s\\n' ${q(`${base}/fs${mount}`)}"/$drive$rest"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const exe = path.join(base, 'fs', ...mount.split('/').filter(Boolean), 'c', 'Program Files', 'ccfleet', 'ccfleet-linux-x64');
    const kind = d.exe ?? 'ccfleet';
    if (kind !== 'missing') {
      fs.mkdirSync(path.dirname(exe), { recursive: true });
      let body: string;
      if (kind === 'ccfleet') {
        const m = makeMachine('wsl', (d.users ?? ['alice']).map((name) => ({ name })));
        machines.set(d.name, m);
        body = `exec ${q(testNode)} ${q(testBundle)} "$@" --root ${q(m.root)}`;
      } else if (kind === 'garbage') body = "echo 'Welcome to Ubuntu! this is not JSON'; exit 0";
      else if (kind === 'fail') body = "echo 'ccfleet: POLICY_INVALID: policies/x.jsonc: env: expected an object' >&2; exit 2";
      else body = 'exec sleep 60';
      fs.writeFileSync(exe, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    }
    return { name: d.name, running: d.running ?? true, bin };
  });
  const log = path.join(dir, 'calls.log');
  const config = path.join(dir, 'fake-wsl.json');
  fs.writeFileSync(config, JSON.stringify({ distros: entries, list, log }));
  const fake = path.join(__dirname, 'wsl-fake.cjs');
  const exe = path.join(dir, 'wsl.exe');
  fs.writeFileSync(exe, `#!/bin/sh\nFAKE_WSL=${q(config)} exec ${q(testNode)} ${q(fake)} "$@"\n`, { mode: 0o755 });
  const calls = (): string[][] => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []);
  return {
    dir,
    exe,
    runner: spawnRunner({ command: [testNode, fake], env: { ...process.env, FAKE_WSL: config } }),
    machine: (name) => {
      const m = machines.get(name);
      if (!m) throw new Error(`no fixture machine for ${name}`);
      return m;
    },
    calls,
    ranIn: () => calls().filter((a) => a.includes('--exec')).map((a) => a[a.indexOf('-d') + 1]!),
    cleanup: () => {
      for (const m of machines.values()) m.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A drifted user: a `model` in the user settings (repair removes it). */
export function drift(m: Machine, user = 'alice'): string {
  const file = m.join(m.home(user), '.claude', 'settings.json');
  m.write(file, '{\n  "theme": "dark",\n  "model": "claude-opus-4-5"\n}\n');
  return file;
}
