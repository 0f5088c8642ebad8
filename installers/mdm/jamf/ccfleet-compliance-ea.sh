#!/bin/sh
# Jamf Pro extension attribute - "ccfleet compliance" (Settings > Computer management > Extension attributes,
# Data type: String, Input type: Script; paste this file). Runs at every inventory update, as root.
#
# Prints exactly one line, and always exits 0 (Jamf keeps only the <result> text, never the exit code):
#   <result>Compliant</result>
#   <result>Non-compliant: <up to three reasons, e.g. model-present (2 users)></result>
#   <result>Error: <CODE></result>            ccfleet could not decide (e.g. POLICY_NOT_FOUND, CONFIG_INVALID)
#   <result>Not installed</result>            no ccfleet binary on this Mac
# Smart group criteria: "ccfleet compliance" is "Compliant" / like "Non-compliant" / like "Error" / is "Not installed".
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
  echo "<result>Not installed</result>"
  exit 0
fi
out=$("$bin" check --format jamf 2>/dev/null)
rc=$?
case "$out" in
  "<result>"*"</result>") printf '%s\n' "$out" ;;
  *) echo "<result>Error: NO_OUTPUT (exit $rc)</result>" ;;
esac
exit 0
