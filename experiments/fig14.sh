#!/usr/bin/env bash
# The paper's Fig. 14: throughput of a CN -> MH file transfer vs the wireless
# link's bit-error rate, for one or more configurations.
#
#   experiments/fig14.sh [--profile quick|paper] [--config NAME[,NAME...]]
#                        [--tcp paper|modern] [--ts on|off] [--runs N] [--bytes N]
#                        [--delay MS] [--bers "0 1/8M ..."] [--ber-at behind|before]
#                        [--keys static|mlike] [--out DIR] [--parallel] [--plot-only]
#
# Profiles (docs/results.md):
#   paper  10 MB, 5 runs a point, 2 Mbit/s, 100 ms WAN delay each way, paper TCP
#   quick  1 MB, 2 runs a point, otherwise the same (about 10 minutes)
# --tcp picks the bed's TCP profile (docs/testbed.md): paper (the default:
# Reno without SACK, RACK, early retransmit and F-RTO; 64 KB sender buffer)
# or modern (Reno with today's loss recovery).
# --ts: TCP timestamps at the CN (default off: the paper's 1460-byte segments
# and 40-byte zone 1 are TCP without options; with timestamps the MH's PAWS
# check discards SNOOP's older cached segments, docs/snoop.md).
# Configurations are experiments/configs/NAME.sh (see reno.sh for the hook):
# reno, snoop, ipsec, mmlipsec, snoop-mmlipsec.
# The bit-error rate applies to both directions of the MH's wireless link,
# behind its rate limiter (the default: a lost frame has used its air time)
# or, with --ber-at before, in front of it (the bed's ber_at knob,
# docs/testbed.md).
# --keys: the tunnel configurations' keys, bindings and visitor: static
# (the default: installed with mmlctl, experiments/lib/tunnel.sh) or mlike
# (Mobile IPv4 registration, ML-IKE and KEY_DISTRIBUTE by mmlkeyd on every
# node, tests/ike/bed-lib.sh; ESP from ML-IKE's CHILD_SA). reno has none.
# --parallel runs each configuration on its own bed at the same time (the
# link, not the CPU, limits a transfer: 2 Mbit/s), results merged at the end;
# it makes the paper profile a matter of hours instead of a day.
# --plot-only makes the table and the plot again from --out DIR/results.csv
# (e.g. after merging the CSVs of several runs).
#
# Writes OUT/results.csv (one line per run), OUT/table.md (mean and standard
# deviation per point), OUT/fig14.png; prints progress and the table.
set -uo pipefail
EXP_DIR=$(cd "$(dirname "$0")" && pwd)
source "$EXP_DIR/../tests/lib/bed.sh"
need_root

PROFILE=quick CONFIGS=reno TCP=paper TS=off RUNS="" BYTES="" DELAY=100 OUT="" PARALLEL=0 PLOT_ONLY=0 BER_AT=behind KEYS=static
ARGS=("$@")
BERS="0 1/8M 1/4M 1/2M 1/1M 1/512K 1/256K 1/128K 1/64K"
MH=10.1.0.10
# A transfer fails only when TCP itself gives up: without SACK or
# timestamps, Linux keeps the backed-off RTO until a segment that was sent
# once is acknowledged (Karn), so at 1/64K a go-back-N recovery that loses
# a few retransmissions stalls for minutes (RTO up to 120 s). The idle
# timeout must outlast that: tcp_retries2 = 15 gives up after ~925 s.
IDLE_S=1000

usage() {
	sed -n '5,8p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

while [[ $# -gt 0 ]]; do
	[[ $1 == --parallel ]] && { PARALLEL=1; shift; continue; }
	[[ $1 == --plot-only ]] && { PLOT_ONLY=1; shift; continue; }
	[[ $# -ge 2 ]] || usage
	case $1 in
	--profile) PROFILE=$2 ;;
	--config) CONFIGS=$2 ;;
	--tcp) TCP=$2 ;;
	--ts) TS=$2 ;;
	--runs) RUNS=$2 ;;
	--bytes) BYTES=$2 ;;
	--delay) DELAY=$2 ;;
	--bers) BERS=$2 ;;
	--ber-at) BER_AT=$2 ;;
	--keys) KEYS=$2 ;;
	--out) OUT=$2 ;;
	*) usage ;;
	esac
	shift 2
