#!/usr/bin/env bash
# usage: [A_NODES=2] [B_NODES=2] [A_JAVA_OPTS=...] [B_JAVA_OPTS=...] [A_JAR=...] [B_JAR=...]
#        [A_NAME=A] [B_NAME=B] [RATE=2000] [MESSAGES=40000]
#        [WARMUPS=8] [WARMUP_RATE=RATE] [RUN_SECONDS=15] [WARMUP_SECONDS=5] [LOAD=rooms]
#        src/bench/rooms-ab.sh [rounds=3]
# Two groupcast clusters side by side, A and B, under the same load in alternating rounds: what one
# setting costs or saves on the many-groups shape. Each cluster has A_NODES / B_NODES nodes whose JVMs
# get A_JAVA_OPTS / B_JAVA_OPTS and run A_JAR / B_JAR (target/groupcast.jar unless set); the load (bench rooms: 2000 subscribers in 500 groups of 4, 100
# publishers, RATE msg/s offered for RUN_SECONDS; RATE=0: MESSAGES as fast as acks allow, for the
# most messages/s) always connects to the first 2 nodes, so nodes past
# those hold no member of any group. Server CPU counts every node of the cluster under test
# (bench --server-pids), per message. Rounds alternate which cluster goes first, after WARMUPS
# unmeasured runs of each (at WARMUP_RATE msg/s: a light-load comparison warms the JIT at full
# load). Prints each round and the medians, ratio = B / A; rows in
# target/bench/ab-rounds.jsonl. Issue 18's questions:
#   item 3, 1 vs 2 event-loop shards per node (one per core the JVM sees):
#     A_JAVA_OPTS=-XX:ActiveProcessorCount=1 B_JAVA_OPTS=-XX:ActiveProcessorCount=2 A_NAME=1-core B_NAME=2-core
#   item 5, nodes without members:  B_NODES=5 A_NAME=2-nodes B_NAME=5-nodes
#   a change against the build before it:  A_JAR=/tmp/before.jar A_NAME=before B_NAME=after
# LOAD=fanout compares them on fanout-vs-jetstream.sh's shape instead: 200 subscribers in 1 group over
# every node (3 unless A_NODES / B_NODES say), 3 publishers sending MESSAGES (3000 unless set) as fast
# as acks allow, WARMUPS runs of each first; the figure is deliveries per server CPU-second.
# Needs: target/groupcast.jar (mvn -B package -DskipTests), node (for the table), curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3} WARMUPS=${WARMUPS:-8} RUN_SECONDS=${RUN_SECONDS:-15} WARMUP_SECONDS=${WARMUP_SECONDS:-5}
LOAD=${LOAD:-rooms}
case $LOAD in
  rooms) NODES=2 DEFAULT_MESSAGES=40000 ;;
  fanout) NODES=3 DEFAULT_MESSAGES=3000 ;;
  *) echo "LOAD is rooms or fanout, not '$LOAD'"; exit 2 ;;
esac
RATE=${RATE:-2000} WARMUP_RATE=${WARMUP_RATE:-$RATE} MESSAGES=${MESSAGES:-$DEFAULT_MESSAGES}
A_NODES=${A_NODES:-$NODES} B_NODES=${B_NODES:-$NODES} A_NAME=${A_NAME:-A} B_NAME=${B_NAME:-B}
for n in "$ROUNDS" "$WARMUPS" "$WARMUP_RATE" "$RUN_SECONDS" "$WARMUP_SECONDS" "$RATE" "$MESSAGES" "$A_NODES" "$B_NODES"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "rounds, WARMUPS, WARMUP_RATE, RUN_SECONDS, WARMUP_SECONDS, RATE, MESSAGES, A_NODES and B_NODES are whole numbers, not '$n'"; exit 2; }
done
if [ "$ROUNDS" -lt 1 ] || [ "$RUN_SECONDS" -lt 1 ] || [ "$WARMUP_SECONDS" -lt 1 ] || [ "$MESSAGES" -lt 1 ]; then
  echo "rounds, RUN_SECONDS, WARMUP_SECONDS and MESSAGES must be at least 1"; exit 2
fi
if [ "$A_NODES" -lt 2 ] || [ "$A_NODES" -gt 8 ] || [ "$B_NODES" -lt 2 ] || [ "$B_NODES" -gt 8 ]; then
  echo "A_NODES and B_NODES are 2 to 8 (the load uses the first 2 nodes)"; exit 2
fi
[ "$A_NAME" != "$B_NAME" ] || { echo "A_NAME and B_NAME must differ"; exit 2; }
for jar in "${A_JAR:-}" "${B_JAR:-}"; do
  [ -z "$jar" ] || [ -f "$jar" ] || { echo "no jar $jar"; exit 2; }
