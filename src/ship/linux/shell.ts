/**
 * The POSIX sh shared by every Linux install path (deb maintainer scripts, rpm scriptlets, the tar.gz's
 * install.sh/uninstall.sh): folders, enabling/starting/stopping the units. Rules it keeps:
 * - never fails an install because of systemd: without systemctl, or with systemd not running (a container,
 *   a chroot, an image being built), the units are enabled as files (`systemctl --root`, which needs no
 *   running manager) and not started, and a message says so;
 * - /etc/ccfleet/agent.json is IT's: written from the shipped default only when absent, never replaced,
 *   never written or chmod-ed through a symlink;
 * - `$ROOT` prefixes every path: empty on a live system, dpkg's `$DPKG_ROOT` for `dpkg --root`, the
 *   tarball's `--root DIR`; with a root set, the running systemd is never touched.
 * `ShellOptions.probe` and `liveUnderRoot` exist for tests only (a fake "running systemd" under a temp root).
 */
import { DEFAULT_CONFIG_FILE } from './layout.js';

export interface ShellOptions {
  /** The shell expression giving the root ("" = live system). */
  root: string;
  /** Tests: sd_booted(3)'s marker folder (systemd is PID 1 when it exists). */
  probe?: string;
  /** Tests: talk to the (fake) running manager even though a root is set. */
  liveUnderRoot?: boolean;
}

export const SERVICE_UNITS = 'ccfleet.service ccfleet-config.path';
export const ALL_UNITS = 'ccfleet.service ccfleet-config.path ccfleet-config.service';
/** Left by a package removal when the service was enabled: a later reinstall enables it again. */
export const REENABLE_MARK = '/var/lib/ccfleet/.enable-on-reinstall';

/** Function definitions; each script appends its own steps. */
export function shellLibrary(o: ShellOptions): string {
  const probe = o.probe ?? '/run/systemd/system';
  return `ROOT=${o.root}
UNITS="${SERVICE_UNITS}"
say() { echo "ccfleet: $*"; }
have_systemctl() { command -v systemctl >/dev/null 2>&1; }
# systemd is PID 1 and this is the live system (not an image under $ROOT).
systemd_running() { ${o.liveUnderRoot ? '' : '[ -z "$ROOT" ] && '}[ -d ${probe} ] && have_systemctl; }
# systemctl on the running manager; a failure is reported, never fatal.
live_systemctl() { systemctl "$@" || say "'systemctl $*' failed (ignored)"; }
# Enable/disable as files: works with or without a running manager.
offline_systemctl() {
  if have_systemctl; then
    systemctl --root="\${ROOT:-/}" "$@" || say "'systemctl $*' failed (ignored)"
  else
    say "systemctl not found: run '/usr/lib/ccfleet/ccfleet daemon' as root under this system's service manager"
  fi
}
make_dirs() {
  install -d -m 0700 "$ROOT/var/lib/ccfleet" "$ROOT/var/log/ccfleet"
  # Claude Code's managed-settings folder (the daemon's drop-in goes in it); never re-moded if present.
  [ -d "$ROOT/etc/claude-code" ] || install -d -m 0755 "$ROOT/etc/claude-code"
}
# The default config, copied only when there is no /etc/ccfleet/agent.json: a file IT wrote before the
# package (an MDM) or edited since is never replaced. Written to a private temp file beside it, then linked
# into place (the link fails if the name appeared meanwhile; a plain rename where hard links are not
# supported). Never written through a symlinked folder; a symlinked agent.json counts as existing.
seed_config() {
  cfg_dir="$ROOT/etc/ccfleet"
  if [ -L "$cfg_dir" ]; then say "$cfg_dir is a symlink: no default agent.json written through it"; return 0; fi
  if [ -e "$cfg_dir/agent.json" ] || [ -L "$cfg_dir/agent.json" ]; then return 0; fi
  if [ ! -f "$ROOT${DEFAULT_CONFIG_FILE}" ]; then say "$ROOT${DEFAULT_CONFIG_FILE} is missing: no default agent.json written"; return 0; fi
  [ -d "$cfg_dir" ] || install -d -m 0755 "$cfg_dir"
  cfg_tmp=$(mktemp "$cfg_dir/.agent.json.XXXXXX")
  if ! { cat "$ROOT${DEFAULT_CONFIG_FILE}" > "$cfg_tmp" && chmod 0600 "$cfg_tmp" && { [ "$(id -u)" != 0 ] || chown 0:0 "$cfg_tmp"; }; }; then
    rm -f "$cfg_tmp"
    say "could not write $cfg_dir/agent.json"
    return 1
  fi
  if ln "$cfg_tmp" "$cfg_dir/agent.json" 2>/dev/null ||
    { [ ! -e "$cfg_dir/agent.json" ] && [ ! -L "$cfg_dir/agent.json" ] && mv -f "$cfg_tmp" "$cfg_dir/agent.json"; }; then
    say "wrote the default /etc/ccfleet/agent.json (nothing is enforced until it names a server or policy)"
  fi
  rm -f "$cfg_tmp"
}
# The config holds the enrollment secret: whoever wrote it (a preseeding MDM script, an editor), it must not
# stay readable by users. A regular file only, never through a symlink (file or folder).
protect_config() {
  if [ ! -L "$ROOT/etc/ccfleet" ] && [ -f "$ROOT/etc/ccfleet/agent.json" ] && [ ! -L "$ROOT/etc/ccfleet/agent.json" ]; then chmod go-rwx "$ROOT/etc/ccfleet/agent.json"; fi
}
reload_manager() { if systemd_running; then live_systemctl daemon-reload; fi; }
enable_units() { offline_systemctl enable $UNITS; }
disable_units() { offline_systemctl disable $UNITS; }
start_units() {
  if systemd_running; then
    live_systemctl start $UNITS
    say "ccfleet.service started (it enforces once /etc/ccfleet/agent.json names a server or policy)"
  elif [ -n "$ROOT" ]; then
    say "installed under $ROOT: the service is enabled and starts when that system boots"
  else
    say "systemd is not running (container or chroot?): the service is enabled but not started"
  fi
}
restart_units() { if systemd_running; then live_systemctl try-restart $UNITS; fi; }
stop_units() { if systemd_running; then live_systemctl stop ${ALL_UNITS}; fi; }
was_enabled() { have_systemctl && systemctl --root="\${ROOT:-/}" is-enabled --quiet ccfleet.service 2>/dev/null; }
`;
}

/** Removes what only a purge removes: state, logs, the config folder and the daemon's managed drop-in. */
export const PURGE_STEPS = `rm -rf "$ROOT/var/lib/ccfleet" "$ROOT/var/log/ccfleet" "$ROOT/etc/ccfleet"
rm -f "$ROOT/etc/claude-code/managed-settings.d/50-ccfleet.json"
rmdir "$ROOT/etc/claude-code/managed-settings.d" "$ROOT/etc/claude-code" 2>/dev/null || true`;

/** A whole script: shebang, a header comment, `set -e`, the library, then the body. */
export function shellScript(header: string, o: ShellOptions, body: string): string {
  return `#!/bin/sh
# ${header}
set -e
${shellLibrary(o)}
${body.trim()}
`;
}
