#!/usr/bin/env bash
# Fan-out through a 2-node groupcast cluster vs through 2 Socket.IO nodes joined by the Redis adapter,
# both driven by the same load generator (java -jar target/groupcast.jar bench fanout), alternating in
# one run. Around each run it reads the CPU time of every server process of that contender (the two
# JVMs; or the two node processes and redis-server) and reports deliveries per server CPU-second.
# Prints each round and the medians; the rows go to target/bench/fanout-rounds.jsonl.
#   [WARMUPS=20] src/bench/fanout-vs-socketio.sh [rounds=5] [subscribers=200] [messages=2000]
# Needs: target/groupcast.jar (mvn -B package -DskipTests), node + npm, redis-server
# (apt-get install -y redis-server), curl.
# shellcheck disable=SC2016 # the node -e programs are single-quoted on purpose
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5} SUBSCRIBERS=${2:-200} MESSAGES=${3:-2000} WARMUPS=${WARMUPS:-20}
REDIS_PORT=9311 SIO_PORTS=(9312 9313) GC_HTTP_PORTS=(9321 9322) GC_CLUSTER_PORTS=(9331 9332)
WORK=target/bench; mkdir -p "$WORK"
[ -f target/groupcast.jar ] || { echo "build first: mvn -B package -DskipTests"; exit 2; }
command -v redis-server >/dev/null || { echo "needs redis-server: apt-get install -y redis-server"; exit 2; }
java -jar target/groupcast.jar bench --help >/dev/null 2>&1 \
  || { echo "target/groupcast.jar has no 'bench' command: rebuild (mvn -B package -DskipTests)"; exit 2; }
port_open() { (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in $REDIS_PORT "${SIO_PORTS[@]}" "${GC_HTTP_PORTS[@]}" "${GC_CLUSTER_PORTS[@]}"; do
  if port_open "$port"; then echo "port $port is already in use"; exit 2; fi
done
cp src/bench/package.json src/bench/package-lock.json src/bench/*.mjs "$WORK/"
(cd "$WORK" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# Every server is started directly with & so that $! is the server process itself (bash execs a simple
# command in the forked child), not a wrapper shell: its /proc/PID/stat is the server's own CPU time.
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# wait_for NAME PID LOG CHECK...: until CHECK succeeds, failing early if the process has died
wait_for() {
  local name=$1 pid=$2 log=$3; shift 3
  for _ in $(seq 1200); do
    "$@" && return 0
    kill -0 "$pid" 2>/dev/null || { echo "$name exited; end of $log:"; tail -n 20 "$log"; exit 1; }
    sleep 0.1
  done
  echo "$name not ready after 120 s; end of $log:"; tail -n 20 "$log"; exit 1
}
http_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]; }

redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  > "$WORK/redis.log" 2>&1 & pids+=($!); redis_pid=$!
wait_for redis-server "$redis_pid" "$WORK/redis.log" port_open $REDIS_PORT
sio_pids=()
for port in "${SIO_PORTS[@]}"; do
  node "$WORK/socketio-server.mjs" "$port" $REDIS_PORT > "$WORK/socketio-$port.log" 2>&1 & pids+=($!); sio_pids+=($!)
done
gc_pids=()
for i in 0 1; do
  GROUPCAST_HTTP_PORT=${GC_HTTP_PORTS[$i]} GROUPCAST_CLUSTER_PORT=${GC_CLUSTER_PORTS[$i]} \
    GROUPCAST_CLUSTER_MEMBERS=127.0.0.1:${GC_CLUSTER_PORTS[0]},127.0.0.1:${GC_CLUSTER_PORTS[1]} \
    GROUPCAST_NODE_ID=bench-$([ $i = 0 ] && echo a || echo b) GROUPCAST_LIMITS_PUBLISH_RATE=0 \
    java -jar target/groupcast.jar > "$WORK/groupcast-${GC_HTTP_PORTS[$i]}.log" 2>&1 & pids+=($!); gc_pids+=($!)
done
for i in 0 1; do
  log="$WORK/socketio-${SIO_PORTS[$i]}.log"
  wait_for "socket.io node ${SIO_PORTS[$i]}" "${sio_pids[$i]}" "$log" grep -q "^listening ${SIO_PORTS[$i]}$" "$log"
done
for i in 0 1; do
  wait_for "groupcast node ${GC_HTTP_PORTS[$i]}" "${gc_pids[$i]}" "$WORK/groupcast-${GC_HTTP_PORTS[$i]}.log" \
    http_ok "http://127.0.0.1:${GC_HTTP_PORTS[$i]}/health/ready"
done
for p in "$redis_pid" "${sio_pids[@]}" "${gc_pids[@]}"; do   # the PIDs really are the servers
  case "$(cat /proc/"$p"/comm)" in redis-server|node|java) ;; *) echo "pid $p is $(cat /proc/"$p"/comm)"; exit 1;; esac
done

CLK_TCK=$(getconf CLK_TCK)
# cpu_ticks PID...: utime + stime (fields 14 and 15 of /proc/PID/stat, all threads) summed over the PIDs;
# the fields are counted after the ") " that closes the command name, which may itself hold spaces.
cpu_ticks() {
  local total=0 stat rest f
  for p in "$@"; do
    stat=$(< /proc/"$p"/stat); rest=${stat##*) }
    read -r -a f <<< "$rest"                 # f[0] is field 3, so field 14 is f[11], field 15 is f[12]
    total=$((total + f[11] + f[12]))
  done
  echo $total
}
servers() { if [ "$1" = groupcast ]; then echo "${gc_pids[*]}"; else echo "${sio_pids[*]} $redis_pid"; fi; }
urls() {
  if [ "$1" = groupcast ]; then echo "ws://127.0.0.1:${GC_HTTP_PORTS[0]}/ws,ws://127.0.0.1:${GC_HTTP_PORTS[1]}/ws"
  else echo "ws://127.0.0.1:${SIO_PORTS[0]},ws://127.0.0.1:${SIO_PORTS[1]}"; fi
}
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
  line=$(printf '%s\n' "$out" | tail -n 1)
  [[ $line == \{* ]] || { echo "bench fanout --protocol $who printed no JSON line: $line" >&2; exit 1; }
  echo "{\"round\":$round,\"who\":\"$who\",\"serverCpuSec\":$(awk -v t=$((after - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t / hz }'),\"result\":$line}"
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
