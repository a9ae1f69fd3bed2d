#!/usr/bin/env bash
# Echo through groupcast's proxy role vs through Debian's nginx (the seeds' configuration), same Node.js
# ws echo backend, alternating in one run. Prints each round and the median ratios.
#   [LOADGEN=bench|node] [WARMUP=30] src/bench/proxy-vs-nginx.sh [rounds=5] [seconds=10] [connections=50] [inflight=8] [bytes=64]
# Needs: target/groupcast.jar (mvn -B package -DskipTests), node + npm, nginx (apt-get install nginx).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5} SECONDS_PER_ROUND=${2:-10} CONNS=${3:-50} INFLIGHT=${4:-8} BYTES=${5:-64} WARMUP=${WARMUP:-30}
BACKEND_PORT=9301 NGINX_PORT=9302 PROXY_PORT=9303
WORK=target/bench; mkdir -p "$WORK/nginx/logs"
[ -f target/groupcast.jar ] || { echo "build first: mvn -B package -DskipTests"; exit 2; }
cp src/bench/package.json src/bench/package-lock.json src/bench/*.mjs "$WORK/"
(cd "$WORK" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

node "$WORK/echo-server.mjs" $BACKEND_PORT > "$WORK/echo.log" 2>&1 & pids+=($!)
sed "s/BACKEND_PORT/$BACKEND_PORT/; s/NGINX_PORT/$NGINX_PORT/" src/bench/nginx-echo.conf > "$WORK/nginx/nginx.conf"
user=""; [ "$(id -u)" -eq 0 ] && user="user root;"
nginx -p "$WORK/nginx" -c "$PWD/$WORK/nginx/nginx.conf" -g "daemon off; pid $PWD/$WORK/nginx/nginx.pid; error_log $PWD/$WORK/nginx/logs/error.log; $user" & pids+=($!)
nginx_master=$!
GROUPCAST_ROLES=proxy GROUPCAST_PROXY_PORT=$PROXY_PORT GROUPCAST_PROXY_BACKENDS=127.0.0.1:$BACKEND_PORT \
  GROUPCAST_CLUSTER_PORT=9304 GROUPCAST_NODE_ID=bench-proxy \
  java -jar target/groupcast.jar > "$WORK/proxy.log" 2>&1 & pids+=($!); proxy_pid=$!
for port in $BACKEND_PORT $NGINX_PORT $PROXY_PORT; do
  for _ in $(seq 200); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
done

# the load generator: groupcast's own (bench echo), or LOADGEN=node for the Node.js ws one
load() {
  if [ "${LOADGEN:-bench}" = node ]; then
    node "$WORK/echo-load.mjs" "ws://127.0.0.1:$1/" "$CONNS" "$INFLIGHT" "$BYTES" "$2"
  else
    java -jar target/groupcast.jar bench echo --url "ws://127.0.0.1:$1/" --connections "$CONNS" \
      --inflight "$INFLIGHT" --size "$BYTES" --duration "${2}s" --json 2>/dev/null | tail -n 1
  fi
}
# cpu_ticks PID...: utime + stime of the processes (all threads), from /proc/PID/stat fields 14 and 15
cpu_ticks() {
  local total=0 stat rest f
  for p in "$@"; do
    stat=$(< /proc/"$p"/stat); rest=${stat##*) }
    read -r -a f <<< "$rest"
    total=$((total + f[11] + f[12]))
  done
  echo $total
}
# the processes doing the proxying: the JVM, or nginx's workers (the master only supervises)
servers() { if [ "$1" = proxy ]; then echo "$proxy_pid"; else pgrep -P "$nginx_master" | tr '\n' ' '; fi; }
CLK_TCK=$(getconf CLK_TCK)

# a server runs for days: the JVM's JIT gets its compilations done before anything counts (nginx is
# compiled ahead of time and needs none, it gets the same load anyway)
echo "warm-up: ${WARMUP}s each (not counted)"; load $PROXY_PORT "$WARMUP" >/dev/null; load $NGINX_PORT "$WARMUP" >/dev/null
: > "$WORK/rounds.jsonl"
for r in $(seq "$ROUNDS"); do
  order="proxy nginx"; [ $((r % 2)) = 0 ] && order="nginx proxy"   # alternate who goes first
  for who in $order; do
    port=$PROXY_PORT; [ $who = nginx ] && port=$NGINX_PORT
    # shellcheck disable=SC2046 # servers prints PIDs to split
    before=$(cpu_ticks $(servers $who))
    line=$(load $port "$SECONDS_PER_ROUND")
    # shellcheck disable=SC2046
    after=$(cpu_ticks $(servers $who))
    cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    echo "{\"round\":$r,\"who\":\"$who\",\"serverCpuSec\":$cpu,\"result\":$line}" >> "$WORK/rounds.jsonl"
    echo "round $r $who: server CPU ${cpu}s: $line"
  done
done
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const rounds = [...new Set(rows.map(r => r.round))];
const pair = (r, k) => rows.filter(x => x.round === r).reduce((o, x) => (o[x.who] = x.result[k], o), {});
const tput = rounds.map(r => { const p = pair(r, "msgsPerSec"); return p.proxy / p.nginx; });
const p99 = rounds.map(r => { const p = pair(r, "p99"); return p.proxy / p.nginx; });
const m = (who, k) => med(rows.filter(x => x.who === who).map(x => x.result[k]));
console.log(`median messages/s: proxy ${m("proxy","msgsPerSec")}, nginx ${m("nginx","msgsPerSec")}; median ratio proxy/nginx ${med(tput).toFixed(3)}`);
console.log(`median p99 ms:     proxy ${m("proxy","p99")}, nginx ${m("nginx","p99")}; median ratio proxy/nginx ${med(p99).toFixed(3)}`);
// on 2 shared cores both usually hit the same ceiling (the one-threaded Node backend): the CPU each
// proxy spends per message shows the headroom the throughput cannot
const perCpu = (x) => x.result.messages / x.serverCpuSec;
const eff = rounds.map(r => { const p = {}; rows.filter(x => x.round === r).forEach(x => p[x.who] = perCpu(x)); return p.proxy / p.nginx; });
const mc = (who) => med(rows.filter(x => x.who === who).map(perCpu));
console.log(`median messages per proxy CPU-second: proxy ${mc("proxy").toFixed(0)}, nginx ${mc("nginx").toFixed(0)}; median ratio proxy/nginx ${med(eff).toFixed(3)}`);
' "$WORK/rounds.jsonl"
