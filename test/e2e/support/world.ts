/**
 * A user's world as a fixture machine (test/support/machine.ts, Linux layout): `/etc/passwd`, homes owned
 * by each user's uid (as on a real machine: ccfleet refuses foreign-owned files, and Claude Code runs as
 * the user and writes its own files there), the managed folder `/etc/claude-code` (root-owned), the files
 * a scenario lists, and the policy's key helper at `/home/.e2e-bin/bifrost-virtual-key` — a machine path
 * both the CLI (`--root`) and Claude Code (the namespace's `/home`) see, printing `sk-bf-e2e-<uid>`.
 * File contents: an object is written as strict JSON, a string verbatim (comments, broken JSON);
 * `$GATEWAY` and `$ROGUE` in either become the fake gateways' base URLs. Symbolic links are made as given
 * (their targets verbatim: absolute targets are machine paths, so they resolve inside the namespace).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeMachine, type Machine } from '../../support/machine.js';

export interface WorldUser {
  name: string;
  uid: number;
}

export type Content = string | Record<string, unknown>;

export interface WorldSpec {
  users: WorldUser[];
  /** Machine path → content. */
  files: Record<string, Content>;
  /** Machine paths to `git init` (as the folder's owner). */
  git?: string[];
  /** Machine path → symlink target, written verbatim (e.g. a native install's launcher). */
  links?: Record<string, string>;
}

export const HELPER_PATH = '/home/.e2e-bin/bifrost-virtual-key';
export const helperKey = (uid: number) => `sk-bf-e2e-${uid}`;

/** A user's `.claude.json` as Claude Code leaves it after onboarding, with these projects known. */
export function claudeJson(...projects: string[]): Record<string, unknown> {
  return {
    hasCompletedOnboarding: true,
    projects: Object.fromEntries(projects.map((p) => [p, { allowedTools: [], hasTrustDialogAccepted: true }])),
  };
}

export function buildWorld(spec: WorldSpec, subst: Record<string, string>): Machine {
  const m = makeMachine('linux', spec.users);
  try {
    fs.chmodSync(m.root, 0o755);
    fs.mkdirSync(m.host('/etc/claude-code'), { recursive: true });
    const helper = m.write(HELPER_PATH, '#!/bin/sh\n# e2e stand-in for the MDM-installed key helper: one virtual key per uid\necho "sk-bf-e2e-$(id -u)"\n');
    fs.chmodSync(helper, 0o755);
    for (const [p, content] of Object.entries(spec.files)) {
      let text = typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`;
      for (const [k, v] of Object.entries(subst)) text = text.split(k).join(v);
      fs.chmodSync(m.write(p, text), 0o644);
    }
    for (const [p, target] of Object.entries(spec.links ?? {})) {
      fs.mkdirSync(path.dirname(m.host(p)), { recursive: true });
      fs.symlinkSync(target, m.host(p));
    }
    for (const dir of spec.git ?? []) {
      fs.mkdirSync(m.host(dir), { recursive: true });
      const r = spawnSync('git', ['init', '-q', m.host(dir)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`git init ${dir}: ${r.stderr}`);
    }
    for (const u of spec.users) chownTree(m.host(m.home(u.name)), u.uid);
    for (const d of ['/', '/etc', '/etc/claude-code', '/home', '/home/.e2e-bin']) fs.chmodSync(m.host(d), 0o755);
    return m;
  } catch (e) {
    m.cleanup();
    throw e;
  }
}

function chownTree(p: string, uid: number): void {
  fs.lchownSync(p, uid, uid);
  if (fs.lstatSync(p).isDirectory()) for (const n of fs.readdirSync(p)) chownTree(path.join(p, n), uid);
}
