# Shell shared by the comparison scripts (fanout-vs-socketio.sh, rooms-vs-socketio.sh,
# fanout-vs-jetstream.sh); sourced, not run: `. src/bench/lib.sh` from the repository's root.
# Sourcing it sets WORK=target/bench, the pids array and an EXIT trap that stops every process in it.
# Each server is started directly with & so that $! is the server process itself (bash execs a simple
# command in the forked child), not a wrapper shell: its /proc/PID/stat is the server's own CPU time.
# shellcheck shell=bash

WORK=target/bench
mkdir -p "$WORK"
CLK_TCK=$(getconf CLK_TCK)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# need COMMAND HINT: exit 2 with the hint when COMMAND is not on the PATH
need() { command -v "$1" >/dev/null || { echo "needs $1: $2"; exit 2; }; }

# need_jar WORD...: target/groupcast.jar exists and its bench usage names every WORD (a scenario, an option)
need_jar() {
  local usage word
  [ -f target/groupcast.jar ] || { echo "build first: mvn -B package -DskipTests"; exit 2; }
  usage=$(java -jar target/groupcast.jar bench --help 2>/dev/null) \
    || { echo "target/groupcast.jar has no 'bench' command: rebuild (mvn -B package -DskipTests)"; exit 2; }
  for word in "$@"; do
    grep -q -- "$word" <<< "$usage" \
      || { echo "target/groupcast.jar's bench has no '$word': rebuild (mvn -B package -DskipTests)"; exit 2; }
  done
}

