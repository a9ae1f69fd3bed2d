#!/usr/bin/env bash
# usage: [WARMUPS=10] [PUBLISHERS=3] src/bench/fanout-vs-jetstream.sh [rounds=5] [subscribers=200] [messages=3000]
# One group fanned out through a 3-node groupcast cluster vs through a 3-node NATS JetStream cluster,
# both over WebSocket: groupcast driven by its own load generator (java -jar target/groupcast.jar bench
# fanout), NATS by nats-fanout.mjs (nats.ws), which sends the same bodies and reports the same fields.
# On NATS, publishes go through JetStream (acked once the replicated in-memory stream, R3, last 100
# messages, has them) and subscribers use plain core-NATS subjects; groupcast keeps the last 100 of a
# group too. Subscribers spread over the 3 nodes, one publisher a node (PUBLISHERS), each keeping 16
# publishes unacked. Rounds alternate who goes first, after WARMUPS unmeasured runs of each. Server CPU
# is what the 3 server processes (JVMs or nats-servers) used from the first publish to the end of the
# run (--server-pids); the figure is deliveries per server CPU-second. Prints each round and the medians;
# the rows go to target/bench/jetstream-rounds.jsonl.
# Needs: target/groupcast.jar (mvn -B package -DskipTests), node 20+ and npm, nats-server 2.9+
# (apt-get install -y nats-server), curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5} SUBSCRIBERS=${2:-200} MESSAGES=${3:-3000} WARMUPS=${WARMUPS:-10} PUBLISHERS=${PUBLISHERS:-3}
GC_HTTP_PORTS=(9421 9422 9423) GC_CLUSTER_PORTS=(9424 9425 9426) GC_BUS_PORTS=(9427 9428 9429)
NATS_PORTS=(9431 9432 9433) NATS_WS_PORTS=(9434 9435 9436) NATS_ROUTE_PORTS=(9437 9438 9439)
for n in "$ROUNDS" "$SUBSCRIBERS" "$MESSAGES" "$WARMUPS" "$PUBLISHERS"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "rounds, subscribers, messages, WARMUPS and PUBLISHERS are whole numbers, not '$n'"; exit 2; }
done
if [ "$ROUNDS" -lt 1 ] || [ "$SUBSCRIBERS" -lt 1 ] || [ "$MESSAGES" -lt 1 ] || [ "$PUBLISHERS" -lt 1 ]; then
  echo "rounds, subscribers, messages and PUBLISHERS must be at least 1"; exit 2
fi
# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
need nats-server "apt-get install -y nats-server"
need node "install Node.js 20 or later"
need curl "apt-get install -y curl"
need_jar fanout --server-pids
free_ports "${GC_HTTP_PORTS[@]}" "${GC_CLUSTER_PORTS[@]}" "${GC_BUS_PORTS[@]}" \
  "${NATS_PORTS[@]}" "${NATS_WS_PORTS[@]}" "${NATS_ROUTE_PORTS[@]}"
# nats.ws needs a global WebSocket: Node 22 has one, Node 20 behind a flag; else nats-fanout.mjs uses ws's
NODE_FLAGS=() WEBSOCKET="Node's global WebSocket"
has_websocket='process.exit(typeof WebSocket === "function" ? 0 : 1)'
if ! node -e "$has_websocket" 2>/dev/null; then
  if node --experimental-websocket -e "$has_websocket" 2>/dev/null; then
    NODE_FLAGS=(--experimental-websocket) WEBSOCKET="Node's WebSocket (--experimental-websocket)"
  else
    WEBSOCKET="the ws package's WebSocket (this Node has no global one)"
  fi
fi
npm_install

routes=""
for port in "${NATS_ROUTE_PORTS[@]}"; do routes+="${routes:+, }nats-route://127.0.0.1:$port"; done
nats_pids=()
for i in 0 1 2; do
  store="$WORK/nats-$i"; rm -rf "$store"; conf="$WORK/nats-$i.conf"
  cat > "$conf" <<EOF
