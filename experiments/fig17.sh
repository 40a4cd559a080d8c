#!/usr/bin/env bash
# The paper's Figs. 17 and 18 (its §5.5, issue 19): dynamic MML-IPsec, only
# every i-th packet of a flow protected (ML-ESP), the others in plaintext;
# throughput and overhead against ESP for each interval i.
#
#   experiments/fig17.sh [--quick] [--runs N] [--bytes N] [--fast-bytes N]
#                        [--points "esp 1 2 ... plain"] [--links paper,fast]
#                        [--out DIR] [--report-only]
#
# Two links, each on its own bed, taken down before the next comes up:
#   paper  2 Mbit/s, 100 ms WAN delay each way, the paper's TCP (bed profile
#          paper: Reno without SACK, 64 KB sender buffer; timestamps off at
#          the CN, as fig14.sh), a CN -> MH file of --bytes (default 4 MiB)
#   fast   no rate limit (10 Gbit/s htb, queue 1000), no delay, bed profile
#          modern, --fast-bytes (default 256 MiB): the overhead is CPU, read
#          as the HA and MH workers' utime+stime (/proc/PID/stat) and the
#          FA's XDP run time (kernel.bpf_stats_enabled) per MB delivered
# Points: esp (every packet ESP, the reference), i = 1 2 3 5 10 20
# (`mmlctl flow add mode mlesp every i` at both ends) and plain ("never").
# A round measures every point once, ESP first; --runs rounds (default 3),
# so each point's ratio to ESP is taken within its round and reported as
# the median and range over rounds. --quick: 2 rounds, points esp 1 10
# plain, 2 MiB and 128 MiB (QUICK=1 in make exp-fig17).
#
# Each link's bed holds /tmp/mml-netns.lock while it is up (do not wrap the
# script in flock). Writes OUT/results.csv (one line per transfer),
# OUT/table.md (experiments/fig17_report.py), OUT/fig17.png, OUT/fig18.png.
set -uo pipefail
EXP_DIR=$(cd "$(dirname "$0")" && pwd)
source "$EXP_DIR/../tests/lib/bed.sh"
source "$EXP_DIR/../tests/lib/node.sh" # worker_ticks
need_root

QUICK=${QUICK:-0} RUNS="" BYTES="" FAST_BYTES="" POINTS="" LINKS=paper,fast OUT="" REPORT_ONLY=0
MH=10.1.0.10
LOCK=/tmp/mml-netns.lock

usage() {
	sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}
while [[ $# -gt 0 ]]; do
	[[ $1 == --quick ]] && { QUICK=1; shift; continue; }
	[[ $1 == --report-only ]] && { REPORT_ONLY=1; shift; continue; }
	[[ $# -ge 2 ]] || usage
	case $1 in
	--runs) RUNS=$2 ;;
	--bytes) BYTES=$2 ;;
	--fast-bytes) FAST_BYTES=$2 ;;
	--points) POINTS=$2 ;;
	--links) LINKS=$2 ;;
	--out) OUT=$2 ;;
	*) usage ;;
	esac
	shift 2
done
if [[ $QUICK == 1 ]]; then
	: "${RUNS:=2}" "${BYTES:=2097152}" "${FAST_BYTES:=134217728}" "${POINTS:=esp 1 10 plain}"
else
	: "${RUNS:=3}" "${BYTES:=4194304}" "${FAST_BYTES:=268435456}" "${POINTS:=esp 1 2 3 5 10 20 plain}"
fi
for p in $POINTS; do
	[[ $p =~ ^(esp|plain|[1-9][0-9]*)$ ]] || { echo "fig17: point \"$p\": expected esp, plain or a number" >&2; exit 2; }
done
[[ " $POINTS " == *" esp "* ]] || { echo "fig17: the points must include esp (the reference)" >&2; exit 2; }
IFS=, read -r -a LINK_LIST <<<"$LINKS"
for l in "${LINK_LIST[@]}"; do
	[[ $l =~ ^(paper|fast)$ ]] || { echo "fig17: link \"$l\": expected paper or fast" >&2; exit 2; }
done
OUT=${OUT:-$EXP_DIR/out/fig17-$([[ $QUICK == 1 ]] && echo quick || echo full)-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
CSV=$OUT/results.csv

progress() { echo "[fig17 $(date +%H:%M:%S)] $*"; }

# NODE NAME...: the data-plane counters NAME... of NODE, one line.
counters() {
	local node=$1
	shift
	ctl "$node" -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(str(d.get(n, 0)) for n in sys.argv[1:]))' "$@"
}