port_open() { (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_ports PORT...: exit 2 naming the first port already in use
free_ports() {
  local port
  for port in "$@"; do
    if port_open "$port"; then echo "port $port is already in use"; exit 2; fi
  done
}

# npm_install: the Node helpers and their locked dependencies in $WORK
npm_install() {
  cp src/bench/package.json src/bench/package-lock.json src/bench/*.mjs "$WORK/"
  (cd "$WORK" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || { echo "npm ci in $WORK failed"; exit 1; }
}

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

# is_process COMM PID...: exit 1 unless every PID is a process named COMM (the PIDs really are the servers)
is_process() {
  local comm=$1 p; shift
  for p in "$@"; do
    [ "$(cat /proc/"$p"/comm)" = "$comm" ] || { echo "pid $p is $(cat /proc/"$p"/comm), not $comm"; exit 1; }
  done
}

# start_groupcast: one node per entry of GC_HTTP_PORTS, clustered over GC_CLUSTER_PORTS (event bus on
# GC_BUS_PORTS), all on 127.0.0.1 without the publish rate limit; sets gc_pids, returns once all are ready.
# GC_JAR is the jar the nodes run (target/groupcast.jar unless set: rooms-ab.sh compares two builds).
# GC_JAVA_OPTS go to the nodes' JVMs only (not the load generator's): e.g. -XX:ActiveProcessorCount=1 to
# give each of 2 nodes on a 2-core host one core's worth of threads, as a CPU limit of 1 in a pod does
start_groupcast() {
  local i members="" ids=(a b c d e f g h) jvm_opts=()
  read -r -a jvm_opts <<< "${GC_JAVA_OPTS:-}"
  gc_pids=()
  for i in "${!GC_HTTP_PORTS[@]}"; do members+="${members:+,}127.0.0.1:${GC_CLUSTER_PORTS[$i]}"; done
  for i in "${!GC_HTTP_PORTS[@]}"; do
    GROUPCAST_HTTP_HOST=127.0.0.1 GROUPCAST_HTTP_PORT=${GC_HTTP_PORTS[$i]} \
      GROUPCAST_CLUSTER_HOST=127.0.0.1 GROUPCAST_CLUSTER_PORT=${GC_CLUSTER_PORTS[$i]} \
      GROUPCAST_CLUSTER_BUS_PORT=${GC_BUS_PORTS[$i]} GROUPCAST_CLUSTER_MEMBERS=$members \
      GROUPCAST_NODE_ID=bench-${ids[$i]} GROUPCAST_LIMITS_PUBLISH_RATE=0 \
      java "${jvm_opts[@]}" -jar "${GC_JAR:-target/groupcast.jar}" > "$WORK/groupcast-${GC_HTTP_PORTS[$i]}.log" 2>&1 & pids+=($!); gc_pids+=($!)
  done
  for i in "${!GC_HTTP_PORTS[@]}"; do
    wait_for "groupcast node ${GC_HTTP_PORTS[$i]}" "${gc_pids[$i]}" "$WORK/groupcast-${GC_HTTP_PORTS[$i]}.log" \
      http_ok "http://127.0.0.1:${GC_HTTP_PORTS[$i]}/health/ready"
  done
  is_process java "${gc_pids[@]}"
}
# ws_urls SUFFIX PORT...: ws://127.0.0.1:PORT followed by SUFFIX for each port, comma-separated
ws_urls() {
  local suffix=$1 port urls=""
  shift
  for port in "$@"; do urls+="${urls:+,}ws://127.0.0.1:$port$suffix"; done
  echo "$urls"
}
# gc_urls: the groupcast nodes' WebSocket URLs
gc_urls() { ws_urls /ws "${GC_HTTP_PORTS[@]}"; }

# start_socketio: redis-server on REDIS_PORT and one Socket.IO node (Redis adapter) per entry of
# SIO_PORTS; sets redis_pid and sio_pids, returns once all are ready
start_socketio() {
  local i port
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    > "$WORK/redis.log" 2>&1 & pids+=($!); redis_pid=$!
  wait_for redis-server "$redis_pid" "$WORK/redis.log" port_open "$REDIS_PORT"
  sio_pids=()
  for port in "${SIO_PORTS[@]}"; do
    node "$WORK/socketio-server.mjs" "$port" "$REDIS_PORT" > "$WORK/socketio-$port.log" 2>&1 & pids+=($!); sio_pids+=($!)
  done
  for i in "${!SIO_PORTS[@]}"; do
    port=${SIO_PORTS[$i]}
    wait_for "socket.io node $port" "${sio_pids[$i]}" "$WORK/socketio-$port.log" \
      grep -q "^listening $port$" "$WORK/socketio-$port.log"
  done
  is_process redis-server "$redis_pid"
  is_process node "${sio_pids[@]}"
}
sio_urls() { ws_urls "" "${SIO_PORTS[@]}"; }

# servers WHO and urls WHO, for the groupcast-vs-Socket.IO scripts: the processes whose CPU counts for
# a contender (the JVMs; or the Node.js processes and redis-server) and the URLs its clients use
servers() { if [ "$1" = groupcast ]; then echo "${gc_pids[*]}"; else echo "${sio_pids[*]} $redis_pid"; fi; }
urls() { if [ "$1" = groupcast ]; then gc_urls; else sio_urls; fi; }

# cpu_ticks PID...: utime + stime (fields 14 and 15 of /proc/PID/stat, all threads) summed over the PIDs;
# the fields are counted after the ") " that closes the command name, which may itself hold spaces.
cpu_ticks() {
  local total=0 stat rest f p
  for p in "$@"; do
    stat=$(< /proc/"$p"/stat); rest=${stat##*) }
    read -r -a f <<< "$rest"                 # f[0] is field 3, so field 14 is f[11], field 15 is f[12]
    total=$((total + f[11] + f[12]))
  done
  echo $total
}
# ticks_to_sec TICKS: seconds with 3 decimals
ticks_to_sec() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t / hz }'; }

# last_json LOG NAME OUTPUT: the OUTPUT's last line if it is a JSON object, else exit 1 showing LOG
last_json() {
  local log=$1 name=$2 line
  line=$(printf '%s\n' "$3" | tail -n 1)
  [[ $line == \{* ]] || { echo "$name printed no JSON line: $line; end of $log:" >&2; tail -n 20 "$log" >&2; exit 1; }
  printf '%s\n' "$line"
}
