#!/usr/bin/env bash
# Cluster benchmark (issue 14, item 6): W2 with each pair's two peers on different nodes of a 2-node cluster
# (one redis-server) against the same pairs on one plain node. Prints, per run: msgs/s, p99, server CPU seconds
# (both nodes, and redis-server for the cluster run), msgs per total CPU second, and Redis commands per relayed
# signal (INFO commandstats, heartbeats excluded). Open loop: add rate=R (passed to the load generator).
# Usage: peerpigeon-examples/cluster-benchmark.sh [pairs=50] [seconds=10] [rate=R] [warmup=8]
# Needs java 17, maven, redis-server (/usr/bin/redis-server) and redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f peerpigeon-examples/target/peerpigeon-server.jar ] || mvn -q -DskipTests package
jar=peerpigeon-examples/target/peerpigeon-server.jar
bench=peerpigeon-examples/target/peerpigeon-bench.jar
args=("pairs=50" "seconds=10")
warmup=8
for a in "$@"; do
  case $a in warmup=*) warmup=${a#warmup=} ;; *) args+=("$a") ;; esac
done
server() { PEERPIGEON_JAR=$jar exec peerpigeon-examples/bin/peerpigeon-server; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, in USER_HZ (100/s)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
await_health() { # port, grep pattern
  for _ in $(seq 1 200); do curl -fsS "http://127.0.0.1:$1/health" 2>/dev/null | grep -q "$2" && return 0; sleep 0.1; done
  echo "node on $1 not ready" >&2; exit 1
}
non_beat_calls() { # total calls of every command but the heartbeat's and INFO
  redis-cli -p "$1" INFO commandstats | tr -d '\r' | awk -F'[_:=,]' '/^cmdstat_/ {
    if ($2 !~ /^(eval|zadd|zrangebyscore|zrange|time|info)$/) n += $4 } END { print n + 0 }'
}
# Each setup relays for $warmup seconds before it is measured: otherwise the cluster run, with two fresh node JVMs
# compiling the same code, pays twice the JIT warm-up of the single run and the ratio measures that.
warm() { # url, url2
  if [ "$warmup" -gt 0 ]; then
    java -cp "$bench" dev.peerpigeon.bench.LoadGenerator W2 url="$1" url2="$2" "${args[@]}" seconds="$warmup" >/dev/null
  fi
}
run() { # label, url, url2, server pids...
  local label=$1 url=$2 url2=$3; shift 3
  local before=0; for p in "$@"; do before=$((before + $(ticks "$p"))); done
  local out
  out=$(java -cp "$bench" dev.peerpigeon.bench.LoadGenerator W2 url="$url" url2="$url2" "${args[@]}" | grep '"workload"')
  local after=0; for p in "$@"; do after=$((after + $(ticks "$p"))); done
  python3 - "$label" "$out" "$before" "$after" <<'PY'
import json, sys
label, out, before, after = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cpu = (after - before) / 100.0
msgs = out.get("relayedMessages", out.get("received", 0))
print(json.dumps({"run": label, "msgsPerSecond": out.get("msgsPerSecond", out.get("receivedPerSecond")),
                  "latencyP99Ms": out.get("latencyP99Ms"), "serverCpuSeconds": cpu,
                  "msgsPerTotalCpuSecond": round(msgs / cpu) if cpu else None,
                  "errors": out.get("errors"), "duplicateDiscoveries": out.get("duplicateDiscoveries")}))
print("  load generator: " + json.dumps(out))
PY
}

# One plain node.
p0=$(free_port)
PORT=$p0 HOST=127.0.0.1 server >/dev/null 2>&1 & pids+=($!); single=$!
await_health "$p0" '"status":"healthy"'
warm "ws://127.0.0.1:$p0" "ws://127.0.0.1:$p0"
run single-node "ws://127.0.0.1:$p0" "ws://127.0.0.1:$p0" "$single"
kill "$single"

# Two cluster nodes on one redis-server; each pair's second peer on the second node.
rport=$(free_port); p1=$(free_port); p2=$(free_port)
/usr/bin/redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >/dev/null & pids+=($!); redis=$!
for _ in $(seq 1 100); do redis-cli -p "$rport" PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done
for p in "$p1" "$p2"; do
  REDIS_URL=redis://127.0.0.1:$rport HUB_MESH_NAMESPACE=bench PORT=$p HOST=127.0.0.1 server >/dev/null 2>&1 & pids+=($!)
done
n1=${pids[-2]}; n2=${pids[-1]}
await_health "$p2" '"nodes":2,"redis":"up"'
await_health "$p1" '"nodes":2,"redis":"up"'
warm "ws://127.0.0.1:$p1" "ws://127.0.0.1:$p2"
calls0=$(non_beat_calls "$rport"); pub0=$(redis-cli -p "$rport" INFO commandstats | tr -d '\r' | awk -F'[=,]' '/^cmdstat_publish:/ {print $2}')
run cluster-2-nodes "ws://127.0.0.1:$p1" "ws://127.0.0.1:$p2" "$n1" "$n2" "$redis" | tee /tmp/peerpigeon-cluster-bench.$$
calls1=$(non_beat_calls "$rport"); pub1=$(redis-cli -p "$rport" INFO commandstats | tr -d '\r' | awk -F'[=,]' '/^cmdstat_publish:/ {print $2}')
relayed=$(grep -o '"relayedMessages": *[0-9]*' /tmp/peerpigeon-cluster-bench.$$ | head -1 | cut -d: -f2 | tr -d ' '); rm -f /tmp/peerpigeon-cluster-bench.$$
python3 -c "import sys; c,p,r=[int(x or 0) for x in sys.argv[1:]]; print('redis: %d commands (%d PUBLISH) outside heartbeats for %d relayed messages: %.3f commands per signal (announces and departures included)' % (c, p, r, c / r if r else float('nan')))" \
  "$((calls1 - calls0))" "$((${pub1:-0} - ${pub0:-0}))" "${relayed:-0}"
