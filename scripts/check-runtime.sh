#!/usr/bin/env bash
# Runtime checks that need more than one process: memory of 10,000 idle connections with a
# receive armed on each, and the syscall profile of a loaded echo server (the ring must carry the
# traffic: io_uring_enter, not a read/write/send/recv per message).
# Usage: scripts/check-runtime.sh [build-config]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
swift build -c "$config" --product ringway-probe >/dev/null
probe="$(swift build -c "$config" --show-bin-path)/ringway-probe"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

wait_for() { # file pattern seconds
  for _ in $(seq $(( $3 * 10 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:"; cat "$1"; return 1
}

# 1. Idle connections: server and clients in separate processes (per-process fd limit).
connections=${RINGWAY_IDLE_CONNECTIONS:-10000}
limit_kb=$(( 64 * 1024 ))
mkfifo "$work/server-in" "$work/client-in"
"$probe" idle-server --connections "$connections" < "$work/server-in" > "$work/server.out" 2>&1 &
exec 3> "$work/server-in"
wait_for "$work/server.out" '^listening' 10
port=$(awk '/^listening/ {print $2}' "$work/server.out")
"$probe" idle-clients --port "$port" --connections "$connections" < "$work/client-in" > "$work/client.out" 2>&1 &
exec 4> "$work/client-in"
wait_for "$work/server.out" '^idle_connections' 120
line=$(grep '^idle_connections' "$work/server.out")
echo "idle: $line"
rss=$(echo "$line" | awk '{print $4}')
exec 4>&- 3>&-
wait
if [ "$rss" -ge "$limit_kb" ]; then
  echo "FAIL: $connections idle connections use ${rss} kB RSS (limit ${limit_kb} kB)"
  exit 1
fi
echo "ok: $connections idle connections, server RSS ${rss} kB < ${limit_kb} kB"

# 2. Syscall profile of a loaded echo server.
if ! command -v strace >/dev/null; then
  echo "FAIL: strace is not installed (apt-get install strace)"
  exit 1
fi
mkfifo "$work/echo-in"
strace -f -c -o "$work/strace.txt" "$probe" echo-server < "$work/echo-in" > "$work/echo.out" 2>&1 &
exec 5> "$work/echo-in"
wait_for "$work/echo.out" '^listening' 10
port=$(awk '/^listening/ {print $2}' "$work/echo.out")
"$probe" echo-load --port "$port" --connections 50 --seconds 3 > "$work/load.out"
cat "$work/load.out"
exec 5>&-
wait
round_trips=$(awk '/^round_trips/ {print $2}' "$work/load.out")
enters=$(awk '$NF == "io_uring_enter" {print $4}' "$work/strace.txt")
per_message=$(awk '$NF ~ /^(read|write|readv|writev|recvfrom|sendto|recvmsg|sendmsg|recv|send)$/ {n += $4} END {print n + 0}' "$work/strace.txt")
echo "echo server under load: $round_trips round trips, io_uring_enter calls: ${enters:-0}, read/write/send/recv-family calls: $per_message"
grep -E 'calls|io_uring_enter|read|write|send|recv' "$work/strace.txt" | head -20
if [ -z "$enters" ] || [ "$round_trips" -lt 1000 ] || [ "$per_message" -gt $(( round_trips / 100 )) ]; then
  echo "FAIL: socket I/O does not go through io_uring"
  exit 1
fi
echo "ok: socket reads and writes go through io_uring"
