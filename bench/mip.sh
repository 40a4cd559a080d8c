#!/usr/bin/env bash
# make bench-mip: registrations per second at the home agent. A throwaway
# network namespace (loopback only) runs mmlkeyd as HA with N mobile nodes
# and real pinned maps (mml_binding, mml_gen, created with bpftool, so every
# registration pays the map update and the generation bump); bench-mip
# keeps a window of authenticated requests in flight and counts replies.
#   bench/mip.sh [BUILD_DIR] [bench-mip options]
set -euo pipefail
build=${1:-build}
shift || true
id=mmlbench$$
ns=$id
pins=/sys/fs/bpf/$id
dir=$(mktemp -d /tmp/$id.XXXXXX)
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$pins" "$dir"
}
trap cleanup EXIT INT TERM
ip netns add "$ns"
ip -n "$ns" link set lo up
mkdir -p -m 0700 "$pins/ha"
bpftool map create "$pins/ha/mml_binding" type hash key 4 value 48 entries 65536 name mml_binding
bpftool map create "$pins/ha/mml_gen" type array key 4 value 8 entries 1 name mml_gen flags 1024
n=1000
for ((i = 1; i <= $#; i++)); do [[ ${!i} == -n ]] && { j=$((i + 1)); n=${!j}; }; done
"$build/bench-mip" -n "$n" -c "$dir/mip.conf"
{ echo "node = \"ha\"; pin_root = \"$pins\"; control_socket = \"$dir/ha.sock\"; log_level = \"warn\";"
  cat "$dir/mip.conf"; } > "$dir/ha.conf"
chmod 600 "$dir/ha.conf"
nsenter --net=/run/netns/"$ns" "$build/mmlkeyd" -F -f "$dir/ha.conf" 2> "$dir/ha.log" &
pid=$!
for _ in $(seq 50); do [[ -S $dir/ha.sock ]] && break; sleep 0.1; done
[[ -S $dir/ha.sock ]] || { cat "$dir/ha.log"; exit 1; }
nsenter --net=/run/netns/"$ns" "$build/bench-mip" "$@"
echo "bindings in mml_binding: $(bpftool map dump pinned "$pins/ha/mml_binding" -j | grep -o '"key"' | wc -l)"
