#!/bin/sh
# Intune detection for macOS and Linux - `ccfleet check --format intune`, as root.
# Intune Remediations (detection + remediation pairs) exist for Windows only (use detect.ps1 there). On macOS,
# deploy this as a "Custom attribute" (its output is the value) or a shell script; on Linux, as a Bash script.
#
# Output: one line under 2,048 characters - "Compliant: ...", "Non-compliant: ..." or "Error: <CODE>: ...".
# Exit:   0 compliant; 1 not compliant, or compliance could not be established (error, not installed).
#
# The binary: $CCFLEET_BIN if set, else ccfleet on PATH, else the installed locations below.

find_ccfleet() {
  if [ -n "${CCFLEET_BIN:-}" ]; then printf '%s\n' "$CCFLEET_BIN"; return 0; fi
  if command -v ccfleet >/dev/null 2>&1; then command -v ccfleet; return 0; fi
  for c in "/Library/Application Support/ccfleet/bin/ccfleet" /usr/bin/ccfleet /usr/lib/ccfleet/ccfleet; do
    if [ -x "$c" ]; then printf '%s\n' "$c"; return 0; fi
  done
  return 1
}

if ! bin=$(find_ccfleet); then
  echo "Error: NOT_INSTALLED: no ccfleet binary on this machine"
  exit 1
fi
out=$("$bin" check --format intune 2>/dev/null)
rc=$?
[ -n "$out" ] || out="Error: NO_OUTPUT: ccfleet check exited $rc without output"
printf '%s\n' "$out" | head -n 1
[ "$rc" -eq 0 ] && exit 0
exit 1
