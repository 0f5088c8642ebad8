#!/bin/sh
# Removes the ccfleet agent from this Mac (run as root; an MDM can run it as a script):
#   sudo "/Library/Application Support/ccfleet/uninstall.sh" [--keep-config] [--keep-managed-settings]
# Stops and unloads the LaunchDaemon, deletes the executable, the plist, state, logs and the package
# receipt. By default it also deletes agent.json and the managed Claude Code drop-in the agent wrote
# (managed-settings.d/50-ccfleet.json), so Claude Code stops being pinned to the gateway:
#   --keep-config              keep /Library/Application Support/ccfleet/agent.json
#   --keep-managed-settings    keep the drop-in (enforcement stays in place without the agent)
# Configuration profiles are the MDM's: remove them there.
set -u
LABEL=com.ccfleet.agent
APP="/Library/Application Support/ccfleet"
PLIST="/Library/LaunchDaemons/$LABEL.plist"
DROPIN="/Library/Application Support/ClaudeCode/managed-settings.d/50-ccfleet.json"
KEEP_CONFIG=0
KEEP_MANAGED=0

for arg in "$@"; do
  case "$arg" in
    --keep-config) KEEP_CONFIG=1 ;;
    --keep-managed-settings) KEEP_MANAGED=1 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != "0" ]; then
  echo "uninstall.sh: run as root (sudo)" >&2
  exit 2
fi

log() { echo "ccfleet uninstall: $*"; }

launchctl bootout "system/$LABEL" 2>/dev/null && log "daemon stopped"
i=0
while launchctl print "system/$LABEL" >/dev/null 2>&1 && [ "$i" -lt 20 ]; do
  sleep 1
  i=$((i + 1))
done
rm -f "$PLIST" "/private/etc/newsyslog.d/com.ccfleet.agent.conf"

if [ -d "$APP" ] && [ ! -L "$APP" ]; then
  if [ "$KEEP_CONFIG" = "1" ] && [ -f "$APP/agent.json" ]; then
    find "$APP" -mindepth 1 -maxdepth 1 ! -name agent.json -exec rm -rf {} +
    log "removed $APP (kept agent.json)"
  else
    rm -rf "$APP"
    log "removed $APP"
  fi
fi
rm -rf "/Library/Logs/ccfleet"

if [ "$KEEP_MANAGED" = "0" ] && [ -f "$DROPIN" ] && [ ! -L "$DROPIN" ]; then
  rm -f "$DROPIN"
  log "removed the managed Claude Code drop-in $DROPIN"
fi

pkgutil --forget "$LABEL" >/dev/null 2>&1 && log "forgot the package receipt"
log "done"
exit 0
