#!/usr/bin/env bash
# make bench-scale (issue 20, "Scale"): SCALE_N mobile hosts (default
# 10000) registered at one home agent through two foreign agents, each of
# them the real mmlkeyd with the data plane attached as on the product bed
# (mmlctl ha attach / fa attach with the maps sized for N, the HA's
# mmlworker running); the mobiles are bench-scale-mip, a synthetic client
# in a namespace of its own with a wireless link to each FA. Then the
# per-packet cost with N entries against 1 (bench-scale-cost) and ML-IKE
# initialisations with the product engine (bench-scale-ike). Root; about
# 2 minutes at N = 10000. Run under flock /tmp/mml-netns.lock.
#   bench/scale.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
N=${SCALE_N:-10000}
top=$(cd "$(dirname "$0")/.." && pwd)
ctl_bin=$build/mmlctl
p=mmlsc$$
dir=$(mktemp -d /tmp/$p.XXXXXX)
nodes=(ha fa1 fa2 cl cn)
declare -A pid=()
pins=/sys/fs/bpf/mmlipsec
HA=10.100.0.1
FA_COA=(10.100.1.1 10.100.2.1)
FA_WL=(10.101.1.1 10.101.2.1)

cleanup() {
	for k in "${!pid[@]}"; do
		kill "${pid[$k]}" 2>/dev/null && wait "${pid[$k]}" 2>/dev/null || true
	done
	for n in ha fa1 fa2; do
		x $n "$ctl_bin" -n $p-$n ${n%[12]} detach >/dev/null 2>&1 || true
		rm -rf "$pins/$p-$n"
		rm -f /run/mmlipsec/$p-$n.sock
	done
	# Anything still running in our namespaces is ours: it must not
	# outlive the run (it would hold the netns lock's file open).
	for n in "${nodes[@]}"; do
		for q in $(ip netns pids $p-$n 2>/dev/null); do kill -9 "$q" 2>/dev/null || true; done
		ip netns del $p-$n 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# nsenter, not ip netns exec: that one remounts /sys, and the pins would
# land in a bpffs of its own.
x() { local n=$1; shift; nsenter --net=/run/netns/$p-$n -- "$@"; }
ctl() { local n=$1; shift; x $n "$ctl_bin" -n $p-$n "$@"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/$1/status; }
# map NODE NAME: "max_entries bytes_memlock" of a pinned map
map() {
	bpftool map show pinned "$pins/$p-$1/$2" -j |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["max_entries"], d.get("bytes_memlock", 0))'
}
entries() {
	bpftool map dump pinned "$pins/$p-$1/$2" -j |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

for n in "${nodes[@]}"; do ip netns add $p-$n; x $n ip link set lo up; done
link() { # NODE_A IF_A ADDR_A NODE_B IF_B ADDR_B
	ip link add $2 netns $p-$1 type veth peer name $5 netns $p-$4
	x $1 ip addr add $3/24 dev $2
	x $4 ip addr add $6/24 dev $5
	x $1 ip link set $2 up
	x $4 ip link set $5 up
}
link ha cn0 $HA cn eth0 10.100.0.2
link ha to-fa1 10.100.1.2 fa1 eth0 ${FA_COA[0]}
link ha to-fa2 10.100.2.2 fa2 eth0 ${FA_COA[1]}
link fa1 wlan0 ${FA_WL[0]} cl wl1 10.101.1.2
link fa2 wlan0 ${FA_WL[1]} cl wl2 10.101.2.2
for i in 1 2; do x fa$i ip route add 10.100.0.0/24 via 10.100.$i.2; done
# The client holds every home address (10.200.0.0/16): one socket serves
# all the mobiles.
x cl ip route add local 10.200.0.0/16 dev lo
for n in cl fa1 fa2; do x $n sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0; done
for i in wl1 wl2 lo; do x cl sysctl -qw net.ipv4.conf.$i.rp_filter=0; done

# The data plane, sized for N (docs/operations.md "Map sizing").
csa_max=$((2 * N + 1024))
ctl ha ha attach addr $HA cn cn0 fa to-fa1,to-fa2 binding-max $((N + 1024)) csa-max $csa_max \
	flow-max $((2 * N + 16384))
for i in 1 2; do
	mkdir -p -m 0700 "$pins/$p-fa$i"
	ctl fa$i fa attach coa ${FA_COA[$((i - 1))]} wired eth0 wireless wlan0 \
		local ${FA_WL[$((i - 1))]} visitor-max $((N / 2 + 1024)) csa-max $((N + 1024))
done
# Started without the x function: $! is then the process itself (nsenter
# execs it), which the RSS is read from and cleanup kills.
nsenter --net=/run/netns/$p-ha -- "$build/mmlworker" --role ha --node $p-ha --port cn0 \
	--port to-fa1 --port to-fa2 --tun mml0 >"$dir/worker-ha.log" 2>&1 &
pid[worker]=$!

"$build/bench-scale-mip" -n "$N" -a $HA -c "$dir/mobiles.conf"
{ echo "node = \"$p-ha\"; log_level = \"warn\";"; cat "$dir/mobiles.conf"; } >"$dir/ha.conf"
for i in 1 2; do
	cat >"$dir/fa$i.conf" <<EOF
node = "$p-fa$i"; log_level = "warn";
mip = { role = "fa"; address = "${FA_WL[$((i - 1))]}"; care_of_address = "${FA_COA[$((i - 1))]}";
  interface = "wlan0"; max_lifetime = 600; max_visitors = $((N / 2 + 1024)); };
EOF
done
chmod 600 "$dir"/*.conf
for n in ha fa1 fa2; do
	nsenter --net=/run/netns/$p-$n -- "$build/mmlkeyd" -F -f "$dir/$n.conf" \
		>"$dir/keyd-$n.log" 2>&1 &
	pid[$n]=$!
done
for n in ha fa1 fa2; do
	for _ in $(seq 100); do [[ -S /run/mmlipsec/$p-$n.sock ]] && break; sleep 0.05; done
	[[ -S /run/mmlipsec/$p-$n.sock ]] || { cat "$dir/keyd-$n.log"; exit 1; }
done
sleep 0.5
kill -0 ${pid[worker]} 2>/dev/null || { echo "the HA's worker did not start:"; cat "$dir/worker-ha.log"; exit 1; }
declare -A rss0=()
for k in ha fa1 fa2 worker; do rss0[$k]=$(rss_kb ${pid[$k]}); done

declare -A mem0=()
for m in "ha mml_binding" "fa1 mml_visitor" "fa2 mml_visitor"; do
	read -r _ mem <<<"$(map $m)"
	mem0[${m/ /:}]=$mem
done
echo "== bench-scale: N=$N mobiles, HA + 2 FAs (mmlkeyd, XDP attached, HA worker)"
t0=$(date +%s.%N)
x cl "$build/bench-scale-mip" -n "$N" -a $HA -f "${FA_WL[0]},${FA_WL[1]}" -w 64 -t 3 |
	tee "$dir/mip.out"
sleep 1 # the worker reloads its tables on mml_gen
nb=$(entries ha mml_binding)
nv1=$(entries fa1 mml_visitor)
nv2=$(entries fa2 mml_visitor)
echo "entries: HA mml_binding=$nb FA1 mml_visitor=$nv1 FA2 mml_visitor=$nv2"
for k in ha fa1 fa2 worker; do
	r=$(rss_kb ${pid[$k]})
	printf 'RSS %-6s before %7d kB  after %7d kB  delta %7d kB  per entry %6.0f B\n' $k \
		${rss0[$k]} $r $((r - rss0[$k])) "$(awk "BEGIN { print ($r - ${rss0[$k]}) * 1024 / $N }")"
done
# Not preallocated: the kernel's count grows with the entries.
for m in "ha mml_binding" "fa1 mml_visitor" "fa2 mml_visitor"; do
	read -r max mem <<<"$(map $m)"
	n=$N
	[[ $m == fa* ]] && n=$((N / 2))
	printf 'map %-4s %-12s max_entries %7d  memlock %9d B before, %9d B after: %5.0f B per entry\n' \
		$m "$max" "${mem0[${m/ /:}]}" "$mem" "$(awk "BEGIN { print ($mem - ${mem0[${m/ /:}]}) / $n }")"
done
x ha "$ctl_bin" -n $p-ha -j mip show >"$dir/ha-show.json"
python3 - "$dir/ha-show.json" <<'EOF'
import json, sys
want = ("rx_request", "binding_add", "binding_renew", "denied", "map_full", "map_error")
found = {}
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in want and isinstance(v, int):
                found[k] = v
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(json.load(open(sys.argv[1])))
print("HA counters:", " ".join(f"{k}={found[k]}" for k in want if k in found))
EOF
grep -m5 -i "error\|full" "$dir"/keyd-*.log || true

echo "== per-packet cost with N entries against 1 (same run)"
"$build/bench-scale-cost" -n "$N"
echo "== ML-IKE initialisations at the HA (product engine, in process)"
"$build/bench-scale-ike" -n "$N"
