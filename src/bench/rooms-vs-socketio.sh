#!/usr/bin/env bash
# usage: [WARMUPS=20] [RUN_SECONDS=15] [WARMUP_SECONDS=5] [GC_JAVA_OPTS=...] src/bench/rooms-vs-socketio.sh [rounds=5]
# Many small groups through a 2-node groupcast cluster vs through 2 Socket.IO nodes joined by the Redis
# adapter, both driven by the same load generator (java -jar target/groupcast.jar bench rooms): 2000
# subscribers in 500 groups of 4 (2 members on each node), 100 publishers sending to different groups,
# RUN_SECONDS of messages at an offered 4000 msg/s, then the same at 100 msg/s (light load). Rounds
# alternate who goes first, after WARMUPS unmeasured runs of each at 4000 msg/s for WARMUP_SECONDS.
# 20 by default: after 8, the JVMs' JIT compilers still took about 14% of their CPU in a 100 msg/s
# round; after 20, under 3% (servers run for days, and their compilers settle).
# Server CPU is what the server processes (the two JVMs; or the two node processes and redis-server)
# used from the first publish to the end of the run (bench --server-pids), per message published; its
# kernel part (system time) is shown too, and groupcast's kernel CPU per message against Socket.IO's
# whole CPU per message: what groupcast's own code cannot save, short of fewer system calls and thread
# hand-offs.
# Prints each round and the medians; the rows go to target/bench/rooms-rounds.jsonl.
# Needs: target/groupcast.jar (mvn -B package -DskipTests), node + npm, redis-server
# (apt-get install -y redis-server), curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5} WARMUPS=${WARMUPS:-20} RUN_SECONDS=${RUN_SECONDS:-15} WARMUP_SECONDS=${WARMUP_SECONDS:-5}
SUBSCRIBERS=2000 GROUP_COUNT=500 PUBLISHERS=100 RATES=(4000 100)
REDIS_PORT=9401 SIO_PORTS=(9402 9403) GC_HTTP_PORTS=(9411 9412) GC_CLUSTER_PORTS=(9413 9414) GC_BUS_PORTS=(9415 9416)
for n in "$ROUNDS" "$WARMUPS" "$RUN_SECONDS" "$WARMUP_SECONDS"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "rounds, WARMUPS, RUN_SECONDS and WARMUP_SECONDS are whole numbers, not '$n'"; exit 2; }
done
if [ "$ROUNDS" -lt 1 ] || [ "$RUN_SECONDS" -lt 1 ] || [ "$WARMUP_SECONDS" -lt 1 ]; then
  echo "rounds, RUN_SECONDS and WARMUP_SECONDS must be at least 1"; exit 2
fi
# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
need redis-server "apt-get install -y redis-server"
need node "install Node.js 20 or later"
need curl "apt-get install -y curl"
need_jar rooms --server-pids
free_ports "$REDIS_PORT" "${SIO_PORTS[@]}" "${GC_HTTP_PORTS[@]}" "${GC_CLUSTER_PORTS[@]}" "${GC_BUS_PORTS[@]}"
npm_install
start_socketio
start_groupcast

LOG=$WORK/rooms-client.log
# run WHO RATE SECONDS ROUND: one bench run; prints {"round":R,"who":W,"shape":"RATE msg/s",
# "serverCpuSec":CPU over the whole run (connecting included),"result":{the CLI's last stdout line}}
run() {
  local who=$1 rate=$2 seconds=$3 round=$4 out line before after pids_csv
  pids_csv=$(servers "$who"); pids_csv=${pids_csv// /,}
  # shellcheck disable=SC2046 # servers prints PIDs to split
  before=$(cpu_ticks $(servers "$who"))
  out=$(java -jar target/groupcast.jar bench rooms --protocol "$who" --url "$(urls "$who")" \
    --subscribers $SUBSCRIBERS --groups $GROUP_COUNT --publishers $PUBLISHERS --rate "$rate" \
    --messages $((rate * seconds)) --server-pids "$pids_csv" --json 2>> "$LOG") \
    || { echo "bench rooms --protocol $who failed; end of $LOG:" >&2; tail -n 20 "$LOG" >&2; exit 1; }
  # shellcheck disable=SC2046
  after=$(cpu_ticks $(servers "$who"))
  line=$(last_json "$LOG" "bench rooms --protocol $who" "$out") || exit 1
  echo "{\"round\":$round,\"who\":\"$who\",\"shape\":\"$rate msg/s\",\"serverCpuSec\":$(ticks_to_sec $((after - before))),\"result\":$line}"
}

: > "$LOG"
echo "$SUBSCRIBERS subscribers in $GROUP_COUNT groups over 2 nodes, $PUBLISHERS publishers," \
  "${RUN_SECONDS} s at ${RATES[0]} and at ${RATES[1]} msg/s offered, $ROUNDS rounds"
# servers run for days: both JITs (HotSpot's C2, V8's TurboFan) get the same unmeasured runs first
echo "warm-up: $WARMUPS runs each at ${RATES[0]} msg/s for $WARMUP_SECONDS s (not counted)"
for _ in $(seq "$WARMUPS"); do
  run groupcast "${RATES[0]}" "$WARMUP_SECONDS" 0 >/dev/null
  run socketio "${RATES[0]}" "$WARMUP_SECONDS" 0 >/dev/null
done
ROWS=$WORK/rooms-rounds.jsonl
: > "$ROWS"
for r in $(seq "$ROUNDS"); do
  order="groupcast socketio"; [ $((r % 2)) = 0 ] && order="socketio groupcast"   # alternate who goes first
  for rate in "${RATES[@]}"; do
    for who in $order; do
      run "$who" "$rate" "$RUN_SECONDS" "$r" >> "$ROWS"
    done
  done
  node "$WORK/compare.mjs" rooms "$ROWS" "$r"
done
echo
node "$WORK/compare.mjs" rooms "$ROWS"
