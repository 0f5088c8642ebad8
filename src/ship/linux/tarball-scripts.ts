/**
 * install.sh / uninstall.sh of the tar.gz: what the packages do, for machines without dpkg/rpm or for
 * images (`--root DIR`). The units go to /etc/systemd/system (files a package manager does not own); the
 * default config goes to /usr/share/ccfleet/agent.json.default and is copied to /etc/ccfleet/agent.json only
 * when absent (as the packages do), so a re-run (= upgrade) keeps it; a re-run try-restarts. Both refuse
 * to touch an install owned by dpkg or rpm.
 */
import { BIN_LINK, BIN_LINK_TARGET, BINARY, CONFIG_FILE, DEFAULT_CONFIG_FILE, LIB_DIR, LOCAL_UNIT_DIR, SHARE_DIR } from './layout.js';
import { ALL_UNITS, PURGE_STEPS, shellScript, type ShellOptions } from './shell.js';

const TAR: ShellOptions = { root: '""' };

const ARGS = (usage: string, extra: string) => `
usage() { echo "usage: $0 ${usage}" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || usage; ROOT=$(cd "$2" && pwd); [ "$ROOT" != / ] || ROOT=; shift 2 ;;${extra}
    -h|--help) usage ;;
    *) usage ;;
  esac
done
[ "$(id -u)" = 0 ] || { say "run as root"; exit 1; }
if [ -z "$ROOT" ] && { { command -v dpkg-query >/dev/null 2>&1 && dpkg-query -S ${BINARY} >/dev/null 2>&1; } ||
  { command -v rpm >/dev/null 2>&1 && rpm -qf ${BINARY} >/dev/null 2>&1; }; }; then
  say "${BINARY} belongs to the ccfleet package: use apt/dnf instead"; exit 1
fi`;

export function tarballScripts(arch: 'x64' | 'arm64', o: ShellOptions = TAR): { install: string; uninstall: string } {
  const machine = arch === 'x64' ? 'x86_64|amd64' : 'aarch64|arm64';
  const install = shellScript(`ccfleet install.sh (linux-${arch}): installs or upgrades ccfleet and its systemd service. Usage: install.sh [--root DIR]`, o, `
HERE=$(cd "$(dirname "$0")" && pwd)
${ARGS('[--root DIR]', '')}
case "$(uname -m)" in ${machine}) ;; *) [ -n "$ROOT" ] || { say "this is the linux-${arch} package; this machine is $(uname -m)"; exit 1; } ;; esac
UPGRADE=; [ -e "$ROOT${BINARY}" ] && UPGRADE=1
install -d -m 0755 "$ROOT${LIB_DIR}" "$ROOT/usr/bin" "$ROOT${LOCAL_UNIT_DIR}"
# Copy beside, then rename: a running daemon keeps its old binary until restarted.
install -m 0755 "$HERE/ccfleet" "$ROOT${BINARY}.new"
mv -f "$ROOT${BINARY}.new" "$ROOT${BINARY}"
ln -sfn ${BIN_LINK_TARGET} "$ROOT${BIN_LINK}"
for u in ${ALL_UNITS}; do install -m 0644 "$HERE/systemd/$u" "$ROOT${LOCAL_UNIT_DIR}/$u"; done
install -d -m 0755 "$ROOT${SHARE_DIR}"
install -m 0644 "$HERE/agent.json.default" "$ROOT${DEFAULT_CONFIG_FILE}"
make_dirs
# The config is IT's: written from the default only when there is none, never overwritten.
seed_config
protect_config
if [ -z "$UPGRADE" ]; then
  enable_units
  reload_manager
  start_units
else
  reload_manager
  restart_units
fi
say "installed $("$ROOT${BINARY}" --version 2>/dev/null || echo ccfleet) at ${BINARY}"
exit 0`);
  const uninstall = shellScript(`ccfleet uninstall.sh: stops and removes ccfleet; --purge also removes its config, state, logs and managed drop-in. Usage: uninstall.sh [--purge] [--root DIR]`, o, `
PURGE=
${ARGS('[--purge] [--root DIR]', `
    --purge) PURGE=1; shift ;;`)}
stop_units
[ -e "$ROOT${LOCAL_UNIT_DIR}/ccfleet.service" ] && disable_units
for u in ${ALL_UNITS}; do rm -f "$ROOT${LOCAL_UNIT_DIR}/$u"; done
[ "$(readlink "$ROOT${BIN_LINK}" 2>/dev/null)" = ${BIN_LINK_TARGET} ] && rm -f "$ROOT${BIN_LINK}"
rm -f "$ROOT${BINARY}" "$ROOT${BINARY}.new" "$ROOT${DEFAULT_CONFIG_FILE}"
rmdir "$ROOT${LIB_DIR}" "$ROOT${SHARE_DIR}" 2>/dev/null || true
if [ -n "$PURGE" ]; then
  ${PURGE_STEPS.split('\n').join('\n  ')}
else
  say "kept ${CONFIG_FILE}, /var/lib/ccfleet and /var/log/ccfleet (--purge removes them)"
fi
reload_manager
say "removed"
exit 0`);
  return { install, uninstall };
}
