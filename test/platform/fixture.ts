/**
 * Test fixtures: a temp directory standing in for a machine's filesystem root. Files are placed by
 * their machine path (`/home/a/.claude.json`, `C:\Users\a\.claude.json`) through toHostPath, exactly
 * as the agent maps them under `--root`, and read back through the real node FsView.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePolicyText } from '../../src/core/policy-load.js';
import type { Policy } from '../../src/core/policy-schema.js';
import { platformFor } from '../../src/platform/index.js';
import { createNodeFsView } from '../../src/platform/node-fs-view.js';
import { toHostPath } from '../../src/platform/root-path.js';
import type { FsView, Platform, PlatformName } from '../../src/platform/types.js';

export class MachineFixture {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-platform-'));
  readonly platform: Platform;
  readonly fs: FsView;
  private passwd: string[] = [];

  constructor(readonly name: PlatformName) {
    this.platform = platformFor(name);
    this.fs = createNodeFsView(this.root, name);
  }

  host(machinePath: string): string {
    return toHostPath(this.root, this.name, machinePath, path.sep);
  }

  put(machinePath: string, text: string): string {
    const p = this.host(machinePath);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return machinePath;
  }

  mkdir(machinePath: string): string {
    fs.mkdirSync(this.host(machinePath), { recursive: true });
    return machinePath;
  }

  /** The machine path of a user's home by this platform's convention. */
  home(user: string): string {
    if (this.name === 'darwin') return `/Users/${user}`;
    if (this.name === 'windows') return `C:\\Users\\${user}`;
    return user === 'root' ? '/root' : `/home/${user}`;
  }

  /** A machine path under a user's home: `under('a', 'work', 'api')`. */
  under(user: string, ...parts: string[]): string {
    return this.platform.path.join(this.home(user), ...parts);
  }

  /** Adds a human user: a passwd entry on linux/wsl, and the home folder unless `noHome`. */
  addUser(user: string, opts: { uid?: number; home?: string; noHome?: boolean } = {}): string {
    const home = opts.home ?? this.home(user);
    if (this.name === 'linux' || this.name === 'wsl') {
      const uid = opts.uid ?? 1000 + this.passwd.length;
      this.passwdLine(`${user}:x:${uid}:${uid}:${user}:${home}:/bin/bash`);
    }
    if (!opts.noHome) this.mkdir(home);
    return home;
  }

  passwdLine(line: string): void {
    this.passwd.push(line);
    this.put('/etc/passwd', `${this.passwd.join('\n')}\n`);
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** A valid policy; `extra` is spliced into the top-level object as JSONC. */
export function policy(extra = ''): Policy {
  return parsePolicyText(`{ "id": "test", "version": 1, "env": { "ANTHROPIC_BASE_URL": "http://localhost:8080/anthropic" }, ${extra} }`, 'test-policy.jsonc');
}
