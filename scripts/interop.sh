#!/usr/bin/env bash
# Interop test: builds ringwayd (debug) and drives it from Python's websockets and pynacl
# (Tests/Interop/interop_test.py), including the README's curl/openssl auth walkthrough
# (scripts/auth-walkthrough.sh). The Python packages are installed from PyPI, at the versions
# pinned in Tests/Interop/requirements.txt, into a virtual environment at .build/interop-venv
# (created once, reinstalled when the requirements change).
#   INTEROP_SKIP_HTTP=1 skips the HTTP fallback and discovery checks.
#   INTEROP_PYTHON picks the interpreter (default: Debian's /usr/bin/python3, which needs python3-venv).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${INTEROP_PYTHON:-/usr/bin/python3}
[ -x "$python" ] || python=python3
venv=.build/interop-venv
requirements=Tests/Interop/requirements.txt

if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null || [ ! -x "$venv/bin/python" ]; then
  rm -rf "$venv"
  mkdir -p .build
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

if ! build_log=$(swift build --product ringwayd 2>&1); then
  echo "$build_log" | tail -50
  echo "FAIL: ringwayd does not build"
  exit 1
fi
ringwayd="$(swift build --show-bin-path)/ringwayd"

exec "$venv/bin/python" Tests/Interop/interop_test.py "$ringwayd"