done
case $PROFILE in
paper) : "${RUNS:=5}" "${BYTES:=10485760}" ;;
quick) : "${RUNS:=2}" "${BYTES:=1048576}" ;;
*) echo "fig14: profile \"$PROFILE\": expected quick or paper" >&2; exit 2 ;;
esac
[[ $TCP =~ ^(paper|modern)$ ]] || { echo "fig14: --tcp: expected paper or modern" >&2; exit 2; }
[[ $TS =~ ^(on|off)$ ]] || { echo "fig14: --ts: expected on or off" >&2; exit 2; }
[[ $BER_AT =~ ^(behind|before)$ ]] || { echo "fig14: --ber-at: expected behind or before" >&2; exit 2; }
[[ $KEYS =~ ^(static|mlike)$ ]] || { echo "fig14: --keys: expected static or mlike" >&2; exit 2; }
export TUNNEL_KEYS=$KEYS
IFS=, read -r -a CONFIG_LIST <<<"$CONFIGS"
for c in "${CONFIG_LIST[@]}"; do
	[[ -f $EXP_DIR/configs/$c.sh ]] || {
		echo "fig14: no configuration \"$c\" (experiments/configs/: $(ls "$EXP_DIR/configs" | sed 's/\.sh$//' | xargs))" >&2
		exit 2
	}
done
OUT=${OUT:-$EXP_DIR/out/fig14-$PROFILE-$TCP-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
CSV=$OUT/results.csv
[[ $PLOT_ONLY == 1 && ! -f $CSV ]] && { echo "fig14: --plot-only: no $CSV" >&2; exit 2; }
[[ $PLOT_ONLY == 1 ]] || echo "config,profile,tcp,delay_ms,ber_label,ber,run,bytes,seconds,goodput_bps,sha256_ok,frames_down,lost_down,frames_up,lost_up,timestamps,ber_at,keys" >"$CSV"

progress() { echo "[fig14 $(date +%H:%M:%S)] $*"; }

# "passed_frames=.. passed_bits=.. lost_frames=.. lost_bits=.." -> "frames lost"
link_counts() { bed stats fa1 "$1" | tr ' ' '\n' | sed 's/.*=//' | xargs | awk '{print $1 + $3, $3}'; }

ber_value() { awk -v t="$1" 'BEGIN { n = split(t, a, "/"); if (n == 1) { print t + 0; exit }
	d = a[2]; m = 1; if (d ~ /K$/) m = 1024; if (d ~ /M$/) m = 1048576; sub(/[KM]$/, "", d)
	printf "%.6g\n", a[1] / (d * m) }'; }

# One transfer; appends a CSV line and prints a progress line.
run_one() {
	local config=$1 ber=$2 run=$3 port=$4 rx sent fd0 ld0 fu0 lu0 fd1 ld1 fu1 lu1 bps secs ok
	read -r fd0 ld0 < <(link_counts down)
	read -r fu0 lu0 < <(link_counts up)
	rx=$(mktemp)
	bg_on mh "$BUILD/mml-xfer" recv -p "$port" -t $IDLE_S >"$rx"
	sent=$(on cn "$BUILD/mml-xfer" send -c $MH -p "$port" -n "$BYTES" -s "$run" -t $IDLE_S | field sha256)
	wait "${BG_PIDS[-1]}"
	BG_PIDS=()
	read -r fd1 ld1 < <(link_counts down)
	read -r fu1 lu1 < <(link_counts up)
	bps=$(field goodput_bps <"$rx")
	secs=$(field seconds <"$rx")
	ok=0
	[[ -n $sent && $(field sha256 <"$rx") == "$sent" ]] && ok=1
	rm -f "$rx"
	echo "$config,$PROFILE,$TCP,$DELAY,$ber,$(ber_value "$ber"),$run,$BYTES,${secs:-},${bps:-},$ok,$((fd1 - fd0)),$((ld1 - ld0)),$((fu1 - fu0)),$((lu1 - lu0)),$TS,$BER_AT,$KEYS" >>"$CSV"
	progress "$config ber=$ber run $run/$RUNS: $(awk -v b="${bps:-0}" -v s="${secs:-0}" \
		'BEGIN { printf "%.2f Mbit/s in %.1f s", b / 1e6, s }'), frames lost $((ld1 - ld0))/$((fd1 - fd0)) down $((lu1 - lu0))/$((fu1 - fu0)) up, sha256 $([[ $ok == 1 ]] && echo ok || echo MISMATCH)"
}

run_config() {
	local config=$1 ber run port=6000
	# shellcheck source=/dev/null
	source "$EXP_DIR/configs/$config.sh"
	progress "$config: $CONFIG_DESCRIPTION; bed up (tcp $TCP, delay $DELAY ms each way, 2 Mbit/s, bit errors $BER_AT the rate limiter, keys $KEYS)"
	bed_start --profile "$TCP" --routing "$CONFIG_ROUTING" --delay "$DELAY" --ber-at "$BER_AT" || return 1
	on cn sysctl -qw "net.ipv4.tcp_timestamps=$([[ $TS == on ]] && echo 1 || echo 0)"
	config_setup || { config_teardown; bed_stop; return 1; }
	for ber in $BERS; do
		bed set ber "$ber" >/dev/null || { echo "fig14: bad BER $ber" >&2; break; }
		for run in $(seq "$RUNS"); do
			port=$((port + 1))
			run_one "$config" "$ber" "$run" "$port"
		done
	done
	config_teardown
	bed_stop >/dev/null
}

# Mean and sample standard deviation of the goodput per (config, BER), in
# Mbit/s, by configuration in the order measured, then by rising BER.
make_table() {
	echo "| configuration | BER | runs | throughput mean (Mbit/s) | stdev | sha256 |"
	echo "|---|---|---|---|---|---|"
	awk -F, 'NR > 1 {
		k = $1 SUBSEP $5
		if (!($1 in ci)) ci[$1] = ++nc
		if (!(k in n)) { order[++m] = k; cfg[k] = $1; lab[k] = $5; val[k] = $6; n[k] = 0 }
		if ($10 == "") { failed[k]++; next }
		n[k]++; s[k] += $10 / 1e6; ss[k] += ($10 / 1e6) ^ 2; bad[k] += ($11 != 1) }
	END {
		for (i = 1; i <= m; i++) {
			k = order[i]; mean = n[k] ? s[k] / n[k] : 0
			var = n[k] > 1 ? (ss[k] - n[k] * mean * mean) / (n[k] - 1) : 0
			note = bad[k] ? bad[k] " mismatch" : "ok"
			if (failed[k]) note = note ", " failed[k] " failed (left out)"
			printf "%d %s | %s | %s | %d | %.3f | %.3f | %s |\n", ci[cfg[k]], val[k], cfg[k],
				lab[k], n[k], mean, sqrt(var > 0 ? var : 0), note } }' "$CSV" |
		sort -k1,1n -k2,2g | cut -d' ' -f3-
}

