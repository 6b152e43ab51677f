#!/usr/bin/env bash
# Installs what is missing, builds ringwayd (release) and starts it on its embedded defaults:
# https://127.0.0.1:8443 with a self-signed certificate created in ./.ringway on first start.
# Any RINGWAY_* environment variable overrides a default (see Config/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product ringwayd
exec "$(swift build -c release --show-bin-path)/ringwayd" serve "$@"
