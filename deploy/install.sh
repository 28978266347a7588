#!/usr/bin/env bash
# Installs the wachter gateway on Raspberry Pi OS / Debian (bookworm or later, arm64 or x86-64)
# as a hardened systemd service. Running it again changes nothing that is already right; an
# existing /etc/wachter/config.yaml is never overwritten.
#
#   sudo deploy/install.sh                 install (or update) and start the service
#   sudo deploy/install.sh --uninstall     remove it; configuration and data are kept
#   sudo deploy/install.sh --uninstall --purge   remove configuration, data and the user too
#   deploy/install.sh --root DIR           place the files under DIR only (images, tests): no
#                                          packages, users, npm or systemctl
#   deploy/install.sh --dry-run            print what would be done
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=""
DRY=0
UNINSTALL=0
PURGE=0
# shellcheck source=deploy/node-version.sh
. "$SRC/deploy/node-version.sh"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
done

APP=/opt/wachter
ETC=/etc/wachter
DATA=/var/lib/wachter
UNIT=/etc/systemd/system/wachter.service
RULES=/etc/udev/rules.d/99-wachter.rules
SYSTEM=1
[ -n "$ROOT" ] && SYSTEM=0

say() { printf '  %s\n' "$*"; }
run() {
  if [ "$DRY" -eq 1 ]; then say "would run: $*"; else "$@"; fi
}
# Runs only on a real system, not for --root installs.
system() {
  if [ "$SYSTEM" -eq 1 ]; then run "$@"; else say "skipped for --root: $*"; fi
}

require_root() {
  if [ "$SYSTEM" -eq 1 ] && [ "$DRY" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "Run as root (sudo $0 $*), or use --root DIR or --dry-run." >&2
    exit 1
  fi
}

node_path() {
  local node
  node=$(command -v node || true)
  if [ -z "$node" ]; then
    echo "Node.js is not installed. Install Node.js 24 LTS (Raspberry Pi OS bookworm ships 18, too old;" >&2
    echo "trixie's 20.19 works too): see the README, Install on a Raspberry Pi. Then run this again." >&2
    exit 1
  fi
  local version
  version=$("$node" -p process.versions.node)
  case "$(node_support "$version")" in
    "too old") echo "Node.js $version is too old; wachter needs 24 LTS (or 20.19 or later)." >&2; exit 1 ;;
    untested) echo "Note: Node.js $version is not tested with wachter; Node.js 24 LTS is." >&2 ;;
  esac
  echo "$node"
}

uninstall() {
  echo "Removing wachter${ROOT:+ from $ROOT}"
  if [ "$SYSTEM" -eq 1 ] && systemctl list-unit-files wachter.service >/dev/null 2>&1; then
    run systemctl disable --now wachter.service || true
  fi
  run rm -f "$ROOT$UNIT" "$ROOT$RULES"
  run rm -rf "$ROOT$APP"
  system systemctl daemon-reload
  if [ "$PURGE" -eq 1 ]; then
    run rm -rf "$ROOT$ETC" "$ROOT$DATA"
    if [ "$SYSTEM" -eq 1 ] && id wachter >/dev/null 2>&1; then run userdel wachter; fi
    say "configuration, data and the wachter user removed"
  else
    say "kept $ETC and $DATA (remove them with --uninstall --purge)"
  fi
}

# Production runs the JavaScript that `npm run build` makes from the checkout (gateway and dashboard),
# rebuilt whenever a source is newer than the build, so that an updated checkout never installs a
# stale one (and an up-to-date build is left alone). --root installs take the build as it is: they
# place files and touch nothing else, the checkout's dist/ included (tests run from it meanwhile).
build_app() {
  local built=(dist/gateway/cli.js dist/dashboard/index.html) stale=0 f
  for f in "${built[@]}"; do
    [ -f "$SRC/$f" ] || { [ "$SYSTEM" -eq 1 ] || { echo "No build in $SRC: run npm run build first." >&2; exit 1; }; }
    if [ ! -f "$SRC/$f" ] || [ -n "$(cd "$SRC" && find common gateway sensors dashboard package.json package-lock.json tsconfig.json tsconfig.build.json -newer "$f" -print -quit)" ]; then stale=1; fi
  done
  [ "$stale" -eq 1 ] || return 0
  if [ "$SYSTEM" -eq 0 ]; then
    say "note: the build is older than the sources (npm run build makes it anew)"
    return 0
  fi
  if [ ! -x "$SRC/node_modules/.bin/tsc" ]; then
    say "installing the build tools in $SRC"
    (cd "$SRC" && run npm ci --no-audit --no-fund --silent)
  fi
  say "building the gateway and the dashboard"
  (cd "$SRC" && run npm run build --silent >/dev/null)
}

