#!/usr/bin/env bash
# Make sure the Debian packages in scripts/system-packages.txt are installed. Sourced by setup_env.sh (so by
# demo.sh, test.sh and .ci/run); can also be run alone: `bash scripts/setup_system.sh`.
# As root with apt-get: installs what is missing (apt-get update once). Otherwise: prints the exact install command
# and fails, so a feature never silently runs without its engine.
set -euo pipefail
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_wanted=()
while IFS= read -r _line; do
  _line="${_line%%#*}"; _line="${_line//[[:space:]]/}"
  [ -n "$_line" ] && _wanted+=("$_line")
done < "$_root/scripts/system-packages.txt"
_missing=()
for _pkg in "${_wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$_pkg" 2>/dev/null | grep -q "install ok installed"; then
    _missing+=("$_pkg")
  fi
done
if [ "${#_missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing system packages: ${_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${_missing[@]}" >/dev/null
  else
    echo "[setup] missing system packages: ${_missing[*]}" >&2
    echo "[setup] install them with: sudo apt-get install -y ${_missing[*]}" >&2
    exit 1
  fi
fi
