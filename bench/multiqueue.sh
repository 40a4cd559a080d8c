#!/usr/bin/env bash
# make bench-multiqueue (issue 20, multi-core): ML-ESP TCP throughput
# CN <-> MH with the HA's and the MH's workers on 1 queue and on 2 queues,
# in one run, alternating (ROUNDS rounds of 1q then 2q, default 2), FLOWS
# parallel TCP connections each way (iperf3 pairs, default 8), DUR seconds
# each (default 15). Then the ratio 2q/1q, the workers' CPU per packet,
# what each queue and each worker thread carried, where the machine's CPU
# went, and (on a quiet machine only) the verdict on the target >= 1.6x.
#
# The bed is its own, not tests/netns/bed.sh: that bed's delay line (an
# AF_XDP program on the wan node) and its air node are single-queue. Here
# four namespaces CN - HA - FA - MH are joined directly by veth pairs with
# Q TX and Q RX queues each; the HA and the MH run the product's XDP
# programs and a worker with --queues Q, the FA its zone-1 XDP program.
# How traffic spreads over the queues (docs/operations.md "Multi-core"):
#   CN -> HA     CN's stack picks a TX queue per connection (a random hash:
#                the split of FLOWS connections varies between runs; no
#                act_skbedit or mqprio in this kernel to pin it); the HA's eth0
#                receives on the same queue index, its XDP program hands
#                the frame to that queue's socket, that queue's thread
#   HA -> FA     the thread's socket sends on its own queue (copy mode),
#                the FA receives on that index
#   FA -> MH     XDP_REDIRECT into a veth picks the peer's RX queue by the
#                CPU that runs the redirect (smp_processor_id() % queues)
#   MH -> CN     the stack picks the TUN device's queue (and so the thread)
#                by flow; the rest mirrors the above
# Root; about 1 + ROUNDS * 2 * (2 * DUR + 15) seconds. Run it under
# flock /tmp/mml-netns.lock. BENCH_KEEP=1 keeps the logs; REPLAY_WINDOW=N
# gives the ML-ESP SAs that replay window (default: the CSA default, 1024);
# QUEUES="2" runs only the 2-queue bed (no ratio), WORKER_QUEUES=N starts
# the workers with N threads whatever the links have (the suite's check).
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-${BUILD:-$TOP/build}}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
CTL=$BUILD/mmlctl # tests/lib/node.sh: ctl
DUR=${DUR:-15}
FLOWS=${FLOWS:-8}
ROUNDS=${ROUNDS:-2}
QUEUES=${QUEUES:-1 2}

SUITE=bench-multiqueue
. "$TOP/tests/lib/check.sh" # die
[[ $(id -u) -eq 0 ]] || die "needs root"
for exe in mmlworker mmlctl bench-wstats-rows; do
	[[ -x $BUILD/$exe ]] || die "no $BUILD/$exe (make build $BUILD/bench-wstats-rows)"
done
command -v iperf3 >/dev/null || die "no iperf3"

# make_keys, mode; x, ctl, bg, counter (tests/lib/node.sh).
. "$TOP/tests/ep/common.sh"
TMP=$(mktemp -d /tmp/bench-multiqueue.XXXXXX)
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
NETNS0=$(ip netns list | wc -l)
NODES=(cn ha fa1 mh)
PIDS=()
PREFIX=
declare -A RES

bed_down() {
	local pid n
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	sleep 0.3
	for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	PIDS=()
	[[ -n $PREFIX ]] || return 0
	for n in "${NODES[@]}"; do
		ip netns del "$PREFIX-$n" 2>/dev/null
		rm -rf "/sys/fs/bpf/mmlipsec/$PREFIX-$n"
	done
	PREFIX=
}

