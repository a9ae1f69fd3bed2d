#!/usr/bin/env bash
# Fan-out through a 2-node groupcast cluster vs through 2 Socket.IO nodes joined by the Redis adapter,
# both driven by the same load generator (java -jar target/groupcast.jar bench fanout), alternating in
# one run. Around each run it reads the CPU time of every server process of that contender (the two
# JVMs; or the two node processes and redis-server) and reports deliveries per server CPU-second.
# Prints each round and the medians; the rows go to target/bench/fanout-rounds.jsonl.
#   [WARMUPS=20] src/bench/fanout-vs-socketio.sh [rounds=5] [subscribers=200] [messages=2000]
# Needs: target/groupcast.jar (mvn -B package -DskipTests), node + npm, redis-server
# (apt-get install -y redis-server), curl. Shares its shell with the other comparisons (lib.sh).
# shellcheck disable=SC2016 # the node -e programs are single-quoted on purpose
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5} SUBSCRIBERS=${2:-200} MESSAGES=${3:-2000} WARMUPS=${WARMUPS:-20}
REDIS_PORT=9311 SIO_PORTS=(9312 9313) GC_HTTP_PORTS=(9321 9322) GC_CLUSTER_PORTS=(9331 9332) GC_BUS_PORTS=(9333 9334)
# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
need redis-server "apt-get install -y redis-server"
need node "install Node.js 20 or later"
need curl "apt-get install -y curl"
need_jar fanout
free_ports "$REDIS_PORT" "${SIO_PORTS[@]}" "${GC_HTTP_PORTS[@]}" "${GC_CLUSTER_PORTS[@]}" "${GC_BUS_PORTS[@]}"
npm_install
start_socketio
start_groupcast

# run WHO ROUND: one bench run; prints {"round":R,"who":W,"serverCpuSec":S,"result":{the CLI's last stdout line}}
run() {
  local who=$1 round=$2 out line before after
  # shellcheck disable=SC2046 # servers prints PIDs to split
  before=$(cpu_ticks $(servers "$who"))
  out=$(java -jar target/groupcast.jar bench fanout --protocol "$who" --url "$(urls "$who")" \
    --subscribers "$SUBSCRIBERS" --groups 1 --messages "$MESSAGES" --json 2>> "$WORK/fanout-client.log") \
    || { echo "bench fanout --protocol $who failed; end of $WORK/fanout-client.log:" >&2; tail -n 20 "$WORK/fanout-client.log" >&2; exit 1; }
  # shellcheck disable=SC2046
  after=$(cpu_ticks $(servers "$who"))
  line=$(last_json "$WORK/fanout-client.log" "bench fanout --protocol $who" "$out") || exit 1
  echo "{\"round\":$round,\"who\":\"$who\",\"serverCpuSec\":$(ticks_to_sec $((after - before))),\"result\":$line}"
}

: > "$WORK/fanout-client.log"
echo "subscribers $SUBSCRIBERS in 1 group over 2 nodes, $MESSAGES messages, $ROUNDS rounds"
# servers run for days: both JITs (HotSpot's C2, V8's TurboFan) get the same unmeasured runs first
echo "warm-up: $WARMUPS runs each (not counted)"
for _ in $(seq "$WARMUPS"); do run groupcast 0 >/dev/null; run socketio 0 >/dev/null; done
: > "$WORK/fanout-rounds.jsonl"
for r in $(seq "$ROUNDS"); do
  order="groupcast socketio"; [ $((r % 2)) = 0 ] && order="socketio groupcast"   # alternate who goes first
  for who in $order; do
    row=$(run "$who" "$r")
    echo "$row" >> "$WORK/fanout-rounds.jsonl"
    node -e '
const x = JSON.parse(process.argv[1]), r = x.result;
console.log(`round ${x.round} ${x.who.padEnd(9)}: ${Math.round(r.deliveries / x.serverCpuSec)} deliveries/server-CPU-s` +
  ` (${r.deliveries} in ${x.serverCpuSec} CPU-s), ${Math.round(r.deliveriesPerSec)} deliveries/s, p99 ${r.latencyMs.p99} ms,` +
  ` lost ${r.lost}, duplicates ${r.duplicates}`);
' "$row"
  done
done
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const rounds = [...new Set(rows.map(r => r.round))];
const metric = { perCpu: (x) => x.result.deliveries / x.serverCpuSec, p99: (x) => x.result.latencyMs.p99,
  perSec: (x) => x.result.deliveriesPerSec };
const ratio = (k) => med(rounds.map(r => { const p = {}; rows.filter(x => x.round === r).forEach(x => p[x.who] = metric[k](x));
  return p.groupcast / p.socketio; }));
const m = (who, k) => med(rows.filter(x => x.who === who).map(metric[k]));
const sum = (who, k) => rows.filter(x => x.who === who).reduce((a, x) => a + x.result[k], 0);
const f = (n) => n.toFixed(0);
console.log(`median deliveries/server-CPU-s: groupcast ${f(m("groupcast","perCpu"))}, socketio ${f(m("socketio","perCpu"))}; median ratio groupcast/socketio ${ratio("perCpu").toFixed(3)}`);
console.log(`median p99 ms:                  groupcast ${m("groupcast","p99")}, socketio ${m("socketio","p99")}; median ratio groupcast/socketio ${ratio("p99").toFixed(3)}`);
console.log(`median deliveries/s:            groupcast ${f(m("groupcast","perSec"))}, socketio ${f(m("socketio","perSec"))}`);
console.log(`lost (sum over rounds):         groupcast ${sum("groupcast","lost")}, socketio ${sum("socketio","lost")}; duplicates groupcast ${sum("groupcast","duplicates")}, socketio ${sum("socketio","duplicates")}`);
' "$WORK/fanout-rounds.jsonl"
