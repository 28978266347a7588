#!/usr/bin/env bash
# Installs the Debian packages the test suite talks to for real: Chromium and Firefox ESR (dashboard tests),
# ffmpeg (media pipelines), Mosquitto (MQTT), socat (serial tty pairs), iproute2 and util-linux
# (private network namespaces), nftables and python3 (a lossy, slow link between two of them), coturn (TURN relay tests), openssl, and the installer's checkers
# (ShellCheck, systemd-analyze), and field-bus peers: pymodbus (a Modbus RTU/TCP slave), mbpoll
# (libmodbus, an independent Modbus client), protoc (decodes Sparkplug payloads independently) and
# mosquitto-clients (replays thermal frames), and faketime (moves the gateway's wall clock while it runs).
# Does nothing when they are all present.
set -euo pipefail

packages=(chromium firefox-esr ffmpeg mosquitto socat iproute2 util-linux nftables python3 shellcheck systemd coturn openssl
  python3-pymodbus python3-serial python3-serial-asyncio mbpoll protobuf-compiler mosquitto-clients faketime)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing test dependencies: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo_cmd=(sudo); else
    echo "Run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