# run_time_ns run_cnt of the XDP programs attached in FA1 (both interfaces):
# only this bed's programs, whatever else the machine runs.
fa_bpf() {
	local ids id t=0 c=0 a b
	ids=$(ip -n "$PREFIX-fa1" -d link show | grep -o 'prog/xdp id [0-9]*' | awk '{ print $3 }' | sort -u)
	for id in $ids; do
		read -r a b < <(bpftool -j prog show id "$id" |
			python3 -c 'import json, sys; p = json.load(sys.stdin); print(p.get("run_time_ns", 0), p.get("run_cnt", 0))')
		t=$((t + a)) c=$((c + b))
	done
	echo "$t $c"
}

# "passed_frames=.. passed_bits=.. lost_frames=.. lost_bits=.." -> "frames bits"
# (%.0f: the bits pass 2^31 without a rate limit, past mawk's %d and %g)
air() { bed stats fa1 "$1" | tr ' ' '\n' | sed 's/.*=//' | xargs | awk '{ printf "%.0f %.0f\n", $1 + $3, $2 + $4 }'; }

# The same flow entry (the default key) at both ends, for a point.
set_point() {
	local args
	case $1 in
	esp) args=(mode esp) ;;
	plain) args=(mode plain) ;;
	*) args=(mode mlesp every "$1") ;;
	esac
	ctl ha flow add "${args[@]}" >/dev/null && ctl mh flow add "${args[@]}" >/dev/null
}

# NODE FILE NAME: a TCP counter of the node's stack (/proc/net/snmp "Tcp:",
# /proc/net/netstat "TcpExt:"; a header line, then the values).
tcp_stat() {
	x "$1" cat "/proc/net/$2" | awk -v n="$3" '$1 ~ /^Tcp/ {
		if (!($1 in seen)) { seen[$1] = 1; for (i = 2; i <= NF; i++) if ($i == n) c[$1] = i; next }
		if ($1 in c) { print $(c[$1]); exit } }'
}

EP_COUNTERS=(ep_encap_plain ep_encap_esp ep_encap_mlesp)
FA_COUNTERS=(fwd_mlesp fwd_plain fwd_esp)
snapshot() { # -> one line of every value measured around a transfer
	echo "$(air down) $(air up) $(worker_ticks ha) $(worker_ticks mh)" \
		"$(counters ha "${EP_COUNTERS[@]}") $(counters mh "${EP_COUNTERS[@]}")" \
		"$(counters fa1 "${FA_COUNTERS[@]}") $(fa_bpf)" \
		"$(tcp_stat mh netstat TCPOFOQueue) $(tcp_stat cn snmp RetransSegs)"
}

# One transfer of a point; appends a CSV line.
run_one() {
	local link=$1 round=$2 point=$3 port=$4 bytes=$5 rx sent a b d ok bps secs i load
	set_point "$point" || { progress "$link $point: flow add failed"; return 1; }
	sleep 0.5
	read -r -a a <<<"$(snapshot)"
	rx=$(mktemp)
	bg_on mh "$BUILD/mml-xfer" recv -p "$port" -t 60 >"$rx"
	sent=$(on cn "$BUILD/mml-xfer" send -c $MH -p "$port" -n "$bytes" -s "$port" -R 5 -t 60 | field sha256)
	wait "${BG_PIDS[-1]}"
	BG_PIDS=()
	read -r -a b <<<"$(snapshot)"
	load=$(cut -d' ' -f1 /proc/loadavg)
	bps=$(field goodput_bps <"$rx")
	secs=$(field seconds <"$rx")
	ok=0
	[[ -n $sent && $(field sha256 <"$rx") == "$sent" ]] && ok=1
	rm -f "$rx"
	d=()
	for i in "${!a[@]}"; do d+=($((b[i] - a[i]))); done
	echo "$link,$round,$point,$bytes,${secs:-},${bps:-},$ok,$(
		IFS=,
		echo "${d[*]}"
	),$load" >>"$CSV"
	progress "$link round $round point $point: $(awk -v b="${bps:-0}" -v s="${secs:-0}" \
		'BEGIN { printf "%.3f Mbit/s in %.1f s", b / 1e6, s }'), HA plain/esp/mlesp ${d[6]}/${d[7]}/${d[8]}," \
		"FA zone 1 verified ${d[12]}, plaintext ${d[13]}, CPU ticks HA ${d[4]} MH ${d[5]}," \
		"MH out of order ${d[17]}, CN retransmitted ${d[18]}, load $load," \
		"sha256 $([[ $ok == 1 ]] && echo ok || echo MISMATCH)"
}