cleanup() {
	bed_down
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "$SUITE: logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wire Q NODE1 IF1 NODE2 IF2: a veth pair with Q queues each way, no
# checksum offload, GSO or GRO (the workers read raw frames, as on the bed).
wire() {
	local q=$1 dev
	ip link add name "$3" netns "$PREFIX-$2" numtxqueues "$q" numrxqueues "$q" type veth \
		peer name "$5" netns "$PREFIX-$4" numtxqueues "$q" numrxqueues "$q" || return 1
	for dev in "$2 $3" "$4 $5"; do
		set -- $dev
		ip -n "$PREFIX-$1" link set "$2" up
		x "$1" ethtool -K "$2" tx off gso off gro off >/dev/null 2>&1
	done
}

# The SAs of tests/ep/common.sh (ML-ESP 0x1000 down / 0x2000 up, ESP
# 0x1100 / 0x2100), the ML-ESP ones with REPLAY_WINDOW if set.
mq_keys() { # NODE DOWN-DIR UP-DIR
	local w=${REPLAY_WINDOW:+replay-window $REPLAY_WINDOW}
	# shellcheck disable=SC2086 # w: none or two words
	ctl "$1" csa add spi 0x1000 format mlesp dir "$2" keys "$TMP/ml-down" alg aes256gcm $w &&
		ctl "$1" csa add spi 0x2000 format mlesp dir "$3" keys "$TMP/ml-up" alg aes256gcm $w &&
		ctl "$1" csa add spi 0x1100 format esp dir "$2" keys "$TMP/esp-down" alg aes256gcm &&
		ctl "$1" csa add spi 0x2100 format esp dir "$3" keys "$TMP/esp-up" alg aes256gcm
}

# bed_up Q: the four nodes and their links, addresses as on the test bed
# (tests/ep/common.sh), the endpoints with keys, ML-ESP for every flow.
bed_up() {
	local q=$1 n mh_mac
	PREFIX=mmq$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	for n in "${NODES[@]}"; do
		ip netns add "$PREFIX-$n" || return 1
		ip -n "$PREFIX-$n" link set lo up
		x "$n" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	done
	wire "$q" cn eth0 ha eth0 && wire "$q" ha to-fa1 fa1 eth0 && wire "$q" fa1 wlan0 mh wlan0 ||
		return 1
	ip -n "$PREFIX-cn" addr add $CN_ADDR/24 dev eth0
	ip -n "$PREFIX-cn" route add default via 10.0.1.254
	ip -n "$PREFIX-ha" addr add 10.0.1.254/24 dev eth0
	ip -n "$PREFIX-ha" addr add $HA_ADDR/32 dev lo
	ip -n "$PREFIX-ha" addr add 10.0.2.1/24 dev to-fa1
	ip -n "$PREFIX-ha" route add 10.2.1.0/24 via $COA
	ip -n "$PREFIX-fa1" addr add $COA/24 dev eth0
	ip -n "$PREFIX-fa1" addr add $FA_WL/24 dev wlan0
	ip -n "$PREFIX-fa1" route add default via 10.0.2.1
	x ha sysctl -q -w net.ipv4.ip_forward=1
	x fa1 sysctl -q -w net.ipv4.ip_forward=1
	make_keys

	ctl ha ha attach addr $HA_ADDR cn eth0 fa to-fa1 || return 1
	mq_keys ha out in || return 1
	ctl ha binding add home $HOME_ADDR ha $HA_ADDR coa $COA mlesp-out 0x1000 mlesp-in 0x2000 \
		esp-out 0x1100 esp-in 0x2100 || return 1
	bg ha "$BUILD/mmlworker" --role ha --node "$PREFIX-ha" --port eth0 --port to-fa1 \
		--tun mml0 --queues "${WORKER_QUEUES:-$q}" >"$TMP/ha-$q.log" 2>&1
	ctl mh mh attach home $HOME_ADDR dev wlan0 || return 1
	mq_keys mh in out || return 1
	ctl mh binding add home $HOME_ADDR ha $HA_ADDR coa $FA_WL mlesp-out 0x2000 mlesp-in 0x1000 \
		esp-out 0x2100 esp-in 0x1100 || return 1
	bg mh "$BUILD/mmlworker" --role mh --node "$PREFIX-mh" --port wlan0 --tun mml0 \
		--home $HOME_ADDR --queues "${WORKER_QUEUES:-$q}" >"$TMP/mh-$q.log" 2>&1
	ctl fa1 fa attach coa $COA wired eth0 wireless wlan0 local $FA_WL || return 1
	mh_mac=$(ip -n "$PREFIX-mh" -o link show wlan0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	ctl fa1 visitor add home $HOME_ADDR ha $HA_ADDR dev wlan0 mac "$mh_mac" || return 1
	ctl fa1 csa add spi 0x1000 format mlesp dir fwd keys "$TMP/ml-down-z1" || return 1
	ctl fa1 csa add spi 0x2000 format mlesp dir fwd keys "$TMP/ml-up-z1" || return 1
	sleep 0.5
	ip -n "$PREFIX-mh" route replace $FA_WL/32 dev wlan0 scope link || return 1
	ip -n "$PREFIX-mh" route replace default dev mml0 || return 1
	mode mlesp || return 1
	# The first packets resolve the next hops; the transfers say whether
	# the tunnel works.
	x cn ping -q -c 3 -i 0.2 -W 1 $HOME_ADDR >/dev/null 2>&1
	x cn ping -q -c 3 -i 0.2 -W 1 $HOME_ADDR >/dev/null 2>&1
	return 0
}

worker_pid() { # NODE
	ip netns pids "$PREFIX-$1" | while read -r p; do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == mmlworker ]] && echo "$p"
	done | head -1
}

