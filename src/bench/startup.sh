#!/usr/bin/env bash
# Start-up: milliseconds from `java -jar target/groupcast.jar` to /health/ready = 200, one node,
# several runs, median. With CDS=1 it first records an AppCDS archive of the classes a start loads
# (a training start) and measures starts that map it (-XX:SharedArchiveFile), as a container would.
#   [CDS=1] src/bench/startup.sh [runs=5]
# Needs: target/groupcast.jar (mvn -B package -DskipTests), curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-5} HTTP_PORT=9361 CLUSTER_PORT=9362
WORK=target/bench; mkdir -p "$WORK"
[ -f target/groupcast.jar ] || { echo "build first: mvn -B package -DskipTests"; exit 2; }
JAVA_FLAGS=()
if [ "${CDS:-0}" = 1 ]; then
  rm -f "$WORK/groupcast.jsa"
  GROUPCAST_HTTP_PORT=$HTTP_PORT GROUPCAST_CLUSTER_PORT=$CLUSTER_PORT \
    java -XX:ArchiveClassesAtExit="$WORK/groupcast.jsa" -jar target/groupcast.jar > "$WORK/startup-train.log" 2>&1 & train=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HTTP_PORT/health/ready || true)" = 200 ]; do sleep 0.05; done
  kill "$train"; wait "$train" || true   # the archive is written as the JVM exits
  JAVA_FLAGS=(-XX:SharedArchiveFile="$WORK/groupcast.jsa")
fi
times=()
for r in $(seq "$RUNS"); do
  start=$(date +%s%N)
  GROUPCAST_HTTP_PORT=$HTTP_PORT GROUPCAST_CLUSTER_PORT=$CLUSTER_PORT \
    java "${JAVA_FLAGS[@]}" -jar target/groupcast.jar > "$WORK/startup.log" 2>&1 & node=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HTTP_PORT/health/ready || true)" = 200 ]; do
    kill -0 "$node" 2>/dev/null || { echo "the node stopped:"; tail -5 "$WORK/startup.log"; exit 1; }
    sleep 0.02
  done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  times+=("$ms"); echo "run $r: ready after $ms ms"
  kill "$node"; wait "$node" || true
done
printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print "median: " a[int((NR + 1) / 2)] " ms to ready (" NR " runs)" }'
