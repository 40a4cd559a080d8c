#!/usr/bin/env bash
# bench-xsk-send (the worker's AF_XDP transmit, the paper's ip_send) on a
# veth pair in a namespace of its own, removed afterwards even on failure:
# the frames go to the peer end and no further. Root; run it under
# flock /tmp/mml-netns.lock (make experiments does).
#   bench/functions-xsk.sh BUILD [-q]
set -uo pipefail
BUILD=${1:-build}
shift || true
[[ $(id -u) == 0 ]] || { echo "functions-xsk: needs root" >&2; exit 77; }
NS=mmlfnx$$
trap 'ip netns del "$NS" 2>/dev/null' EXIT
ip netns add "$NS" &&
	ip -n "$NS" link add fnxa type veth peer name fnxb &&
	ip -n "$NS" link set fnxa up &&
	ip -n "$NS" link set fnxb up || exit 1
ip netns exec "$NS" "$BUILD/bench-xsk-send" fnxa "$@"
