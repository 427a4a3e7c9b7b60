#!/bin/bash
# Bytes allocated per relayed message: W2 (20 pairs, 10 s, closed loop) against the jar started by bin/peerpigeon-server
# with JFR (allocation samples), then the top allocation sites. Needs the jars (mvn -DskipTests package) and python3.
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-3978}
jfrfile=$(mktemp --suffix=.jfr); oas=$(mktemp)
PORT=$port HOST=127.0.0.1 MAX_CONNECTIONS_PER_IP=0 MAX_CONNECTIONS_PER_IP_PER_SECOND=0 MAX_MESSAGES_PER_SECOND=0 \
  JAVA_OPTS="-XX:+UseSerialGC -Xms16m -Xmn8m -XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=40 -Xss256k -XX:StartFlightRecording=filename=$jfrfile,settings=profile,dumponexit=true" \
  "$here"/bin/peerpigeon-server > /dev/null 2>&1 &
spid=$!
for i in $(seq 1 50); do curl -fsS http://127.0.0.1:$port/health >/dev/null 2>&1 && break; sleep 0.2; done
out=$(java -cp "$here"/target/peerpigeon-bench.jar dev.peerpigeon.bench.LoadGenerator W2 url=ws://127.0.0.1:$port pairs=20 seconds=10 | grep workload)
echo "$out"
kill -TERM $spid; wait $spid
msgs=$(echo "$out" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["relayedMessages"])')
jfr print --json --events jdk.ObjectAllocationSample $jfrfile > $oas
python3 - "$msgs" "$oas" <<'PY'
import json,sys,collections
msgs=int(sys.argv[1])
evs=json.load(open(sys.argv[2]))['recording']['events']
tot=0; by=collections.Counter()
for e in evs:
    v=e['values']; w=v['weight']; tot+=w
    frames=(v.get('stackTrace') or {}).get('frames') or []
    key=next((f['method']['type']['name']+'.'+f['method']['name'] for f in frames if 'peerpigeon' in f['method']['type']['name']), None)
    top=frames[0]['method']['type']['name']+'.'+frames[0]['method']['name'] if frames else '?'
    by[(key,top)]+=w
print(f"allocated (JFR samples) {tot/1e6:.0f} MB for {msgs} relayed messages: {tot/msgs:.0f} bytes per message")
for k,w in by.most_common(12): print(f"{w/msgs:8.0f} B/msg  {k}")
PY
rm -f "$jfrfile" "$oas"
