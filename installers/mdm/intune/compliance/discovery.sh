#!/bin/sh
# Intune custom compliance - discovery script for Linux (POSIX shell; Intune runs it as root). Upload with
# ccfleet-compliance-rules.json. Prints the one line of JSON Intune evaluates; always exits 0 (when ccfleet
# cannot answer, ccfleetCompliant is false and ccfleetError says why, so the rules fail visibly).
#
# Keys: ccfleetCompliant (Boolean), ccfleetPolicyId (String), ccfleetPolicyVersion (Int64), ccfleetUsers (Int64),
# ccfleetNonCompliantUsers (Int64), ccfleetReasons (String), ccfleetError (String, "none" when fine),
# ccfleetAgentVersion (String).
#
# The binary: $CCFLEET_BIN if set, else ccfleet on PATH, else the installed locations below.

find_ccfleet() {
  if [ -n "${CCFLEET_BIN:-}" ]; then printf '%s\n' "$CCFLEET_BIN"; return 0; fi
  if command -v ccfleet >/dev/null 2>&1; then command -v ccfleet; return 0; fi
  for c in /usr/bin/ccfleet /usr/lib/ccfleet/ccfleet "/Library/Application Support/ccfleet/bin/ccfleet"; do
    if [ -x "$c" ]; then printf '%s\n' "$c"; return 0; fi
  done
  return 1
}

fallback() {
  printf '{"ccfleetCompliant":false,"ccfleetPolicyId":"","ccfleetPolicyVersion":0,"ccfleetUsers":0,"ccfleetNonCompliantUsers":0,"ccfleetReasons":"","ccfleetError":"%s","ccfleetAgentVersion":""}\n' "$1"
  exit 0
}

bin=$(find_ccfleet) || fallback NOT_INSTALLED
out=$("$bin" check --format intune-compliance 2>/dev/null)
case "$out" in
  "{"*'"ccfleetCompliant":'*"}") printf '%s\n' "$out" ;;
  *) fallback NO_OUTPUT ;;
esac
exit 0
