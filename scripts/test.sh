#!/usr/bin/env bash
# The whole test suite: build (no warnings allowed in our code), unit and integration tests, the
# interop test (ringwayd driven from Python's websockets and pynacl, scripts/interop.sh), the
# runtime, server and client tests again under ThreadSanitizer,
# the multi-process runtime checks (idle memory, syscall profile) and a short fuzz run.
#   FUZZ_SECONDS (default 20 per target) shortens or lengthens the fuzz run; 0 skips it.
#   TSAN=0 skips the ThreadSanitizer run of the runtime and server tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# The system packages the build and the tests need (a no-op when they are there).
scripts/install-deps.sh

echo "== build"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build --build-tests 2>&1 | tee "$log" | grep -E "error|warning:|Build complete" || true
if grep -E "^/.*/(Sources|Tests)/.*(warning|error):" "$log" | grep -v "/.build/" | grep -q .; then
  echo "FAIL: the build has warnings or errors in our code:"
  grep -E "^/.*/(Sources|Tests)/.*(warning|error):" "$log" | grep -v "/.build/" | sort -u
  exit 1
fi
grep -q "Build complete" "$log" || { tail -50 "$log"; exit 1; }

echo "== tests"
swift test --skip-build

echo "== interop"
scripts/interop.sh

if [ "${TSAN:-1}" != 0 ]; then
  echo "== runtime, server and client tests under ThreadSanitizer"
  tsan_build=$(mktemp)
  swift build --build-tests --sanitize=thread --scratch-path .build-tsan > "$tsan_build" 2>&1 || true
  grep -E "error|Build complete" "$tsan_build" || true
  # A failed build must fail the run: the tests would otherwise run a stale binary.
  if ! grep -q "Build complete" "$tsan_build"; then
    tail -50 "$tsan_build"
    rm -f "$tsan_build"
    echo "FAIL: the ThreadSanitizer build"
    exit 1
  fi
  rm -f "$tsan_build"
  tsan_log=$(mktemp)
  status=0
  # One test at a time: under the sanitizer, parallel tests starve each other on 2 cores.
  swift test --skip-build --sanitize=thread --scratch-path .build-tsan --no-parallel \
    --filter "RingwayRuntimeTests|RingwayServerTests|RingwayClientTests" > "$tsan_log" 2>&1 || status=$?
  grep -E "Test run with" "$tsan_log" || true
  if [ "$status" -ne 0 ] || grep -q "WARNING: ThreadSanitizer" "$tsan_log"; then
    grep -E -A20 "WARNING: ThreadSanitizer|✘" "$tsan_log" | head -80
    rm -f "$tsan_log"
    echo "FAIL: ThreadSanitizer run"
    exit 1
  fi
  rm -f "$tsan_log"
fi

echo "== runtime checks"
scripts/check-runtime.sh release

seconds=${FUZZ_SECONDS:-20}
if [ "$seconds" -gt 0 ]; then
  echo "== fuzz (${seconds}s per target)"
  Fuzz/run.sh "$seconds"
fi
echo "== all passed"
