#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Ringway needs to build and test. As root it runs apt-get;
# otherwise it prints the exact command to run and fails if anything is missing. python3-venv is
# for the interop test's virtual environment (scripts/interop.sh), openssl and curl for the
# auth walkthrough.
set -euo pipefail
packages=(liburing-dev libsodium-dev libssl-dev pkg-config strace curl openssl python3 python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "Missing system packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
