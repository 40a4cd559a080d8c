#!/usr/bin/env bash
# The paper's Figs. 15 and 16: TCP sequence number vs time and the CN's
# congestion window vs time, one transfer CN -> MH per configuration at one
# bit-error rate (the paper's 1/512K).
#
#   experiments/fig15.sh [--profile quick|paper] [--config NAME[,NAME...]]
#                        [--ber BER] [--tcp paper|modern] [--ts on|off] [--out DIR]
#                        [--plot-only]
#
# Method (docs/results.md): at the CN, a capture of the data segments it
# sends (tshark on eth0, headers only) gives the sequence number of every
# transmission, retransmissions included (tcptrace's time-sequence view);
# `ss -tin` sampled every 20 ms gives the congestion window (segments).
# Both run inside the CN's namespace, on the sender, like the paper's.
# Writes OUT/CONFIG.seq (seconds, relative sequence number), OUT/CONFIG.cwnd
# (seconds, cwnd), OUT/fig15.png, OUT/fig16.png, OUT/summary.md.
# --plot-only redraws the plots from the data already in --out DIR.
set -uo pipefail
EXP_DIR=$(cd "$(dirname "$0")" && pwd)
source "$EXP_DIR/../tests/lib/bed.sh"
need_root

PROFILE=quick CONFIGS=reno,snoop,ipsec,mmlipsec,snoop-mmlipsec BER=1/512K TCP=paper TS=off
OUT="" DELAY=100 MH=10.1.0.10 PLOT_ONLY=0
while [[ $# -gt 0 ]]; do
	[[ $1 == --plot-only ]] && { PLOT_ONLY=1; shift; continue; }
	[[ $# -ge 2 ]] || { sed -n '7,8p' "$0"; exit 2; }
	case $1 in
	--profile) PROFILE=$2 ;;
	--config) CONFIGS=$2 ;;
	--ber) BER=$2 ;;
	--tcp) TCP=$2 ;;
	--ts) TS=$2 ;;
	--out) OUT=$2 ;;
	*) sed -n '7,8p' "$0"; exit 2 ;;
	esac
	shift 2
done
case $PROFILE in
paper) BYTES=10485760 ;;
quick) BYTES=1048576 ;;
*) echo "fig15: profile \"$PROFILE\": expected quick or paper" >&2; exit 2 ;;
esac
IFS=, read -r -a CONFIG_LIST <<<"$CONFIGS"
OUT=${OUT:-$EXP_DIR/out/fig15-$PROFILE-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
progress() { echo "[fig15 $(date +%H:%M:%S)] $*"; }

# shellcheck disable=SC2016 # expanded by the bash that runs it in the CN
# The CN samples its socket: "epoch-seconds cwnd unacked" lines (unacked:
# segments in flight, which the 64 KB sender buffer caps while Linux may
# still grow cwnd).
SAMPLER='while :; do t=$(date +%s.%N); ss -tinH dst '$MH' | awk -v t=$t "{ c = u = 0
	for (i = 1; i <= NF; i++) { if (\$i ~ /^cwnd:/) c = substr(\$i, 6); if (\$i ~ /^unacked:/) u = substr(\$i, 9) }
	if (c) { print t, c, u; exit } }"; sleep 0.02; done'

