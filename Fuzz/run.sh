#!/usr/bin/env bash
# Builds every libFuzzer target (Fuzz/Sources/Fuzz*/main.swift; release, libFuzzer + AddressSanitizer) and
# runs each for the given number of seconds, starting from its seed corpus in Corpus/<Target>/.
# New corpus entries go to a temporary directory, so the committed seeds stay small.
# A crash stops the script with a non-zero status; its input is kept in Fuzz/artifacts/<Target>/.
#
# Usage: Fuzz/run.sh [seconds-per-target]   (default 20)
set -euo pipefail

seconds="${1:-20}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

targets=()
for dir in Sources/Fuzz*/; do
    # A fuzz target is an executable (it has a main.swift); FuzzSupport is their shared library.
    [ -f "$dir/main.swift" ] && targets+=("$(basename "$dir")")
done
if [ "${#targets[@]}" -eq 0 ]; then
    echo "no fuzz targets found" >&2
    exit 1
fi

# -sanitize=fuzzer,address must be one flag: given separately, coverage instrumentation is lost.
# lld is needed: gold fails to link the libFuzzer runtime together with Swift objects.
build_flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
for target in "${targets[@]}"; do
    swift build "${build_flags[@]}" --product "$target"
done
bin="$(swift build "${build_flags[@]}" --show-bin-path)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for target in "${targets[@]}"; do
    corpus="$work/$target"
    mkdir -p "$corpus" "artifacts/$target"
    if [ -d "Corpus/$target" ]; then
        cp "Corpus/$target"/* "$corpus"/ 2>/dev/null || true
    fi
    echo "== $target: ${seconds}s"
    if ! "$bin/$target" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" "$corpus"; then
        echo "== $target: FAILED (crashing input in Fuzz/artifacts/$target/)" >&2
        status=1
    fi
done
exit "$status"
