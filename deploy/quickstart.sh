#!/usr/bin/env bash
# From a fresh checkout on Debian or Raspberry Pi OS: install what the gateway needs,
# build the dashboard and start the gateway on its built-in simulated machine.
set -euo pipefail
cd "$(dirname "$0")/.."

MIN_NODE=20.19.0
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)

version_ok() { [ "$(printf '%s\n%s\n' "$MIN_NODE" "$1" | sort -V | head -1)" = "$MIN_NODE" ]; }

if ! command -v node >/dev/null || ! version_ok "$(node -p process.versions.node)"; then
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}' | sed 's/^[0-9]*://; s/[~+-].*//')
  if [ -n "$candidate" ] && version_ok "$candidate"; then
    echo "Installing Node.js $candidate from Debian"
    "${sudo_cmd[@]}" apt-get install -y nodejs npm
  else
    echo "wachter needs Node.js >= $MIN_NODE; this system offers ${candidate:-none}." >&2
    echo "Install Node.js 22 LTS (e.g. from your distribution's backports or nodejs.org), then run this again." >&2
    exit 1
  fi
fi

command -v ffmpeg >/dev/null || "${sudo_cmd[@]}" apt-get install -y --no-install-recommends ffmpeg

npm ci --no-audit --no-fund
exec npm start -- "$@"
