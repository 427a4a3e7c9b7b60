#!/usr/bin/env bash
# Runs a command inside the private network namespace created by `unshare -n` (the caller does that):
# loopback up plus a veth pair whose 198.18.0.1 end carries the default route, so Chromium gathers a
# host candidate (it never gathers 127.0.0.1) and no WebRTC packet can reach a real interface.
set -euo pipefail
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 198.18.0.1/24 dev v0
ip link set v0 up
ip link set v1 up
ip route add default dev v0
exec "$@"
