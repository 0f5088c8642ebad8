/**
 * Which WSL distributions a pass looks at. `running` (the default) asks `wsl.exe -l --running -q`, which
 * boots nothing: a stopped distribution costs no RAM on the laptop and is looked at the next time its
 * user starts it. `all` asks `wsl.exe -l -q` and the pass then boots every distribution it runs in.
 * Docker Desktop's own distributions (`docker-desktop`, `docker-desktop-data`) hold no users and are
 * always skipped, like the names in the agent config's `wsl.exclude` (case-insensitive, as WSL compares).
 */
import { decodeWslOutput, parseDistroList, tail } from './wsl-text.js';
import type { WslRunner } from './runner.js';

export type DistroSelection = 'running' | 'all';

export const ALWAYS_SKIPPED = ['docker-desktop', 'docker-desktop-data'] as const;

export interface DistroList {
  /** To look at, in wsl.exe's order. */
  distros: string[];
  /** Listed but left alone, and why. */
  skipped: { name: string; reason: 'docker-desktop' | 'excluded' }[];
  /** wsl.exe failed and listed nothing (not installed, or this account cannot see distributions). */
  problem: string | null;
}

export async function listDistros(runner: WslRunner, o: { selection: DistroSelection; exclude?: readonly string[]; timeoutMs?: number }): Promise<DistroList> {
  const args = o.selection === 'running' ? ['-l', '--running', '-q'] : ['-l', '-q'];
  const r = await runner.run(args, { timeoutMs: o.timeoutMs ?? 30_000, maxBytes: 1024 * 1024 });
  const text = decodeWslOutput(r.stdout);
  const names = parseDistroList(text);
  if (r.code !== 0 && names.length === 0) {
    // No distributions at all (WSL_E_DEFAULT_DISTRO_NOT_FOUND, also for `--running` with none running)
    // is an empty list, not a problem; anything else is worth a log line.
    const said = tail(`${text} ${decodeWslOutput(r.stderr)}`);
    const none = /no installed distributions|no running distributions|there are no/i.test(said);
    const problem = r.startError ? `wsl.exe could not be started (${r.startError})` : r.timedOut ? 'wsl.exe did not answer in time' : `wsl.exe exited with ${r.code}: ${said}`;
    return { distros: [], skipped: [], problem: none ? null : problem };
  }
  const excluded = new Set((o.exclude ?? []).map((n) => n.toLowerCase()));
  const out: DistroList = { distros: [], skipped: [], problem: null };
  for (const name of names) {
    const low = name.toLowerCase();
    if ((ALWAYS_SKIPPED as readonly string[]).includes(low)) out.skipped.push({ name, reason: 'docker-desktop' });
    else if (excluded.has(low)) out.skipped.push({ name, reason: 'excluded' });
    else out.distros.push(name);
  }
  return out;
}
