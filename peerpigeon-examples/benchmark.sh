#!/usr/bin/env bash
# Side-by-side benchmark of this server against the reference (npm peerpigeon@1.1.3).
# Usage: peerpigeon-examples/benchmark.sh [quick|standard|full] [only=W2,W3] [rates=15000,35000] [warmup=2]
# W2 includes the open-loop rows (only=W2O for those alone): W2 at 30 % and 70 % of the reference's closed-loop
# W2 maximum measured in the same run (or at rates=A,B), both servers at the same rate, latency from the
# intended send time, after warmup seconds at that rate.
# Needs java 17, maven, node and npm; installs the reference into ~/.cache/peerpigeon-java (not the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -DskipTests package
exec java -jar peerpigeon-examples/target/peerpigeon-bench.jar "$@"
