# shellcheck shell=bash
# Which Node.js versions wachter supports, for the quick start and the installer (sourced by both).
# Tested in CI: Node 24 LTS (recommended) and Debian's Node 20 from 20.19 on.
MIN_NODE=20.19.0

# node_support VERSION: prints "tested", "untested" (newer than 20.19 but not a tested line) or "too old".
node_support() {
  local v=$1
  if [ "$(printf '%s\n%s\n' "$MIN_NODE" "$v" | sort -V | head -1)" != "$MIN_NODE" ]; then echo "too old"; return; fi
  case "$v" in
    20.*|24.*) echo tested ;;
    *) echo untested ;;
  esac
}