# CPU ticks of every process (user + system, threads included) and the
# machine's /proc/stat line, into FILE: diffed by cpu_report.
cpu_snap() {
	{
		head -1 /proc/stat
		for f in /proc/[0-9]*/stat; do cat "$f" 2>/dev/null; echo; done
	} >"$1"
}

# cpu_report BEFORE AFTER: the machine's busy share over the interval and
# the processes that used most of it (by command name, all pids summed).
cpu_report() {
	python3 - "$1" "$2" "$(getconf CLK_TCK)" <<'EOF'
import sys
def load(path):
    lines = open(path).read().split("\n")
    cpu = [int(v) for v in lines[0].split()[1:]]
    procs = {}
    for l in lines[1:]:
        if not l.strip():
            continue
        r = l.rindex(")")
        pid, comm = l[:r].split(" (", 1)
        f = l[r + 2:].split()
        procs[pid] = (comm, int(f[11]) + int(f[12]))
    return cpu, procs
c0, p0 = load(sys.argv[1])
c1, p1 = load(sys.argv[2])
hz = int(sys.argv[3])
d = [b - a for a, b in zip(c0, c1)]
total = sum(d[:8]) or 1
# user nice system idle iowait irq softirq steal
print("    machine: %.0f%% busy of 2 CPUs (user %.0f%%, system %.0f%%, softirq %.0f%%, idle %.0f%%)"
      % (100.0 * (total - d[3] - d[4]) / total, 100.0 * (d[0] + d[1]) / total,
         100.0 * d[2] / total, 100.0 * d[6] / total, 100.0 * d[3] / total))
by = {}
for pid, (comm, t) in p1.items():
    t0 = p0.get(pid, (comm, 0))[1]
    if t > t0:
        by[comm] = by.get(comm, 0) + t - t0
secs = total / hz / 2  # wall seconds (2 CPUs)
top = sorted(by.items(), key=lambda kv: -kv[1])[:8]
top += [(c, by.get(c, 0)) for c in ("iperf3",) if c not in dict(top)]
print("    processes (% of one CPU): " + ", ".join("%s %.0f%%" % (c, 100.0 * t / hz / secs) for c, t in top))
EOF
}

# Packets per RX queue of a veth, from its per-queue XDP counters.
queue_pkts() { # NODE DEV
	x "$1" ethtool -S "$2" 2>/dev/null | awk -F: '/rx_queue_[0-9]+_xdp_packets/ {
		gsub(/ /, "", $1); gsub(/ /, "", $2); sub(/rx_queue_/, "q", $1); sub(/_xdp_packets/, "", $1)
		printf "%s%s=%s", sep, $1, $2; sep = " " }'
}

# Counters summed over both workers' threads: packets they protected or
# opened in ML-ESP.
worker_pkts() { # NODE
	echo $(($(counter "$1" ep_encap_mlesp) + $(counter "$1" ep_deliver_mlesp)))
}

# CPU ticks of each thread of a node's worker, by thread id (the main
# thread, which only waits, then the queues' threads in order).
thread_ticks() { # NODE
	local t
	for t in /proc/"$(worker_pid "$1")"/task/*; do
		awk -v t="${t##*/}" '{print t, $14 + $15}' "$t/stat" 2>/dev/null
	done | sort -n
}
thread_pct() { # NODE: over the interval of th-NODE0 .. th-NODE1
	join "$TMP/th-${1}0" "$TMP/th-${1}1" | awk -v hz="$(getconf CLK_TCK)" -v d="$span" \
		'{ printf "%s%.0f%%", sep, 100 * ($3 - $2) / hz / d; sep = " " }'
}

