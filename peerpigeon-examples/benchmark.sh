#!/usr/bin/env bash
# Side-by-side benchmark of this server against the reference (npm peerpigeon@1.1.3).
# Usage: peerpigeon-examples/benchmark.sh [quick|standard|full] [only=W2,W3]
# Needs java 17, maven, node and npm; installs the reference into ~/.cache/peerpigeon-java (not the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -DskipTests package
exec java -cp peerpigeon-examples/target/peerpigeon-server.jar dev.peerpigeon.examples.bench.Benchmark "$@"