copy_app() {
  build_app
  say "installing the application in $ROOT$APP"
  run mkdir -p "$ROOT$APP"
  # The build, the manifests and the patches npm applies to dependencies; never sources, the checkout's node_modules, data or git.
  local items=(package.json package-lock.json patches README.md deploy docs dist)
  if [ "$DRY" -eq 1 ]; then say "would copy: ${items[*]}"; return; fi
  local staging
  staging=$(mktemp -d)
  (cd "$SRC" && tar --exclude=node_modules --exclude='*.tsbuildinfo' -cf - "${items[@]}") | tar -xf - -C "$staging"
  # Replace only what changed, so a second run leaves files (and their times) alone.
  (cd "$staging" && find . -type f) | while read -r f; do
    if ! cmp -s "$staging/$f" "$ROOT$APP/$f"; then
      install -D -m 0644 "$staging/$f" "$ROOT$APP/$f"
    fi
  done
  rm -rf "$staging"
}

install_file() { # mode source destination
  if [ "$DRY" -eq 1 ]; then say "would install $3"; return; fi
  if ! cmp -s "$2" "$3"; then install -D -m "$1" "$2" "$3"; say "installed $3"; fi
}

install_all() {
  echo "Installing wachter${ROOT:+ under $ROOT}"
  local node=/usr/bin/node
  if [ "$SYSTEM" -eq 1 ]; then
    system apt-get install -y --no-install-recommends ffmpeg alsa-utils v4l-utils
    node=$(node_path)
    if ! id wachter >/dev/null 2>&1; then
      system useradd --system --home-dir "$DATA" --shell /usr/sbin/nologin --groups dialout,audio,video wachter
    fi
  fi

  copy_app
  if [ "$SYSTEM" -eq 1 ]; then
    (cd "$APP" && run npm ci --omit=dev --no-audit --no-fund)
  else
    say "skipped for --root: npm ci --omit=dev in $APP"
  fi

  run mkdir -p "$ROOT$ETC" "$ROOT$DATA"
  run chmod 0750 "$ROOT$DATA"
  system chown wachter:wachter "$DATA"
  if [ -e "$ROOT$ETC/config.yaml" ]; then
    say "kept the existing $ETC/config.yaml"
  else
    install_file 0644 "$SRC/deploy/examples/pi.yaml" "$ROOT$ETC/config.yaml"
  fi
  if [ ! -e "$ROOT$ETC/env" ] && [ "$DRY" -eq 0 ]; then
    printf '# Secrets for the gateway, e.g.\n# WACHTER_ADMIN_PASSWORD=...\n# MQTT_PASSWORD=...\n' >"$ROOT$ETC/env"
    chmod 0600 "$ROOT$ETC/env"
    say "created $ETC/env (mode 0600) for secrets"
  fi

  local unit
  unit=$(mktemp)
  sed -e "s|@NODE@|$node|g" -e "s|@APP@|$APP|g" "$SRC/deploy/wachter.service" >"$unit"
  install_file 0644 "$unit" "$ROOT$UNIT"
  rm -f "$unit"
  install_file 0644 "$SRC/deploy/udev/99-wachter.rules" "$ROOT$RULES"

  system systemctl daemon-reload
  system systemctl enable wachter.service
  system systemctl restart wachter.service
  echo
  say "Done. The dashboard listens on port 8080 (see $ETC/config.yaml)."
  say "First start: the admin password is in the journal: journalctl -u wachter | grep 'First start'"
  say "Check your devices: sudo -u wachter $node $APP/dist/gateway/cli.js doctor --config $ETC/config.yaml"
  local boot
  for boot in "$ROOT/boot/firmware/config.txt" "$ROOT/boot/config.txt"; do
    if [ -f "$boot" ]; then
      grep -q '^dtoverlay=w1-gpio' "$boot" ||
        say "DS18B20 sensors on 1-Wire: add dtoverlay=w1-gpio (,gpiopin=N for another pin than GPIO 4) to ${boot#"$ROOT"}, a 4.7 kOhm pull-up from data to 3.3 V, and reboot"
      break
    fi
  done
}

require_root "$@"
if [ "$UNINSTALL" -eq 1 ]; then uninstall; else install_all; fi
