#!/usr/bin/env bash
# make bench-handoff: what a handoff costs with each key-handoff scheme (issue
# 16 "Measure"; the paper's Tables 2 and 3). Root, about 4 minutes, not part
# of make test.
#
# The test bed with four FAs in a line (tests/netns/bed.sh up --fas 4, cells
# of 10 Mbit/s, no emulated delay, BER 0) and the whole product on it
# (tests/ike/bed-lib.sh), once per scheme (HANDOFF=pkd, dkm, redistribute).
# A constant-rate UDP probe CN -> MH (bench/mip_probe.c, 2000 datagrams/s,
# ML-ESP between HA and MH) runs while the MH walks fa1 -> fa2 -> fa3 -> fa4
# -> fa3 -> ... (bed.sh handoff), $HANDOFFS handoffs (24), one every
# $STEP_S seconds (1.2). Per handoff, every time below is CLOCK_BOOTTIME
# taken by the product itself (one clock: the namespaces share the kernel):
#   registration  the MH's first Agent Solicitation -> its accepted
#                 Registration Reply (MH: mmlctl mip show, history)
#   key part      what keys add to the Mobile IP handoff, as the paper counts
#                 it: the new FA relaying the HA's accepted reply
#                 (mmlctl mip visitors: reply_relayed_ns) -> the MH's zone-1
#                 CSAs active there (mmlctl ike show: zone1_active[].active_ns;
#                 installed active by KEY_DISTRIBUTE or DKM, or activated
#                 by PKD while relaying); 0 when they were active first
#   total         registration + key part: solicitation -> the MH registered
#                 and its zone 1 verifiable at the new FA
#   first packet  the MH's link up (its mmlkeyd's netlink event) -> the first
#                 ML-ESP packet whose zone 1 the new FA's XDP verified
#                 (mml_visitor.first_mlesp_ns, mmlctl mip visitors)
#   gap           the longest pause of the probe's arrivals at the MH from
#                 this handoff to the next (gaps under 1.5 ms, three probe
#                 intervals, are not seen and count as 1.5), and the part
#                 of the handoff's own pause before the MH's link came up:
#                 the bed's link switch (bed.sh handoff takes the MH's link
#                 down, moves it to the new cell, brings it up), on which
#                 neither Mobile IP nor the keys have any say
# Message rows (Table 2), each the last of its kind per node, sampled after
# every initialisation and handoff (`mmlctl ike show` processing.*): as the
# paper counts it, the initiator's processing of the answer (response_us)
# and the responder's of the request, from its arrival to the answer sent
# (request_us), and their sum; beside them the exchange's round trip at the
# initiator, request first sent -> answer processed (round_trip_us), which
# holds both and the wire: KEY_DISTRIBUTE to a PKD neighbour, DKM_CSA_REQUEST
# (exchange 243) new FA -> previous FA, KEY_DISTRIBUTE to the new FA
# (redistribute), NEIGHBOR_NOTIFY (242) FA -> HA.
# Table 3 rows: the same walk for plain Mobile IP (tests/mip/mip-lib.sh,
# plaintext data plane) and for ESP mode keyed by IKE (the paper's "MIP with
# IPsec": a CHILD_SA MH <-> HA as an ESP CSA pair, tests/ike/esp-bed.sh;
# FAs forward it opaque, so their first packet is the probe's first arrival
# at the MH), and the initialisation of each: the MH's first solicitation ->
# its keys in place (MIP: the reply; ESP: the MH's ESP CSA installed;
# ML-IKE: the MH's CSA pair and FA1's zone 1 both active).
# The machine's load average is printed with the results: timings on a
# shared machine are noisy, read medians. The last line is
#   handoff: pkd key X ms total Y ms; dkm key X ms total Y ms; redistribute key X ms total Y ms
# (medians).
#
#   bench/handoff.sh [BUILD_DIR]   HANDOFFS=N STEP_S=S SCHEMES="pkd dkm ..."
#   BASELINES="mip esp" (either may be left out) INITS=N (5: initialisations
#   per run, the MH's daemon restarted between them) KEEP=DIR keeps the raw data
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-${BUILD:-$TOP/build}}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
N=${HANDOFFS:-24}
STEP_S=${STEP_S:-1.2}
SCHEMES=${SCHEMES:-pkd dkm redistribute}
BASELINES=${BASELINES-mip esp}
INITS=${INITS:-5}
. "$TOP/tests/ike/bed-lib.sh"
mip_can_run || { echo "bench-handoff: cannot run: $MIP_WHY"; exit 1; }
[[ $FA_ATTACH == mmlctl ]] || { echo "bench-handoff: needs mmlctl fa attach"; exit 1; }
[[ -x $BUILD/mip-probe ]] || { echo "bench-handoff: missing $BUILD/mip-probe"; exit 1; }
DATA=$(mktemp -d /tmp/bench-handoff.XXXXXX)
MIP_LIFETIME=600 MIP_LOG_LEVEL=info
WALK=(fa2 fa3 fa4 fa3 fa2 fa1)
PROBE_PORT=9100

