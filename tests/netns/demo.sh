#!/usr/bin/env bash
# make demo: bring the test bed up, send a file CN -> MH over the emulated
# 2 Mbit/s wireless link with bit errors (plain kernel forwarding for now),
# hand the MH over to FA2 and send again; then, on a second bed with the
# Mobile IP tunnel and the paper's TCP, send at BER 1/64K with SNOOP at the FA
# and without; print a summary, tear down.
# Ctrl-C or any failure also tears the bed down.
#
#   tests/netns/demo.sh [BYTES] [BER]      defaults: 1 MiB, 1/256K
set -uo pipefail
source "$(dirname "$0")/lib.sh"
need_root

BYTES=${1:-1048576}
BER=${2:-1/256K}
MH=10.1.0.10

SNOOP_BYTES=262144

# transfer PORT SEED: one CN -> MH transfer; prints the receiver's line
# followed by "sent_sha256=..." of the sender.
transfer() {
	local port=$1 seed=$2 rx sent
	rx=$(mktemp)
	bg_on mh "$BUILD/mml-xfer" recv -p "$port" -t 60 >"$rx"
	sent=$(on cn "$BUILD/mml-xfer" send -c $MH -p "$port" -n "$BYTES" -s "$seed" -t 60 | field sha256)
	wait "${BG_PIDS[-1]}"
	BG_PIDS=()
	echo "$(cat "$rx") sent_sha256=${sent:-none}"
	rm -f "$rx"
}

report() {
	local cell=$1 line=$2 down up bps
	down=$(bed stats "$cell" down)
	up=$(bed stats "$cell" up)
	bps=$(field goodput_bps <<<"$line")
	printf '  via %s: %s bytes in %.2f s = %.3f Mbit/s goodput\n' "$cell" \
		"$(field bytes <<<"$line")" "$(field seconds <<<"$line")" "$(awk "BEGIN{print ${bps:-0} / 1e6}")"
	printf '  bit errors on %s: downlink lost %s of %s frames, uplink lost %s of %s\n' "$cell" \
		"$(field lost_frames <<<"$down")" \
		"$(($(field passed_frames <<<"$down") + $(field lost_frames <<<"$down")))" \
		"$(field lost_frames <<<"$up")" \
		"$(($(field passed_frames <<<"$up") + $(field lost_frames <<<"$up")))"
	if [[ $(field sha256 <<<"$line") == "$(field sent_sha256 <<<"$line")" ]]; then
		echo "  sha256 match: $(field sha256 <<<"$line")"
	else
		echo "  sha256 MISMATCH: sent $(field sent_sha256 <<<"$line"), received $(field sha256 <<<"$line")"
		DEMO_OK=0
	fi
}

DEMO_OK=1
echo "demo: bringing the test bed up (CN - wan - HA - FA1/FA2 - air - MH; 2 Mbit/s, BER $BER)"
bed_start --ber "$BER" || exit 1
echo "demo: bed $MMLB_PREFIX is up; namespaces $MMLB_PREFIX-{cn,wan,ha,fa1,fa2,air,mh}"
echo "demo: sending $BYTES bytes CN -> MH through FA1 ..."
FIRST=$(transfer 7001 1)
bed handoff fa2 >/dev/null
echo "demo: handed the MH over to FA2; sending again ..."
SECOND=$(transfer 7002 2)
# The link counters belong to this bed: report before it goes.
REPORT=$(report fa1 "$FIRST"; report fa2 "$SECOND")
grep -q MISMATCH <<<"$REPORT" && DEMO_OK=0
bed_stop >/dev/null
echo "demo: SNOOP at FA1: a second bed (Mobile IP tunnel HA -> FA1, paper TCP, 100 ms WAN delay each way, BER 1/64K) ..."
# shellcheck source=../../experiments/lib/tunnel.sh
source "$TOP/experiments/lib/tunnel.sh"
bed_start --profile paper --routing none --delay 100 --ber 1/64K || exit 1
on cn sysctl -qw net.ipv4.tcp_timestamps=0
tunnel_setup plain on || exit 1
echo "demo: $SNOOP_BYTES bytes with SNOOP, then without ..."
BYTES=$SNOOP_BYTES
SNOOP_ON=$(transfer 7003 3)
RXMITS=$(ctl fa1 -j snoop show | python3 -c "import json,sys; c=json.load(sys.stdin)['counters']
print(c['local_rxmit_dupack'] + c['local_rxmit_timer'] + c['local_rxmit_persist'])")
ctl fa1 snoop set enabled off
SNOOP_OFF=$(transfer 7004 4)
tunnel_teardown
echo
echo "summary (TCP Reno with today's loss recovery, plain kernel forwarding, 2 Mbit/s wireless link, BER $BER both ways):"
echo "$REPORT"
ok_on=$([[ $(field sha256 <<<"$SNOOP_ON") == "$(field sent_sha256 <<<"$SNOOP_ON")" ]] && echo ok || echo MISMATCH)
ok_off=$([[ $(field sha256 <<<"$SNOOP_OFF") == "$(field sent_sha256 <<<"$SNOOP_OFF")" ]] && echo ok || echo MISMATCH)
[[ $ok_on == ok && $ok_off == ok ]] || DEMO_OK=0
awk -v on="$(field goodput_bps <<<"$SNOOP_ON")" -v off="$(field goodput_bps <<<"$SNOOP_OFF")" \
	-v r="$RXMITS" -v b="$SNOOP_BYTES" -v s1="$ok_on" -v s2="$ok_off" 'BEGIN {
	printf "  SNOOP at FA1, BER 1/64K, %d bytes: %.3f Mbit/s with SNOOP (%d local retransmissions, sha256 %s)\n", b, on / 1e6, r, s1
	printf "                                     %.3f Mbit/s without (sha256 %s): %.1fx\n", off / 1e6, s2, off ? on / off : 0 }'
echo
bed_stop >/dev/null
echo "demo: bed $MMLB_PREFIX removed"
[[ $DEMO_OK == 1 ]]