make_plot() {
	local config series="" dat
	for config in "${CONFIG_LIST[@]}"; do
		dat=$OUT/$config.dat
		awk -F, -v c="$config" 'NR > 1 && $1 == c && $10 != "" {
			if (!($5 in n)) { order[++m] = $5; val[$5] = $6 }
			n[$5]++; s[$5] += $10 / 1e6; ss[$5] += ($10 / 1e6) ^ 2 }
			END { for (i = 1; i <= m; i++) { k = order[i]; mean = s[k] / n[k]
				var = n[k] > 1 ? (ss[k] - n[k] * mean * mean) / (n[k] - 1) : 0
				printf "%s %s %.4f %.4f\n", val[k], k, mean, sqrt(var > 0 ? var : 0) } }' "$CSV" |
			sort -k1,1g | cut -d' ' -f2- >"$dat"
		series+="${series:+, }'$dat' using 0:2:3:xtic(1) with yerrorlines title '$config'"
	done
	gnuplot <<-EOF
		set terminal pngcairo size 1100,600
		set output '$OUT/fig14.png'
		set title "Throughput vs bit-error rate\\n$PROFILE profile, TCP $TCP, timestamps $TS, ${DELAY} ms WAN delay each way, 2 Mbit/s, bit errors $BER_AT it, keys $KEYS, $BYTES bytes, $RUNS runs a point"
		set xlabel 'bit-error rate (1 error per N bits)'
		set ylabel 'throughput (Mbit/s)'
		set yrange [0:2.1]
		set grid ytics
		set key bottom left
		plot $series
	EOF
}

# --parallel: one child per configuration, each on its own bed and in its
# own OUT/CONFIG/, then their CSVs merged here.
run_parallel() {
	local config pids=() args=() a skip=0
	for a in "${ARGS[@]}"; do
		[[ $skip == 1 ]] && { skip=0; continue; }
		case $a in
		--parallel) ;;
		--config | --out) skip=1 ;;
		*) args+=("$a") ;;
		esac
	done
	for config in "${CONFIG_LIST[@]}"; do
		"$0" "${args[@]}" --config "$config" --out "$OUT/$config" >"$OUT/$config.log" 2>&1 &
		pids+=($!)
		progress "$config: on its own bed (pid $!, progress in $OUT/$config.log)"
	done
	# Each child takes its own bed down on TERM/INT.
	trap 'kill "${pids[@]}" 2>/dev/null; wait; exit 143' TERM
	trap 'kill "${pids[@]}" 2>/dev/null; wait; exit 130' INT
	for a in "${pids[@]}"; do
		wait "$a" || progress "a configuration failed (see $OUT/*.log)"
	done
	for config in "${CONFIG_LIST[@]}"; do
		tail -n +2 "$OUT/$config/results.csv" >>"$CSV" 2>/dev/null
	done
}

START=$SECONDS
progress "profile $PROFILE: $BYTES bytes, $RUNS runs a point, configurations ${CONFIG_LIST[*]}, output $OUT"
if [[ $PLOT_ONLY == 1 ]]; then
	progress "plot only, from $CSV"
elif [[ $PARALLEL == 1 ]]; then
	run_parallel
else
	for config in "${CONFIG_LIST[@]}"; do
		run_config "$config" || progress "$config: FAILED"
	done
fi
make_table | tee "$OUT/table.md"
make_plot 2>"$OUT/gnuplot.log" && progress "plot: $OUT/fig14.png" || progress "plot failed: $OUT/gnuplot.log"
progress "done in $((SECONDS - START)) s: $CSV"