finish() {
	mip_cleanup
	# Quietly: the benchmark's last line is the summary.
	[[ -z ${KEEP:-} ]] || { rm -rf "$KEEP" && cp -r "$DATA" "$KEEP"; }
	rm -rf "$DATA"
}
trap finish EXIT
trap 'exit 130' INT TERM

uptime_s() { awk '{print $1}' /proc/uptime; } # CLOCK_BOOTTIME, 10 ms steps

# Between two runs: the previous bed and its daemons gone.
reset_bed() {
	mip_cleanup
	PIDS=() KEYD_PID=() PREFIX='' TMP=''
}

# One node's state after handoff K: DIR/snap/K-NODE-MODULE.json ("null" when
# the node did not answer).
snap() { # DIR K NODE MODULE VERB
	local f=$1/snap/$2-$3-$4.json
	ctl "$3" -j "$4" "$5" >"$f" 2>/dev/null || echo null >"$f"
}

# The MH's CSAs as the data plane holds them: "spi format add_time_ns".
csa_times() {
	bpftool -j map dump pinned "/sys/fs/bpf/mmlipsec/$PREFIX-$1/mml_csa" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
for e in d if isinstance(d, list) else []:
    v = e.get("formatted", e)["value"]
    print(v["spi"], v["format"], v["add_time_ns"])'
}

# walk DIR KIND: the probe and N handoffs; KIND ike (snapshots of every node's
# ike show and the new FA's visitors) or plain (MH history and probe only).
# The probe runs until the walk is over (snapshots take their time too).
walk() {
	local dir=$1 kind=$2 at=fa1 to i n send recv pid keep=()
	mkdir -p "$dir/snap"
	nsenter --net="/run/netns/$PREFIX-mh" -- "$BUILD/mip-probe" recv -p $PROBE_PORT -t 600 \
		-g 1500 >"$dir/probe.out" 2>&1 &
	recv=$!
	sleep 0.2
	nsenter --net="/run/netns/$PREFIX-cn" -- "$BUILD/mip-probe" send -c $HOME_ADDR \
		-p $PROBE_PORT -r 2000 -t 600 >/dev/null 2>&1 &
	send=$!
	PIDS+=("$send" "$recv")
	sleep 1.5
	for ((i = 0; i < N; i++)); do
		to=${WALK[i % ${#WALK[@]}]}
		echo "$i $at $to $(uptime_s)" >>"$dir/walk"
		"$BED" -p "$PREFIX" handoff "$to" >>"$dir/handoff.log" 2>&1
		sleep "$STEP_S"
		if [[ $kind == ike ]]; then
			snap "$dir" "$i" "$to" mip visitors
			for n in ha "${FA_NODES[@]}"; do snap "$dir" "$i" "$n" ike show; done
		fi
		at=$to
	done
	kill "$send" "$recv" 2>/dev/null
	wait "$send" "$recv" 2>/dev/null
	# Reaped: not for mip_cleanup to kill (the pids may be reused).
	for pid in "${PIDS[@]}"; do [[ $pid == "$send" || $pid == "$recv" ]] || keep+=("$pid"); done
	PIDS=("${keep[@]}")
	ctl mh -j mip show >"$dir/mh.json"
}

# init_snap DIR K: what initialisation K through FA1 left.
init_snap() {
	local f=$1/init/$2
	ctl mh -j mip show >"$f-mh.json"
	csa_times mh >"$f-mh-csa"
	ctl fa1 -j ike show >"$f-fa1-ike.json" 2>/dev/null || echo null >"$f-fa1-ike.json"
	ctl ha -j ike show >"$f-ha-ike.json" 2>/dev/null || echo null >"$f-ha-ike.json"
}

# mh_ready KIND K: the MH's keys in place through FA1 after its daemon's
# start K (0 ...): registered (mip), its ESP CSA pair (esp), or the HA's
# initialisation K done and the MH holding its ML-ESP pair.
mh_ready() {
	case $1 in
	mip) wait_registered $FA1_WL 5 ;;
	esp)
		for _ in $(seq 100); do
			[[ $(csa_times mh | awk '$2 == 2' | wc -l) -eq 2 ]] && return 0
			sleep 0.05
		done
		return 1
		;;
	*) wait_init $(($2 + 1)) ;;
	esac
}