done
# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
need node "install Node.js 20 or later"
need curl "apt-get install -y curl"
need_jar rooms --server-pids
# ports: cluster A from 9430 up, cluster B from 9460 up; HTTP, Hazelcast and event bus 10 apart
ports() { local base=$1 n=$2; seq "$base" $((base + n - 1)); }
mapfile -t A_HTTP < <(ports 9430 "$A_NODES"); mapfile -t A_CLUSTER < <(ports 9440 "$A_NODES"); mapfile -t A_BUS < <(ports 9450 "$A_NODES")
mapfile -t B_HTTP < <(ports 9460 "$B_NODES"); mapfile -t B_CLUSTER < <(ports 9470 "$B_NODES"); mapfile -t B_BUS < <(ports 9480 "$B_NODES")
free_ports "${A_HTTP[@]}" "${A_CLUSTER[@]}" "${A_BUS[@]}" "${B_HTTP[@]}" "${B_CLUSTER[@]}" "${B_BUS[@]}"
cp src/bench/compare.mjs "$WORK/"

# start_groupcast reads these (arrays cannot be passed as a command's prefix)
GC_HTTP_PORTS=("${A_HTTP[@]}"); GC_CLUSTER_PORTS=("${A_CLUSTER[@]}"); GC_BUS_PORTS=("${A_BUS[@]}")
GC_JAVA_OPTS=${A_JAVA_OPTS:-} GC_JAR=${A_JAR:-target/groupcast.jar} start_groupcast
a_pids=("${gc_pids[@]}")
GC_HTTP_PORTS=("${B_HTTP[@]}"); GC_CLUSTER_PORTS=("${B_CLUSTER[@]}"); GC_BUS_PORTS=("${B_BUS[@]}")
GC_JAVA_OPTS=${B_JAVA_OPTS:-} GC_JAR=${B_JAR:-target/groupcast.jar} start_groupcast
b_pids=("${gc_pids[@]}")

cluster_pids() { if [ "$1" = "$B_NAME" ]; then echo "${b_pids[*]}"; else echo "${a_pids[*]}"; fi; }
# rooms: the first 2 nodes (the others hold no member); fanout: every node
cluster_urls() {
  local loaded=2
  if [ "$1" = "$B_NAME" ]; then
    [ "$LOAD" = rooms ] || loaded=$B_NODES
    ws_urls /ws "${B_HTTP[@]:0:$loaded}"
  else
    [ "$LOAD" = rooms ] || loaded=$A_NODES
    ws_urls /ws "${A_HTTP[@]:0:$loaded}"
  fi
}

SHAPE="$RATE msg/s"; [ "$RATE" = 0 ] && SHAPE="$MESSAGES messages as fast as acks allow"
[ "$LOAD" = fanout ] && SHAPE="200 subscribers in 1 group, 3 publishers, $MESSAGES messages"
LOG=$WORK/ab-client.log
# run WHO SECONDS ROUND: one bench run; prints {"round":R,"who":W,"shape":"RATE msg/s","result":{...}}
run() {
  local who=$1 seconds=$2 round=$3 rate=${4:-$RATE} out line pids_csv messages=$MESSAGES
  pids_csv=$(cluster_pids "$who"); pids_csv=${pids_csv// /,}
  local args=(rooms --rate "$rate")
  [ "$rate" = 0 ] || messages=$((rate * seconds))
  [ "$LOAD" = fanout ] && args=(fanout --subscribers 200 --groups 1 --publishers 3 --rate 0) messages=$MESSAGES
  out=$(java -jar target/groupcast.jar bench "${args[@]}" --url "$(cluster_urls "$who")" \
    --messages "$messages" --server-pids "$pids_csv" --json 2>> "$LOG") \
    || { echo "bench $LOAD against $who failed; end of $LOG:" >&2; tail -n 20 "$LOG" >&2; exit 1; }
  line=$(last_json "$LOG" "bench $LOAD against $who" "$out") || exit 1
  echo "{\"round\":$round,\"who\":\"$who\",\"shape\":\"$SHAPE\",\"result\":$line}"
}

: > "$LOG"
LOAD_SAID="2000 subscribers in 500 groups on the first 2 nodes, $SHAPE, ${RUN_SECONDS} s runs"
[ "$LOAD" = fanout ] && LOAD_SAID="$SHAPE, over every node"
echo "A=$A_NAME: $A_NODES nodes${A_JAVA_OPTS:+, $A_JAVA_OPTS}; B=$B_NAME: $B_NODES nodes${B_JAVA_OPTS:+, $B_JAVA_OPTS};" \
  "$LOAD_SAID, $ROUNDS rounds after $WARMUPS warm-up runs of each"
for _ in $(seq "$WARMUPS"); do
  run "$A_NAME" "$WARMUP_SECONDS" 0 "$WARMUP_RATE" >/dev/null
  run "$B_NAME" "$WARMUP_SECONDS" 0 "$WARMUP_RATE" >/dev/null
done
ROWS=$WORK/ab-rounds.jsonl TABLE=rooms
[ "$LOAD" = fanout ] && TABLE=jetstream
: > "$ROWS"
for r in $(seq "$ROUNDS"); do
  first=$A_NAME second=$B_NAME
  [ $((r % 2)) = 0 ] && { first=$B_NAME; second=$A_NAME; }   # alternate who goes first
  run "$first" "$RUN_SECONDS" "$r" >> "$ROWS"
  run "$second" "$RUN_SECONDS" "$r" >> "$ROWS"
  MAIN=$B_NAME node "$WORK/compare.mjs" "$TABLE" "$ROWS" "$r"
done
echo
MAIN=$B_NAME node "$WORK/compare.mjs" "$TABLE" "$ROWS"
