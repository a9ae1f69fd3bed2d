#!/usr/bin/env bash
# Heap per idle WebSocket connection on one node: live heap after a full GC with N connections held
# by `groupcast bench connections`, minus the same with none, divided by N.
#   src/bench/connections-heap.sh [connections=10000] [rounds=3]
# Needs: target/groupcast.jar (mvn -B package -DskipTests), a JDK's jcmd.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000} ROUNDS=${2:-3}
HTTP_PORT=9351 CLUSTER_PORT=9352
WORK=target/bench; mkdir -p "$WORK"
[ -f target/groupcast.jar ] || { echo "build first: mvn -B package -DskipTests"; exit 2; }
ulimit -n "$(ulimit -Hn)"   # each side holds N sockets

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

GROUPCAST_HTTP_PORT=$HTTP_PORT GROUPCAST_CLUSTER_PORT=$CLUSTER_PORT GROUPCAST_NODE_ID=bench-heap \
  java -jar target/groupcast.jar > "$WORK/heap-node.log" 2>&1 & node=$!; pids+=($node)
until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HTTP_PORT/health/ready || true)" = 200 ]; do
  kill -0 "$node" 2>/dev/null || { echo "the node stopped:"; tail -3 "$WORK/heap-node.log"; exit 1; }
  sleep 0.1
done

# live heap in KiB after two full collections (the second catches what the first only finalised)
live_kib() {
  jcmd "$node" GC.run >/dev/null; jcmd "$node" GC.run >/dev/null
  jcmd "$node" GC.heap_info | awk '/garbage-first heap/ { for (i = 1; i <= NF; i++) if ($i == "used") { sub("K,?", "", $(i+1)); print $(i+1) } }'
}
rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$node/status"; }

# warm-up: the connection path's classes and pools are loaded before the baseline
java -jar target/groupcast.jar bench connections --url "ws://127.0.0.1:$HTTP_PORT/ws" --connections 200 --duration 1s >/dev/null 2>&1
pers=()
for r in $(seq "$ROUNDS"); do
  base=$(live_kib); base_rss=$(rss_kib)
  java -jar target/groupcast.jar bench connections --url "ws://127.0.0.1:$HTTP_PORT/ws" --connections "$N" \
    --duration 600s > "$WORK/heap-bench.out" 2> "$WORK/heap-bench.err" & bench=$!; pids+=($bench)
  until grep -q "open $N/$N" "$WORK/heap-bench.err"; do
    kill -0 "$bench" 2>/dev/null || { echo "bench stopped early:"; tail -3 "$WORK/heap-bench.err"; exit 1; }
    sleep 0.5
  done
  sleep 2   # keepalive timers and the last handshakes settle
  held=$(live_kib); held_rss=$(rss_kib)
  kill "$bench"; wait "$bench" 2>/dev/null || true
  per=$(( (held - base) * 1024 / N ))
  rss_per=$(( (held_rss - base_rss) * 1024 / N ))
  pers+=("$per")
  echo "round $r: live heap ${base} KiB -> ${held} KiB with $N connections: $per bytes of heap per connection (process RSS +$rss_per bytes)"
  sleep 2   # the node sees the closes
done
printf '%s\n' "${pers[@]}" | sort -n | awk '{ a[NR] = $1 } END { print "median: " a[int((NR + 1) / 2)] " bytes of heap per idle connection" }'
