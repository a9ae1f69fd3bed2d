#!/usr/bin/env bash
# usage: [SUBSCRIBERS=5000] [GROUP_COUNT=1000] [PUBLISHERS=50] [RATE=200] [RUN_SECONDS=40] [KILL_AFTER=15]
#        [UPGRADE_RATE=0] [GC_JAR=target/groupcast.jar] src/bench/reconnect-storm.sh [rounds=1]
# Issue 18, item 4: a reconnect storm. 3 groupcast nodes behind a proxy-only node (roles=proxy, which
# finds them through the cluster); `bench storm` connects SUBSCRIBERS clients in GROUP_COUNT groups and
# PUBLISHERS publishers through the proxy, publishing RATE messages/s for RUN_SECONDS; KILL_AFTER
# seconds into the publishing, one gateway node is killed with SIGKILL. UPGRADE_RATE sets the proxy's
# proxy.upgradeRate (new tunnels a second; 0, the default, is no limit). GC_JAR is the jar the nodes and
# the proxy run (to compare builds). The clients behave as
# groupcast.js does (backoff with jitter, join with since/epoch, publishes sent again with their key).
# Each round starts a fresh cluster and prints: the clients dropped and resumed (recovered:true), the
# time from the kill to the first drop and from the first drop until every dropped client had resumed
# (median, p99, last), the p99 latency of the clients that were not dropped meanwhile (also by the second
# their message was sent in, and for the first second split at the gateway's ts: the way to the
# gateway, and from it on through sequencing, fan-out and delivery), and loss and
# duplicates over every acknowledged message, and which process had the CPU in the 5 s after the kill
# (THREADS=1: also the busiest threads of the proxy and of node a). Targets (2 cores): all resumed within 5 s of the kill,
# the others' p99 under 0.5 s, nothing lost or duplicated. Rows in target/bench/storm-rounds.jsonl.
# Needs: target/groupcast.jar (mvn -B package -DskipTests), node (to print the figures), curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-1} SUBSCRIBERS=${SUBSCRIBERS:-5000} GROUP_COUNT=${GROUP_COUNT:-1000} PUBLISHERS=${PUBLISHERS:-50}
RATE=${RATE:-200} RUN_SECONDS=${RUN_SECONDS:-40} KILL_AFTER=${KILL_AFTER:-15} UPGRADE_RATE=${UPGRADE_RATE:-0}
for n in "$ROUNDS" "$SUBSCRIBERS" "$GROUP_COUNT" "$PUBLISHERS" "$RATE" "$RUN_SECONDS" "$KILL_AFTER" "$UPGRADE_RATE"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "rounds, SUBSCRIBERS, GROUP_COUNT, PUBLISHERS, RATE, RUN_SECONDS, KILL_AFTER and UPGRADE_RATE are whole numbers, not '$n'"; exit 2; }
done
if [ "$ROUNDS" -lt 1 ] || [ "$RATE" -lt 1 ] || [ "$KILL_AFTER" -ge "$RUN_SECONDS" ]; then
  echo "rounds and RATE must be at least 1, KILL_AFTER less than RUN_SECONDS"; exit 2
