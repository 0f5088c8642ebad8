/**
 * The few lines of POSIX sh that run ccfleet's Linux executable inside a distribution, fed to
 * `wsl.exe -d <distro> -u root --exec sh -s <windows path of the exe> <timeout s> <ccfleet args…>` on stdin.
 *
 * Why this shape: `--exec` hands the arguments to the program as they are (with `--`, wsl.exe glues them
 * into one line for the user's login shell, which re-parses quotes); the script and the policy travel on
 * stdin, so no quoting of either ever crosses the Windows command line. Inside:
 *   - `wslpath -u` turns the Windows path of the executable into this distribution's path (the automount
 *     root is `/mnt` by default but wsl.conf can move it; wslpath knows);
 *   - the policy (the exact bytes the Windows agent enforces) is written to a private temp folder
 *     (`mktemp -d`: 0700, unpredictable name) with an empty agent config beside it, so a ccfleet install of
 *     the distribution's own (a `/etc/ccfleet/agent.json` with other keys) does not change this run;
 *   - `timeout` (coreutils or busybox), when present, bounds the run inside the distribution too — killing
 *     wsl.exe on Windows does not always stop the Linux process;
 *   - the kernel release goes to stderr for the report; the temp folder is removed on every exit.
 * Exit codes of its own (above ccfleet's 0/1/2): see SCRIPT_EXIT.
 */
import { randomBytes } from 'node:crypto';

export const SCRIPT_EXIT = { wslpath: 96, missing: 97, temp: 98, timeout: 124 } as const;

/** The script with the policy embedded as a quoted here-document (no expansion inside). */
export function distroScript(policy: Uint8Array): string {
  const text = Buffer.from(policy).toString('utf8');
  let mark: string;
  do mark = `CCFLEET_POLICY_${randomBytes(12).toString('hex')}`;
  while (text.includes(mark));
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return [
    'win=$1; t=$2; shift 2',
    `exe=$(wslpath -u "$win" 2>/dev/null) || { echo "ccfleet-wsl: wslpath cannot convert $win" >&2; exit ${SCRIPT_EXIT.wslpath}; }`,
    `[ -f "$exe" ] || { echo "ccfleet-wsl: no Linux executable at $exe" >&2; exit ${SCRIPT_EXIT.missing}; }`,
    `d=$(mktemp -d "\${TMPDIR:-/tmp}/ccfleet-wsl.XXXXXXXX") || { echo "ccfleet-wsl: cannot make a temp folder" >&2; exit ${SCRIPT_EXIT.temp}; }`,
    "trap 'rm -rf \"$d\"' EXIT",
    "trap 'exit 143' HUP INT TERM",
    `cat > "$d/policy.json" <<'${mark}' || exit ${SCRIPT_EXIT.temp}`,
    `${body}${mark}`,
    `echo '{}' > "$d/agent.json" || exit ${SCRIPT_EXIT.temp}`,
    'echo "ccfleet-wsl: kernel $(uname -r 2>/dev/null)" >&2',
    'if command -v timeout >/dev/null 2>&1; then',
    '  timeout "$t" "$exe" "$@" --policy "$d/policy.json" --config "$d/agent.json" </dev/null',
    'else',
    '  "$exe" "$@" --policy "$d/policy.json" --config "$d/agent.json" </dev/null',
    'fi',
    'rc=$?',
    'exit $rc',
    '',
  ].join('\n');
}