# inits DIR KIND: INITS initialisations through FA1, the MH's daemon stopped
# (after deregistering) and started again between them, then the walk's
# starting state (the neighbour lists reach the HA as FA IKE SAs come up).
inits() {
	local dir=$1 kind=$2 k
	mkdir -p "$dir/init"
	for ((k = 0; k < INITS; k++)); do
		if ((k > 0)); then
			ike_mh_stop
			[[ $kind == mip ]] || ike_wait_gone || { echo "bench-handoff: keys left after deregistration"; return 1; }
			keyd_start mh || return 1
		fi
		mh_ready "$kind" "$k" || { echo "bench-handoff: $kind: initialisation $k through FA1 incomplete"; return 1; }
		sleep 0.2
		init_snap "$dir" "$k"
	done
	sleep 1
}

run_scheme() { # SCHEME
	local dir=$DATA/$1 n
	mkdir -p "$dir"
	HANDOFF=$1
	ike_setup --fas 4 --rate 10000 || { cat "$TMP"/*.log; return 1; }
	ike_mh_start || return 1
	inits "$dir" "$1" || return 1
	walk "$dir" ike
	for n in ha "${FA_NODES[@]}"; do ctl "$n" -j ike show >"$dir/$n-ike-end.json" 2>/dev/null; done
	reset_bed
}

run_mip() {
	local dir=$DATA/mip
	mkdir -p "$dir"
	mip_setup --fas 4 --rate 10000 || { cat "$TMP"/*.log; return 1; }
	inits "$dir" mip || return 1
	walk "$dir" plain
	reset_bed
}

run_esp() {
	local dir=$DATA/esp
	mkdir -p "$dir"
	unset HANDOFF
	IKE_HA_MH_EXTRA="child = true; esp = \"aes256gcm16\"; local_ts = \"0.0.0.0/0\";
    remote_ts = \"$HOME_ADDR/32\";"
	IKE_MH_HA_EXTRA="child = true; esp = \"aes256gcm16\"; local_ts = \"$HOME_ADDR/32\";
    remote_ts = \"0.0.0.0/0\";"
	ike_setup --fas 4 --rate 10000 || { cat "$TMP"/*.log; return 1; }
	ctl ha flow add mode esp >/dev/null || return 1
	ctl mh flow add mode esp >/dev/null || return 1
	ike_mh_start || return 1
	inits "$dir" esp || return 1
	walk "$dir" plain
	unset IKE_HA_MH_EXTRA IKE_MH_HA_EXTRA
	reset_bed
}

echo "bench-handoff: 4 FAs in a line, 10 Mbit/s cells, no emulated delay; $N handoffs" \
	"every $STEP_S s per run; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
[[ -z ${KEEP:-} ]] || echo "bench-handoff: the raw data will be kept in $KEEP"
for s in $SCHEMES; do
	t0=$SECONDS
	run_scheme "$s" || { echo "bench-handoff: the $s run failed"; exit 1; }
	echo "bench-handoff: $s done in $((SECONDS - t0)) s (load $(cut -d' ' -f1 /proc/loadavg))"
done
for b in $BASELINES; do
	t0=$SECONDS
	"run_$b" || { echo "bench-handoff: the $b run failed"; exit 1; }
	echo "bench-handoff: baseline $b done in $((SECONDS - t0)) s (load $(cut -d' ' -f1 /proc/loadavg))"
done
echo "bench-handoff: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086 # one argument per scheme
python3 "$TOP/bench/handoff_report.py" "$DATA" "$N" $SCHEMES
