#!/bin/sh
# Intune remediation for macOS and Linux - `ccfleet repair --format intune`, as root: makes the machine
# compliant now (the ccfleet daemon normally keeps it so; this is the MDM's own lever). See detect.sh for
# where Intune runs shell scripts.
#
# Output: one line under 2,048 characters - "Compliant: ..." after the repair, "Non-compliant: ..." for what
# could not be repaired, or "Error: <CODE>: ...".
# Exit:   0 compliant afterwards; 1 otherwise (Intune shows the remediation as failed, with this line).
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
  echo "Error: NOT_INSTALLED: no ccfleet binary on this machine (deploy the ccfleet package first)"
  exit 1
fi
out=$("$bin" repair --format intune 2>/dev/null)
rc=$?
[ -n "$out" ] || out="Error: NO_OUTPUT: ccfleet repair exited $rc without output"
printf '%s\n' "$out" | head -n 1
[ "$rc" -eq 0 ] && exit 0
exit 1