fi
# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
need node "install Node.js 20 or later"
need curl "apt-get install -y curl"
need_jar storm
GC_HTTP_PORTS=(9530 9531 9532); GC_CLUSTER_PORTS=(9540 9541 9542); GC_BUS_PORTS=(9550 9551 9552)
PROXY_PORT=9560 PROXY_CLUSTER_PORT=9543
free_ports "${GC_HTTP_PORTS[@]}" "${GC_CLUSTER_PORTS[@]}" "${GC_BUS_PORTS[@]}" "$PROXY_PORT" $((PROXY_PORT + 1)) "$PROXY_CLUSTER_PORT"
ROWS=$WORK/storm-rounds.jsonl
# thread_ticks PID: "TICKS NAME" per thread of PID (utime + stime, fields 14 and 15 of its task's stat)
thread_ticks() {
  local t stat rest f name
  for t in /proc/"$1"/task/*; do
    stat=$(< "$t/stat") 2>/dev/null || continue
    name=$(< "$t/comm") 2>/dev/null || continue # threads come and go (the JIT's compilers)
    rest=${stat##*) }
    read -r -a f <<< "$rest"
    echo "$((f[11] + f[12])) $name"
  done
}
# busiest PID BEFORE_FILE: the 6 thread names (15 characters, the kernel's) whose threads used the most
# CPU since BEFORE_FILE was taken
busiest() {
  thread_ticks "$1" | awk -v hz="$CLK_TCK" 'NR == FNR { n = $0; sub(/^[0-9]+ /, "", n); before[n] += $1; next }
    { n = $0; sub(/^[0-9]+ /, "", n); after[n] += $1 }
    END { for (n in after) if (after[n] > before[n]) printf "%.2f %s\n", (after[n] - before[n]) / hz, n }' "$2" - \
    | sort -rn | head -n 6 | tr '\n' ';'
}
three_gateways() {
  [ "$(curl -s "http://127.0.0.1:${GC_HTTP_PORTS[0]}/api/nodes" | grep -o '"http":"127.0.0.1:953[0-2]"' | sort -u | wc -l)" = 3 ]
}
: > "$ROWS"

# one round: a fresh cluster and proxy, the bench through the proxy, node c killed on the way
round() {
  local r=$1 members bench_pid out line kill_ms log=$WORK/storm-client-$1.log proxy_pid
  start_groupcast
  members=127.0.0.1:${GC_CLUSTER_PORTS[0]},127.0.0.1:${GC_CLUSTER_PORTS[1]},127.0.0.1:${GC_CLUSTER_PORTS[2]}
  GROUPCAST_NODE_ID=bench-proxy GROUPCAST_ROLES=proxy GROUPCAST_PROXY_PORT=$PROXY_PORT GROUPCAST_PROXY_UPGRADE_RATE=$UPGRADE_RATE \
    GROUPCAST_CLUSTER_HOST=127.0.0.1 GROUPCAST_CLUSTER_PORT=$PROXY_CLUSTER_PORT GROUPCAST_CLUSTER_MEMBERS=$members \
    java -jar "${GC_JAR:-target/groupcast.jar}" > "$WORK/storm-proxy.log" 2>&1 & pids+=($!); proxy_pid=$!
  wait_for "proxy" "$proxy_pid" "$WORK/storm-proxy.log" http_ok "http://127.0.0.1:$((PROXY_PORT + 1))/health/ready"
  # all 3 gateways in the cluster before the clients come, or the first ones all go to one node
  wait_for "the cluster listing 3 gateways" "$proxy_pid" "$WORK/storm-proxy.log" three_gateways
  sleep 3 # the proxy's active health checks mark every gateway up
  java -jar target/groupcast.jar bench storm --url "ws://127.0.0.1:$PROXY_PORT/ws" --subscribers "$SUBSCRIBERS" \
    --groups "$GROUP_COUNT" --publishers "$PUBLISHERS" --rate "$RATE" --duration "${RUN_SECONDS}s" --json \
    > "$WORK/storm-out-$r.txt" 2> "$log" & bench_pid=$!; pids+=("$bench_pid")
  for _ in $(seq 3000); do
    grep -q "publishing" "$log" && break
    kill -0 "$bench_pid" 2>/dev/null || { echo "bench storm exited early; end of $log:"; tail -n 20 "$log"; exit 1; }
    sleep 0.1
  done
  grep -q "publishing" "$log" || { echo "bench storm not publishing after 300 s; end of $log:"; tail -n 20 "$log"; exit 1; }
  sleep "$KILL_AFTER"
  local before_proxy before_a before_b before_bench
  before_proxy=$(cpu_ticks "$proxy_pid"); before_a=$(cpu_ticks "${gc_pids[0]}"); before_b=$(cpu_ticks "${gc_pids[1]}")
  before_bench=$(cpu_ticks "$bench_pid")
  [ -z "${THREADS:-}" ] || { thread_ticks "$proxy_pid" > "$WORK/threads-proxy"; thread_ticks "${gc_pids[0]}" > "$WORK/threads-a"; }
  kill_ms=$(date +%s%3N)
  kill -9 "${gc_pids[2]}"
  # who had the CPU in the 5 s after the kill (2 cores: 10 s of CPU at most)
  sleep 5
  echo "round $r, CPU in the 5 s after the kill: proxy $(ticks_to_sec $(($(cpu_ticks "$proxy_pid") - before_proxy))) s," \
    "node a $(ticks_to_sec $(($(cpu_ticks "${gc_pids[0]}") - before_a))) s, node b $(ticks_to_sec $(($(cpu_ticks "${gc_pids[1]}") - before_b))) s," \
    "bench $(ticks_to_sec $(($(cpu_ticks "$bench_pid") - before_bench))) s"
  [ -z "${THREADS:-}" ] || echo "  busiest threads (CPU s): proxy $(busiest "$proxy_pid" "$WORK/threads-proxy")" \
    "node a $(busiest "${gc_pids[0]}" "$WORK/threads-a")"
  wait "$bench_pid" || { echo "bench storm failed; end of $log:"; tail -n 20 "$log"; exit 1; }
  out=$(cat "$WORK/storm-out-$r.txt")
  line=$(last_json "$log" "bench storm" "$out") || exit 1
  echo "{\"round\":$r,\"killAtMs\":$kill_ms,\"result\":$line}" >> "$ROWS"
  kill "${gc_pids[0]}" "${gc_pids[1]}" "$proxy_pid" 2>/dev/null || true
  wait "${gc_pids[0]}" "${gc_pids[1]}" "$proxy_pid" 2>/dev/null || true
}

echo "3 nodes behind the proxy; $SUBSCRIBERS subscribers in $GROUP_COUNT groups, $PUBLISHERS publishers at $RATE msg/s" \
  "for ${RUN_SECONDS} s; node c killed (SIGKILL) ${KILL_AFTER} s in; $ROUNDS round(s)"
for r in $(seq "$ROUNDS"); do
  round "$r"
done
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
for (const { round, killAtMs, result: s } of rows) {
  const firstDrop = s.firstDropAtMs ? s.firstDropAtMs - killAtMs : NaN;
  const sinceKill = (ms) => (firstDrop + ms) / 1000;
  console.log(`round ${round}: dropped ${s.dropped} subscribers and ${s.publishersDropped} publishers; ` +
    `resumed ${s.resumed} (recovered:false ${s.unrecovered}, resets ${s.resets}); first drop ${firstDrop} ms after the kill; ` +
    `resumed after the kill: median ${sinceKill(s.resumeMs.p50).toFixed(2)} s, p99 ${sinceKill(s.resumeMs.p99).toFixed(2)} s, ` +
    `last ${sinceKill(s.resumeMs.max).toFixed(2)} s (reconnecting p50 ${s.reconnectMs.p50} ms, max ${s.reconnectMs.max} ms; ` +
    `then the join answered in p50 ${s.joinAnswerMs.p50} ms, max ${s.joinAnswerMs.max} ms); the others meanwhile: p50 ${s.othersDuringStormMs.p50} ms, ` +
    `p99 ${s.othersDuringStormMs.p99} ms, max ${s.othersDuringStormMs.max} ms (${s.othersDuringStormMs.deliveries} deliveries; ` +
    `p99 by the second they were sent in after the first drop: ${(s.othersBySecondSentMs ?? []).map((b) => b.p99).join(" / ")} ms; ` +
    `in the first second, p99 from the send to the gateway ${s.othersFirstSecondLegsMs?.toGateway.p99} ms, from the gateway on ` +
    `${s.othersFirstSecondLegsMs?.fromGateway.p99} ms); ` +
    `acked ${s.acked}/${s.messages}, lost ${s.lost} of ${s.expectedDeliveries}, duplicates ${s.duplicates}; ` +
    `all deliveries p99 ${s.latencyMs.p99} ms`);
}' "$ROWS"
