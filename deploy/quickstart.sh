#!/usr/bin/env bash
# From a fresh checkout on Debian or Raspberry Pi OS: install what the gateway needs,
# build the gateway and the dashboard and start the gateway on its built-in simulated machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=deploy/node-version.sh
. deploy/node-version.sh
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)

if ! command -v node >/dev/null || [ "$(node_support "$(node -p process.versions.node)")" = "too old" ]; then
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}' | sed 's/^[0-9]*://; s/[~+-].*//')
  if [ -n "$candidate" ] && [ "$(node_support "$candidate")" != "too old" ]; then
    echo "Installing Node.js $candidate from Debian"
    "${sudo_cmd[@]}" apt-get install -y nodejs npm
  else
    echo "wachter needs Node.js 24 LTS (or Debian's 20.19 or later); this system offers ${candidate:-none}." >&2
    echo "Install Node.js 24 LTS (see the README: Install on a Raspberry Pi), then run this again." >&2
    exit 1
  fi
fi
version=$(node -p process.versions.node)
[ "$(node_support "$version")" = tested ] || echo "Note: Node.js $version is not tested with wachter; Node.js 24 LTS is." >&2

command -v ffmpeg >/dev/null || "${sudo_cmd[@]}" apt-get install -y --no-install-recommends ffmpeg

npm ci --no-audit --no-fund
npm run build
exec npm start -- "$@"
