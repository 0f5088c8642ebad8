#!/usr/bin/env bash
# Installs the native Linux x64 build of Claude Code, pinned to the version in scripts/claude-code-version,
# into .cache/claude-code/<version>/ (gitignored), from the npm registry only (npm pack + tar; never an npm
# dependency). Idempotent: a second run only verifies the binary. Prints the absolute path of `claude`.
# Usage: scripts/install-claude-code.sh [version]    (the argument overrides the pinned version)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${1:-$(tr -d '[:space:]' < "$repo_root/scripts/claude-code-version")}"
pkg="@anthropic-ai/claude-code-linux-x64@$version"
dest="$repo_root/.cache/claude-code/$version"
bin="$dest/claude"

if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "^$version "; then
  echo "$bin"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "installing $pkg into $dest" >&2
( cd "$work" && npm pack --silent "$pkg" >/dev/null )
tarball="$(ls "$work"/*.tgz)"
tar -xzf "$tarball" -C "$work" package/claude
chmod 755 "$work/package/claude"
got="$("$work/package/claude" --version 2>/dev/null || true)"
if [[ "$got" != "$version "* ]]; then
  echo "unexpected version from $pkg: '$got'" >&2
  exit 1
fi
mkdir -p "$dest"
mv -f "$work/package/claude" "$bin.tmp.$$"
mv -f "$bin.tmp.$$" "$bin"
echo "$bin"