# run Q ROUND: one bed, both directions, the figures into RES[Q.ROUND.*].
run() {
	local q=$1 r=$2 dir flag i srvs clis t_start t0 t1 span k h0 h1 m0 m1 hp0 hp1 mp0 mp1
	bed_up "$q" >"$TMP/setup-$q-$r.log" 2>&1 || {
		cat "$TMP/setup-$q-$r.log" "$TMP"/*-"$q".log
		die "bed with $q queue(s) did not come up"
	}
	k=$q.$r
	for dir in down up; do
		flag=$([[ $dir == up ]] && echo -R)
		# FLOWS connections, each its own iperf3 pair on port 5201 + i (so
		# that each connection's queue is known, below).
		srvs=() clis=()
		for ((i = 1; i <= FLOWS; i++)); do
			x mh iperf3 -s -1 -p $((5200 + i)) >/dev/null 2>&1 &
			srvs+=($!)
		done
		sleep 0.5
		for ((i = 1; i <= FLOWS; i++)); do
			x cn timeout $((DUR + 20)) iperf3 -c $HOME_ADDR -p $((5200 + i)) -t "$DUR" $flag -J \
				>"$TMP/iperf-$i.json" 2>/dev/null &
			clis+=($!)
		done
		# The CPU figures over the middle of the transfer, while every
		# process of it (iperf3 too) still runs.
		t_start=$(date +%s.%N)
		sleep 1
		cpu_snap "$TMP/cpu0"
		thread_ticks ha >"$TMP/th-ha0"
		thread_ticks mh >"$TMP/th-mh0"
		t0=$(date +%s.%N)
		h0=$(worker_ticks ha) m0=$(worker_ticks mh) hp0=$(worker_pkts ha) mp0=$(worker_pkts mh)
		sleep "$(awk -v s="$t_start" -v n="$(date +%s.%N)" -v d="$DUR" 'BEGIN { w = s + d - 2 - n; print (w > 0 ? w : 0) }')"
		h1=$(worker_ticks ha) m1=$(worker_ticks mh) hp1=$(worker_pkts ha) mp1=$(worker_pkts mh)
		t1=$(date +%s.%N)
		thread_ticks ha >"$TMP/th-ha1"
		thread_ticks mh >"$TMP/th-mh1"
		cpu_snap "$TMP/cpu1"
		# Seconds between the two samples of the worker figures.
		span=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		wait "${clis[@]}"
		kill "${srvs[@]}" 2>/dev/null
		wait "${srvs[@]}" 2>/dev/null
		RES[$k.$dir]=$(python3 -c '
import json,sys
t=0
for f in sys.argv[1:]:
    try: t += json.load(open(f))["end"]["sum_received"]["bits_per_second"]
    except Exception: pass
print("%.1f" % (t / 1e6))' "$TMP"/iperf-*.json)
		RES[$k.$dir.retr]=$(python3 -c '
import json,sys
t=0
for f in sys.argv[1:]:
    try: t += json.load(open(f))["end"]["sum_sent"]["retransmits"]
    except Exception: pass
print(t)' "$TMP"/iperf-*.json)
		rm -f "$TMP"/iperf-*.json
		# ns of worker CPU per packet it handled (HA + MH, both counted).
		RES[$k.$dir.ha_ns]=$(awk -v c=$((h1 - h0)) -v p=$((hp1 - hp0)) -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.0f", c / hz * 1e9 / (p ? p : 1) }')
		RES[$k.$dir.mh_ns]=$(awk -v c=$((m1 - m0)) -v p=$((mp1 - mp0)) -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.0f", c / hz * 1e9 / (p ? p : 1) }')
		RES[$k.$dir.ha_cpu]=$(awk -v c=$((h1 - h0)) -v hz="$(getconf CLK_TCK)" -v d="$span" \
			'BEGIN { printf "%.0f", 100 * c / hz / d }')
		RES[$k.$dir.mh_cpu]=$(awk -v c=$((m1 - m0)) -v hz="$(getconf CLK_TCK)" -v d="$span" \
			'BEGIN { printf "%.0f", 100 * c / hz / d }')
		printf '  %dq round %d %-6s %8s Mbit/s  (%s retransmits; workers HA %s%% MH %s%% of a CPU, %s / %s ns/packet)\n' \
			"$q" "$r" "$([[ $dir == down ]] && echo CN-\>MH || echo MH-\>CN)" "${RES[$k.$dir]}" \
			"${RES[$k.$dir.retr]}" "${RES[$k.$dir.ha_cpu]}" "${RES[$k.$dir.mh_cpu]}" \
			"${RES[$k.$dir.ha_ns]}" "${RES[$k.$dir.mh_ns]}"
		cpu_report "$TMP/cpu0" "$TMP/cpu1" >"$TMP/cpu-$k.$dir"
		cat "$TMP/cpu-$k.$dir"
		echo "    worker threads (% of one CPU, the main thread first): HA $(thread_pct ha) MH $(thread_pct mh)"
	done
	# What each queue and each worker thread carried (both directions).
	echo "    RX queues (XDP packets): HA eth0 [$(queue_pkts ha eth0)] HA to-fa1 [$(queue_pkts ha to-fa1)] MH wlan0 [$(queue_pkts mh wlan0)]"
	"$BUILD/bench-wstats-rows" "/sys/fs/bpf/mmlipsec/$PREFIX-ha" ep_encap_mlesp ep_deliver_mlesp \
		ep_drop_replay |
		sed 's/^/    HA worker /'
	"$BUILD/bench-wstats-rows" "/sys/fs/bpf/mmlipsec/$PREFIX-mh" ep_encap_mlesp ep_deliver_mlesp \
		ep_drop_replay | sed 's/^/    MH worker /'
	echo "    ep_xdp_no_worker: HA $(counter ha ep_xdp_no_worker) MH $(counter mh ep_xdp_no_worker)"
	bed_down
}

echo "$SUITE: ML-ESP (replay window ${REPLAY_WINDOW:-default}), $FLOWS iperf3 connections, $DUR s per direction, $ROUNDS round(s) of 1 queue then 2 queues"
for ((r = 1; r <= ROUNDS; r++)); do
	for q in $QUEUES; do run "$q" "$r"; done
done
# QUEUES other than "1 2" (tests/ep/ep-multiqueue.sh): the runs alone.
[[ $QUEUES == "1 2" ]] || exit 0

# ---------------------------------------------------------------- report

mean() { # Q DIR [FIELD]: over the rounds
	local q=$1 d=$2 f=${3:+.$3} r s=0
	for ((r = 1; r <= ROUNDS; r++)); do s=$(awk -v a="$s" -v b="${RES[$q.$r.$d$f]}" 'BEGIN { print a + b }'); done
	awk -v s="$s" -v n="$ROUNDS" 'BEGIN { printf "%.1f", s / n }'
}
ratio() { awk "BEGIN { if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"-\" }"; }
echo
echo "ML-ESP throughput, $FLOWS iperf3 connections, mean of $ROUNDS round(s), Mbit/s"
printf '%-8s %10s %10s\n' "" "CN->MH" "MH->CN"
for q in 1 2; do printf '%-8s %10s %10s\n' "${q} queue" "$(mean $q down)" "$(mean $q up)"; done
down=$(ratio "$(mean 2 down)" "$(mean 1 down)") up=$(ratio "$(mean 2 up)" "$(mean 1 up)")
printf '%-8s %10s %10s\n' "2q/1q" "$down" "$up"
echo "Worker CPU per ML-ESP packet it handled (ns, mean; HA / MH):"
for q in 1 2; do
	printf '  %d queue: CN->MH %s / %s, MH->CN %s / %s\n' "$q" "$(mean $q down ha_ns)" \
		"$(mean $q down mh_ns)" "$(mean $q up ha_ns)" "$(mean $q up mh_ns)"
done
load1=$(cut -d' ' -f1 /proc/loadavg)
echo "Machine: $(nproc) CPUs, load average $LOAD0 at the start, $load1 at the end; $NETNS0 network namespaces up before the bench"
if awk -v l="$LOAD0" 'BEGIN { exit !(l < 0.7) }' && [[ $NETNS0 -eq 0 ]]; then
	for d in down up; do
		r=$([[ $d == down ]] && echo "$down" || echo "$up")
		printf '  target 2q/1q >= 1.6, %s: %s (%s)\n' "$([[ $d == down ]] && echo CN-\>MH || echo MH-\>CN)" \
			"$r" "$(awk -v r="$r" 'BEGIN { print (r != "-" && r >= 1.6) ? "met" : "NOT met" }')"
	done
else
	echo "  No verdict on the 1.6x target: the machine was busy (load $LOAD0 or other namespaces up)"
fi
exit 0