server_name: bench-nats-$i
listen: 127.0.0.1:${NATS_PORTS[$i]}
websocket { host: 127.0.0.1, port: ${NATS_WS_PORTS[$i]}, no_tls: true }
cluster { name: bench, listen: 127.0.0.1:${NATS_ROUTE_PORTS[$i]}, routes: [$routes] }
jetstream { store_dir: "$store", max_memory_store: 1GB, max_file_store: 256MB }
EOF
  nats-server -c "$conf" > "$WORK/nats-$i.log" 2>&1 & pids+=($!); nats_pids+=($!)
done
for i in 0 1 2; do
  wait_for "nats-server ${NATS_WS_PORTS[$i]}" "${nats_pids[$i]}" "$WORK/nats-$i.log" port_open "${NATS_WS_PORTS[$i]}"
done
is_process nats-server "${nats_pids[@]}"
start_groupcast
nats_urls() {
  local port urls=""
  for port in "${NATS_WS_PORTS[@]}"; do urls+="${urls:+,}ws://127.0.0.1:$port"; done
  echo "$urls"
}

LOG=$WORK/jetstream-client.log
# run WHO ROUND: one run; prints {"round":R,"who":W,"shape":"...","serverCpuSec":CPU over the whole run
# (connecting included),"result":{the load generator's last stdout line}}
run() {
  local who=$1 round=$2 out line before after servers
  if [ "$who" = groupcast ]; then servers="${gc_pids[*]}"; else servers="${nats_pids[*]}"; fi
  # shellcheck disable=SC2086 # servers holds PIDs to split
  before=$(cpu_ticks $servers)
  if [ "$who" = groupcast ]; then
    out=$(java -jar target/groupcast.jar bench fanout --protocol groupcast --url "$(gc_urls)" \
      --subscribers "$SUBSCRIBERS" --groups 1 --publishers "$PUBLISHERS" --messages "$MESSAGES" \
      --server-pids "${servers// /,}" --json 2>> "$LOG") \
      || { echo "bench fanout failed; end of $LOG:" >&2; tail -n 20 "$LOG" >&2; exit 1; }
  else
    out=$(node "${NODE_FLAGS[@]}" "$WORK/nats-fanout.mjs" --url "$(nats_urls)" \
      --subscribers "$SUBSCRIBERS" --groups 1 --publishers "$PUBLISHERS" --messages "$MESSAGES" \
      --replicas 3 --history 100 --server-pids "${servers// /,}" --json 2>> "$LOG") \
      || { echo "nats-fanout.mjs failed; end of $LOG:" >&2; tail -n 20 "$LOG" >&2; exit 1; }
  fi
  # shellcheck disable=SC2086
  after=$(cpu_ticks $servers)
  line=$(last_json "$LOG" "$who's load generator" "$out") || exit 1
  echo "{\"round\":$round,\"who\":\"$who\",\"shape\":\"$SUBSCRIBERS subscribers in 1 group, $PUBLISHERS publishers\",\"serverCpuSec\":$(ticks_to_sec $((after - before))),\"result\":$line}"
}

: > "$LOG"
echo "$SUBSCRIBERS subscribers in 1 group over 3 nodes, $PUBLISHERS publishers, $MESSAGES messages, $ROUNDS rounds;" \
  "NATS clients on $WEBSOCKET"
# servers run for days: groupcast's JIT gets unmeasured runs first, and NATS the same runs
echo "warm-up: $WARMUPS runs each (not counted)"
for _ in $(seq "$WARMUPS"); do run groupcast 0 >/dev/null; run jetstream 0 >/dev/null; done
ROWS=$WORK/jetstream-rounds.jsonl
: > "$ROWS"
for r in $(seq "$ROUNDS"); do
  order="groupcast jetstream"; [ $((r % 2)) = 0 ] && order="jetstream groupcast"   # alternate who goes first
  for who in $order; do run "$who" "$r" >> "$ROWS"; done
  node "$WORK/compare.mjs" jetstream "$ROWS" "$r"
done
echo
node "$WORK/compare.mjs" jetstream "$ROWS"
