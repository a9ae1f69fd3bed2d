#!/usr/bin/env bash
# Writes the class list ClassPreloader loads on a second core during start-up: the classes a node
# start loads from the jar and the JDK (not those in the JDK's CDS archive), the ones needed last first,
# so the preloader works ahead of the main thread instead of racing it for the same classes.
#   src/bench/preload-classes.sh        (then rebuild: mvn -B package -DskipTests)
# Needs: target/groupcast.jar, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
HTTP_PORT=9363 CLUSTER_PORT=9364 WORK=target/bench
OUT=src/main/resources/META-INF/groupcast/preload-classes.txt
mkdir -p "$WORK" "$(dirname "$OUT")"
[ -f target/groupcast.jar ] || { echo "build first: mvn -B package -DskipTests"; exit 2; }
GROUPCAST_HTTP_PORT=$HTTP_PORT GROUPCAST_CLUSTER_PORT=$CLUSTER_PORT \
  java -Xlog:class+load:file="$WORK/class-load.txt" -jar target/groupcast.jar > "$WORK/preload.log" 2>&1 & node=$!
until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HTTP_PORT/health/ready || true)" = 200 ]; do
  kill -0 "$node" 2>/dev/null || { echo "the node stopped:"; tail -5 "$WORK/preload.log"; exit 1; }
  sleep 0.05
done
kill "$node"; wait "$node" || true
{
  echo "# made by src/bench/preload-classes.sh: classes a node start loads, needed-last first"
  # up to the ready line's classes, without the JDK's archived ones and generated ones (lambdas, proxies)
  grep -E 'source: (jrt:|file:)' "$WORK/class-load.txt" | awk '{ print $2 }' \
    | grep -v -E '\$\$Lambda|/0x|^dev\.groupcast\.(ClassPreloader|Main)$' > "$WORK/classes.txt"
  # the gateway's and web's (loaded after the cluster is up) first, then the rest in load order
  first_hz=$(grep -n -m1 '^com\.hazelcast\.instance\.impl\.HazelcastInstanceFactory' "$WORK/classes.txt" | cut -d: -f1)
  tail -n +"$first_hz" "$WORK/classes.txt" | grep -v '^com\.hazelcast\.' | tac
  tail -n +"$first_hz" "$WORK/classes.txt" | grep '^com\.hazelcast\.'
} > "$OUT"
echo "$(grep -vc '^#' "$OUT") classes -> $OUT"
