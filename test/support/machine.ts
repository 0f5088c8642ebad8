/**
 * Fixture machines for end-to-end tests: a temp folder laid out like a Linux, WSL, macOS or Windows
 * filesystem root (for `--root`), with users, their `.claude.json` projects and settings files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PlatformName } from '../../src/platform/types.js';

export interface FixtureUser {
  name: string;
  uid?: number;
}

export interface Machine {
  root: string;
  platform: PlatformName;
  /** Machine path of a user's home (`/home/a`, `/Users/a`, `C:\Users\a`). */
  home(user: string): string;
  /** Host path for a machine path. */
  host(machinePath: string): string;
  /** Machine path of the managed settings folder. */
  managedDir: string;
  write(machinePath: string, text: string): string;
  read(machinePath: string): string;
  exists(machinePath: string): boolean;
  /** Machine path join in the platform's syntax. */
  join(...parts: string[]): string;
  cleanup(): void;
}

export function makeMachine(platform: PlatformName, users: FixtureUser[]): Machine {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `ccfleet-${platform}-`));
  const win = platform === 'windows';
  const join = (...parts: string[]) => (win ? path.win32.join(...parts) : path.posix.join(...parts));
  const home = (u: string) => (platform === 'darwin' ? `/Users/${u}` : win ? `C:\\Users\\${u}` : `/home/${u}`);
  const host = (p: string) => {
    if (win) {
      const m = /^([A-Za-z]):[\\/]*(.*)$/.exec(p)!;
      const drive = m[1]!.toUpperCase();
      const rest = m[2]!.split(/[\\/]+/).filter(Boolean);
      return path.join(root, ...(drive === 'C' ? rest : [drive, ...rest]));
    }
    return path.join(root, ...p.split('/').filter(Boolean));
  };
  const write = (p: string, text: string) => {
    const h = host(p);
    fs.mkdirSync(path.dirname(h), { recursive: true });
    fs.writeFileSync(h, text);
    return h;
  };
  if (platform === 'linux' || platform === 'wsl') {
    write('/etc/passwd', ['root:x:0:0:root:/root:/bin/bash', ...users.map((u, i) => `${u.name}:x:${u.uid ?? 1000 + i}:${u.uid ?? 1000 + i}::/home/${u.name}:/bin/bash`)].join('\n') + '\n');
  }
  for (const u of users) fs.mkdirSync(host(home(u.name)), { recursive: true });
  const managedDir = platform === 'darwin' ? '/Library/Application Support/ClaudeCode' : win ? 'C:\\Program Files\\ClaudeCode' : '/etc/claude-code';
  return {
    root, platform, home, host, managedDir, write, join,
    read: (p) => fs.readFileSync(host(p), 'utf8'),
    exists: (p) => fs.existsSync(host(p)),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
