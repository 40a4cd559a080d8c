#!/usr/bin/env bash
# make bench-scale (issue 20, "Scale"): SCALE_N mobile hosts (default
# 10000) registered at one home agent through two foreign agents, each of
# them the real mmlkeyd with the data plane attached as on the product bed
# (mmlctl ha attach / fa attach with the maps sized for N, the HA's
# mmlworker running); the mobiles are bench-scale-mip, a synthetic client
# in a namespace of its own with a wireless link to each FA, and
# bench-scale-ike-mh, N synthetic mobile hosts answering the HA's ML-IKE
# from that namespace (the HA's ike module names them by one template,
# keyd/ike/mh_tmpl.c; it distributes zone 1 to the real FAs' mmlkeyd).
# Then the per-packet cost with N entries against 1 (bench-scale-cost)
# and ML-IKE initialisations with the product engine alone in one process
# (bench-scale-ike). Root; about 2 minutes at N = 10000. Run under flock
# /tmp/mml-netns.lock.
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
	local rc=$?
	# A failed run says why: each daemon alive or not, its last lines.
	if [[ $rc -ne 0 && -d $dir ]]; then
		for k in "${!pid[@]}"; do
			kill -0 "${pid[$k]}" 2>/dev/null && echo "$k: running" || echo "$k: gone"
		done
		for n in ha fa1 fa2; do
			echo "--- $n: ike show, mip show"
			timeout 10 nsenter --net=/run/netns/$p-$n -- "$ctl_bin" -n $p-$n -j ike show |
				python3 -c 'import json,sys; s=json.load(sys.stdin); s.pop("mobiles",None); s.pop("zone1_active",None); print({k: v for k, v in s.items() if not isinstance(v, (list, dict))}, s["counters"])' || true
			timeout 10 nsenter --net=/run/netns/$p-$n -- "$ctl_bin" -n $p-$n -j mip show | head -c 1500 || true
			echo
		done
		[[ -s $dir/sampler.log ]] && { echo "--- CPU seconds every 2 s (ha fa1 fa2 worker ikemh)"; cat "$dir/sampler.log"; }
		for f in "$dir"/keyd-*.log "$dir"/worker-ha.log "$dir"/ike-mh.*; do
			[[ -s $f ]] && { echo "--- $f"; tail -15 "$f"; }
		done
	fi
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
# IKE between the HA and the mobiles takes a link of its own (a policy
# route for the HA's UDP 500 to the home prefix, and the mobiles' way
# back), not the reverse tunnel through an FA and the HA's worker: the
# bench measures the daemons' ML-IKE; the tunnel's per-packet cost is
# bench-scale-cost's.
link ha to-cl 10.102.0.1 cl ha0 10.102.0.2
x ha ip rule add pref 100 to 10.200.0.0/16 ipproto udp sport 500 lookup 100
x ha ip route add 10.200.0.0/16 via 10.102.0.2 table 100
x cl ip route add 10.100.0.0/24 via 10.102.0.1
x ha sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.to-cl.rp_filter=0
for i in 1 2; do x fa$i ip route add 10.100.0.0/24 via 10.100.$i.2; done
# The client holds every home address (10.200.0.0/16): one socket serves
# all the mobiles.
x cl ip route add local 10.200.0.0/16 dev lo
for n in cl fa1 fa2; do x $n sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0; done
for i in wl1 wl2 lo ha0; do x cl sysctl -qw net.ipv4.conf.$i.rp_filter=0; done

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
# ML-IKE: the HA's template for the mobiles' prefix with its master key
# (each mobile's PSK derived from it and ipv4:<home>), a PSK per FA; no
# liveness checks (the bench's mobiles answer only while it runs).
head -c 32 /dev/urandom >"$dir/mh-master.key"
for i in 1 2; do head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/fa$i.psk"; done
chmod 600 "$dir"/*.key "$dir"/*.psk
{
	echo "node = \"$p-ha\"; log_level = \"warn\";"
	cat "$dir/mobiles.conf"
	cat <<EOF
ike = { role = "ha"; local = "$HA"; dpd_s = 0; mobiles_max = $((N + 1024));
  peers = (
    { name = "mobiles"; mobiles = "10.200.0.0/16"; local_id = "fqdn:ha.bench";
      psk_master_file = "$dir/mh-master.key"; },
    { name = "fa1"; address = "${FA_COA[0]}"; local_id = "fqdn:ha.bench"; peer_id = "fqdn:fa1.bench";
      psk_file = "$dir/fa1.psk"; },
    { name = "fa2"; address = "${FA_COA[1]}"; local_id = "fqdn:ha.bench"; peer_id = "fqdn:fa2.bench";
      psk_file = "$dir/fa2.psk"; } ); };
EOF
} >"$dir/ha.conf"
for i in 1 2; do
	cat >"$dir/fa$i.conf" <<EOF
node = "$p-fa$i"; log_level = "warn";
mip = { role = "fa"; address = "${FA_WL[$((i - 1))]}"; care_of_address = "${FA_COA[$((i - 1))]}";
  interface = "wlan0"; max_lifetime = 600; max_visitors = $((N / 2 + 1024)); };
ike = { role = "fa"; local = "${FA_COA[$((i - 1))]}"; mobiles_max = $((N / 2 + 1024));
  peers = ( { name = "ha"; address = "$HA"; local_id = "fqdn:fa$i.bench"; peer_id = "fqdn:ha.bench";
    psk_file = "$dir/fa$i.psk"; } ); };
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
# CPU seconds (user + system) of a process so far.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' /proc/$1/stat; }
# ike NODE: the ike module's `ike show` as JSON
ike() { x $1 "$ctl_bin" -n $p-$1 -j ike show; }
ike_inits() { ike ha | python3 -c 'import json,sys; print(json.load(sys.stdin)["initialisations"])'; }

echo "== bench-scale: N=$N mobiles, HA + 2 FAs (mmlkeyd, XDP attached, HA worker), ML-IKE by template"
nsenter --net=/run/netns/$p-cl -- "$build/bench-scale-ike-mh" -n "$N" -a $HA \
	-k "$dir/mh-master.key" -i ha.bench >"$dir/ike-mh.out" 2>"$dir/ike-mh.err" &
pid[ikemh]=$!
for _ in $(seq 100); do grep -q ready "$dir/ike-mh.out" && break; sleep 0.05; done
# CPU seconds of each process every 2 s, shown if the run fails.
(while sleep 2; do
	echo "$(for k in ha fa1 fa2 worker ikemh; do cpu_s ${pid[$k]} 2>/dev/null; echo -n ' '; done) $(awk '{ print $3 }' /proc/${pid[ha]}/stat)"
done >"$dir/sampler.log" 2>/dev/null) &
pid[sampler]=$!
cpu0=$(cpu_s ${pid[ha]})
t0=$(date +%s.%N)
# Registration and ML-IKE at once, as in a deployment: each binding
# starts the HA's IKE SA with its mobile (MLIKE_AUTH_SA), and the CSAs'
# zone 1 goes to the serving FA (KEY_DISTRIBUTE).
x cl "$build/bench-scale-mip" -n "$N" -a $HA -f "${FA_WL[0]},${FA_WL[1]}" -w 64 -b |
	tee "$dir/mip.out"
t_reg=$(date +%s.%N)
inits=0
polls=0
for _ in $(seq 240); do
	inits=$(ike_inits)
	polls=$((polls + 1))
	[[ $inits -ge $N ]] && break
	sleep 0.5
done
t1=$(date +%s.%N)
cpu1=$(cpu_s ${pid[ha]})
# What the polling cost the HA (`ike show` lists every mobile): measured
# on 10 more, taken off its CPU time.
for _ in $(seq 10); do ike_inits >/dev/null; done
cpu2=$(cpu_s ${pid[ha]})
awk -v n="$N" -v i="$inits" -v a="$t0" -v r="$t_reg" -v b="$t1" -v c0="$cpu0" -v c1="$cpu1" \
	-v c2="$cpu2" -v polls="$polls" 'BEGIN {
	show = (c2 - c1) / 10; net = c1 - c0 - polls * show
	printf "ML-IKE through mmlkeyd: %d of %d mobiles initialised (registration + IKE_SA_INIT + IKE_AUTH + MLIKE_AUTH_SA + KEY_DISTRIBUTE to the FA) in %.2f s wall (registrations done at %.2f s; polled every 0.5 s): %.0f/s\n",
		i, n, b - a, r - a, i / (b - a)
	printf "HA mmlkeyd CPU (Mobile IP and ML-IKE) %.2f s, less %d polls of ike show at %.3f s = %.2f s: %.0f full initialisations per HA CPU second (target >= 1000)\n",
		c1 - c0, polls, show, net, (net > 0 ? i / net : 0) }'
sleep 1 # the worker reloads its tables on mml_gen
grep "^ike-mh" "$dir/ike-mh.out" | tail -1
nc=$(entries ha mml_csa)
nc1=$(entries fa1 mml_csa)
nc2=$(entries fa2 mml_csa)
echo "entries: HA mml_csa=$nc (expect $((2 * N))) FA1 mml_csa=$nc1 FA2 mml_csa=$nc2 (expect $N each: a pair per visitor)"
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
for n in ha fa1 fa2; do ike $n >"$dir/ike-$n.json"; done
python3 - "$N" "$dir" <<'EOF'
import json, sys
n, d = int(sys.argv[1]), sys.argv[2]
for node in ("ha", "fa1", "fa2"):
    s = json.load(open(f"{d}/ike-{node}.json"))
    c = s["counters"]
    keys = ["initialisations", "csas_installed", "csas_refused_full", "csas_refused_owner",
            "mobiles_in_use", "mobiles_full", "visitors_full", "distribute_swept"]
    print(f"ike {node}:", " ".join(f"{k}={s[k]}" for k in keys if k in s),
          " ".join(f"{k}={c[k]}" for k in ("auth_failed", "retransmits", "malformed",
                                           "unexpected", "no_proposal") if k in c))
EOF

echo "== per-packet cost with N entries against 1 (same run)"
"$build/bench-scale-cost" -n "$N"
echo "== ML-IKE initialisations at the HA (product engine, in process)"
"$build/bench-scale-ike" -n "$N"