# One link: its bed, the tunnel, RUNS rounds over the points; under the lock.
run_link() {
	local link=$1 round point port=6000 bytes up=() bpf_stats
	case $link in
	paper)
		up=(--profile paper --delay 100)
		bytes=$BYTES
		;;
	fast)
		up=(--profile modern --rate 10000000 --queue 1000)
		bytes=$FAST_BYTES
		;;
	esac
	exec 9>"$LOCK"
	progress "$link: waiting for $LOCK"
	flock 9
	progress "$link: bed up (${up[*]}), $bytes bytes a transfer, $RUNS rounds over: $POINTS"
	bpf_stats=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
	# Nothing started on the bed (its daemons, the workers, the transfers)
	# inherits the lock's descriptor: a process left behind would hold the
	# lock for every other user of the bed.
	link_body 9>&-
	sysctl -qw kernel.bpf_stats_enabled="$bpf_stats"
	flock -u 9
	exec 9>&-
}

link_body() {
	if bed_start "${up[@]}" --routing none; then
		[[ $link == paper ]] && on cn sysctl -qw net.ipv4.tcp_timestamps=0
		if tunnel_setup esp off; then
			for round in $(seq "$RUNS"); do
				for point in $POINTS; do
					port=$((port + 1))
					run_one "$link" "$round" "$point" "$port" "$bytes"
				done
			done
		else
			progress "$link: tunnel set-up failed"
		fi
		tunnel_teardown
		bed_stop >/dev/null
	else
		progress "$link: the bed did not come up"
	fi
}

make_plots() {
	local p=$OUT/plot
	gnuplot <<-EOF
		set terminal pngcairo size 1000,560
		set datafile separator ','
		set grid ytics
		set key below
		set xlabel 'protected packet interval i (every i-th packet ML-ESP, the others plaintext)'

		set output '$OUT/fig17.png'
		set title "Fig. 17: throughput of dynamic MML-IPsec vs the interval i\\npaper link (2 Mbit/s, 100 ms each way, paper TCP), median and range of $RUNS rounds"
		set ylabel 'throughput (Mbit/s)'
		set yrange [0:2.1]
		plot '$p-paper.csv' using 0:3:4:5:xtic(1) with yerrorlines lw 2 title 'dynamic MML-IPsec (here)', \
			'$p-paper.csv' using 0:6 with lines dt 2 lw 2 title 'ESP (here, same rounds)', \
			'$p-paper.csv' using 0:7 with points pt 7 ps 2 title 'the paper (text: i = 1)'

		set output '$OUT/fig18.png'
		set title "Fig. 18: overhead of dynamic MML-IPsec against ESP vs the interval i\\nmedian and range of $RUNS rounds; ratios within a round"
		set ylabel 'overhead vs ESP (%)'
		set autoscale y
		plot '$p-paper.csv' using 0:8:9:10:xtic(1) with yerrorlines lw 2 title 'paper link: throughput loss', \
			'$p-paper.csv' using 0:11 with linespoints title 'paper link: air bytes per MB', \
			'$p-fast.csv' using 0:3:4:5 with yerrorlines lw 2 title 'no rate limit: HA+MH worker CPU per MB', \
			'$p-paper.csv' using 0:12 with points pt 7 ps 2 title 'the paper (text: i = 1, 10)', \
			0 with lines lc 'black' notitle
	EOF
}

START=$SECONDS
if [[ $REPORT_ONLY == 0 ]]; then
	source "$EXP_DIR/lib/tunnel.sh"
	echo "link,round,point,bytes,seconds,goodput_bps,sha256_ok,air_frames_down,air_bits_down,air_frames_up,air_bits_up,ha_cpu_ticks,mh_cpu_ticks,ha_encap_plain,ha_encap_esp,ha_encap_mlesp,mh_encap_plain,mh_encap_esp,mh_encap_mlesp,fa_fwd_mlesp,fa_fwd_plain,fa_fwd_esp,fa_xdp_ns,fa_xdp_runs,mh_tcp_ofo,cn_tcp_retrans,load1" >"$CSV"
	progress "points $POINTS, $RUNS rounds, links ${LINK_LIST[*]}, output $OUT"
	for l in "${LINK_LIST[@]}"; do
		run_link "$l"
	done
fi
[[ -f $CSV ]] || { echo "fig17: no $CSV" >&2; exit 2; }
python3 "$EXP_DIR/fig17_report.py" "$CSV" "$OUT" "$(getconf CLK_TCK)" | tee "$OUT/table.md"
make_plots 2>"$OUT/gnuplot.log" && progress "plots: $OUT/fig17.png $OUT/fig18.png" ||
	progress "plot failed: $OUT/gnuplot.log"
progress "done in $((SECONDS - START)) s: $CSV"
