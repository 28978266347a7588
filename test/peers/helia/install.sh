#!/usr/bin/env bash
# Installs the Helia test peer's packages (its own tree: 335 MB that the gateway never loads), with
# Node 24's npm since the peer runs on Node 24. Does nothing when its lockfile has not changed.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
stamp=$dir/node_modules/.lockfile-sha256
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
[ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && exit 0
"$dir/../../../.ci/node24.sh" npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