run_config() {
	local config=$1 port=$2 rx cap t0
	# shellcheck source=/dev/null
	source "$EXP_DIR/configs/$config.sh"
	progress "$config: $CONFIG_DESCRIPTION, BER $BER"
	bed_start --profile "$TCP" --routing "$CONFIG_ROUTING" --delay "$DELAY" || return 1
	on cn sysctl -qw "net.ipv4.tcp_timestamps=$([[ $TS == on ]] && echo 1 || echo 0)"
	config_setup || { config_teardown; bed_stop; return 1; }
	bed set ber "$BER" >/dev/null
	cap=$(mktemp /tmp/fig15-cap.XXXXXX)
	rx=$(mktemp)
	bg_on cn tshark -q -i eth0 -s 96 -f "tcp and src host 10.0.1.1 and port $port" -w "$cap"
	bg_on cn bash -c "$SAMPLER" >"$OUT/$config.cwnd.raw"
	sleep 2
	bg_on mh "$BUILD/mml-xfer" recv -p "$port" -t 1000 >"$rx"
	t0=$(date +%s.%N)
	on cn "$BUILD/mml-xfer" send -c $MH -p "$port" -n "$BYTES" -s 1 -t 1000 >/dev/null
	sleep 1
	stop_bg
	progress "$config: $(awk -v b="$(field goodput_bps <"$rx")" 'BEGIN { printf "%.3f Mbit/s", b / 1e6 }')"
	field goodput_bps <"$rx" >"$OUT/$config.goodput"
	# Data segments only, sequence numbers relative to the first.
	tshark -r "$cap" -Y "tcp.len > 0" -T fields -e frame.time_epoch -e tcp.seq 2>/dev/null |
		awk -v t0="$t0" '{ printf "%.4f %d\n", $1 - t0, $2 }' >"$OUT/$config.seq"
	awk -v t0="$t0" '$1 >= t0 { printf "%.4f %d %d\n", $1 - t0, $2, $3 }' "$OUT/$config.cwnd.raw" \
		>"$OUT/$config.cwnd"
	rm -f "$cap" "$rx" "$OUT/$config.cwnd.raw"
	config_teardown
	bed_stop >/dev/null
}

plot() { # FILE-SUFFIX PNG YLABEL TITLE
	local series="" c i=0
	for c in "${CONFIG_LIST[@]}"; do
		i=$((i + 1))
		[[ -s $OUT/$c.$1 ]] || continue
		if [[ $1 == seq ]]; then
			# Tiny points for thousands of segments; the key gets a
			# visible marker from a second, empty series.
			series+="${series:+, }'$OUT/$c.$1' using 1:2 with points pt 7 ps 0.25 lc $i notitle"
			series+=", NaN with points pt 7 ps 1.5 lc $i title '$c'"
		else
			series+="${series:+, }'$OUT/$c.$1' using 1:2 with steps lw 1.5 lc $i title '$c'"
		fi
	done
	gnuplot <<-EOF
		set terminal pngcairo size 1100,600
		set output '$OUT/$2'
		set title "$4\\nBER $BER, $PROFILE profile, TCP $TCP, ${DELAY} ms WAN delay each way, 2 Mbit/s"
		set xlabel 'time (s)'
		set ylabel '$3'
		set grid
		set key top left
		plot $series
	EOF
}

port=6500
for config in "${CONFIG_LIST[@]}"; do
	[[ $PLOT_ONLY == 1 ]] && break
	port=$((port + 1))
	run_config "$config" "$port" || progress "$config: FAILED"
done
plot seq fig15.png "sequence number (bytes)" "Fig. 15: sequence number of the CN's segments"
plot cwnd fig16.png "congestion window (segments)" "Fig. 16: the CN's congestion window"
[[ $PLOT_ONLY == 1 ]] && { progress "plots: $OUT/fig15.png $OUT/fig16.png"; exit 0; }
{
	echo "| configuration | goodput (Mbit/s) | mean cwnd (segments) | mean in flight (segments) | samples |"
	echo "|---|---|---|---|---|"
	for c in "${CONFIG_LIST[@]}"; do
		awk -v c="$c" -v g="$(cat "$OUT/$c.goodput" 2>/dev/null)" '{ s += $2; u += $3; n++ }
			END { printf "| %s | %.3f | %.1f | %.1f | %d |\n", c, g / 1e6, n ? s / n : 0, n ? u / n : 0, n }' "$OUT/$c.cwnd"
	done
} | tee "$OUT/summary.md"
progress "plots: $OUT/fig15.png $OUT/fig16.png"
