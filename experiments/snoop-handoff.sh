#!/usr/bin/env bash
# Issue 23's experiment: SNOOP and ML-ESP across handoffs. The whole product
# on the test bed (Mobile IPv4 + ML-IKE + ML-ESP, keys from ML-IKE:
# tests/ike/bed-lib.sh), two FAs, each running its worker (SNOOP's cache);
# a CN -> MH transfer while the MH moves fa1 -> fa2 -> fa1 ... every STEP
# seconds, for each handoff scheme (PKD, DKM: one bed each) and each
# configuration on that bed:
#   snoop-mmlipsec  ML-ESP, SNOOP on at both FAs
#   mmlipsec        ML-ESP, SNOOP off
#   ipsec           ESP (the MH <-> HA CHILD_SA from ML-IKE, `flow add ...
#                   mode esp` at both ends for the transfer's port): the FAs
#                   forward it opaque, SNOOP cannot see into it
#
#   experiments/snoop-handoff.sh [--bytes N] [--step S] [--ber BER] [--delay MS]
#                                [--tcp paper|modern] [--schemes "pkd dkm"]
#                                [--configs "snoop-mmlipsec mmlipsec ipsec"] [--out DIR]
#
# Defaults: the issue's 10 MB at BER 1/256K, a handoff every 10 s, the
# paper's TCP (no SACK, 64 KB sender buffer, no timestamps at the CN) and
# 100 ms WAN delay each way (docs/results.md, Fig. 14's setting).
# Prints per run a line
#   snoop-handoff: SCHEME CONFIG: G Mbit/s in S s, N handoffs, stall per
#   handoff median M ms max X ms, sha256 ok|MISMATCH
# where the stall of a handoff is the receiver's silence that spans it (its
# last read before the link went down to its first read after), and per
# handoff what the old FA's SNOOP cache held for the MH when it left (those
# segments are lost to it: docs/snoop.md, "Handoffs"). Writes OUT/results.csv
# and OUT/handoffs.csv. Runs the bed itself: call it under the bed lock.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
export BUILD

BYTES=10485760 STEP=10 BER=1/256K DELAY=100 TCP=paper SCHEMES="pkd dkm"
CONFIGS="snoop-mmlipsec mmlipsec ipsec" OUT="" ONE=""
ARGS=("$@")
while [[ $# -gt 0 ]]; do
	[[ $# -ge 2 ]] || { sed -n '15,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
	case $1 in
	--bytes) BYTES=$2 ;;
	--step) STEP=$2 ;;
	--ber) BER=$2 ;;
	--delay) DELAY=$2 ;;
	--tcp) TCP=$2 ;;
	--schemes) SCHEMES=$2 ;;
	--configs) CONFIGS=$2 ;;
	--out) OUT=$2 ;;
	--one) ONE=$2 ;; # internal: one scheme, on its own bed
	*) sed -n '15,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
	shift 2
done
OUT=${OUT:-$TOP/experiments/out/snoop-handoff-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
progress() { echo "[snoop-handoff $(date +%H:%M:%S)] $*"; }

# The driver: one child per scheme (each brings its own bed up and down).
if [[ -z $ONE ]]; then
	echo "scheme,config,bytes,seconds,goodput_bps,sha256_ok,handoffs,stall_median_ms,stall_max_ms,ber,step_s" \
		>"$OUT/results.csv"
	echo "scheme,config,handoff,to,stall_ms,old_fa_cached_segs" >"$OUT/handoffs.csv"
	rc=0
	for s in $SCHEMES; do
		"$0" "${ARGS[@]}" --one "$s" --out "$OUT" || { progress "$s: FAILED"; rc=1; }
	done
	column -s, -t "$OUT/results.csv"
	exit $rc
fi

[[ $ONE =~ ^(pkd|dkm)$ ]] || { echo "snoop-handoff: scheme $ONE: pkd or dkm" >&2; exit 2; }
. "$TOP/tests/ike/bed-lib.sh"
if ! mip_can_run; then
	echo "snoop-handoff: cannot run: $MIP_WHY" >&2
	exit 1
fi
. "$TOP/tests/lib/check.sh"
trap mip_cleanup EXIT
trap 'exit 130' INT TERM
export IKE_HANDOFF=$ONE
IKE_HA_MH_EXTRA="child = true; esp = \"aes256gcm16\"; local_ts = \"0.0.0.0/0\"; remote_ts = \"$HOME_ADDR/32\";"
IKE_MH_HA_EXTRA="child = true; esp = \"aes256gcm16\"; local_ts = \"$HOME_ADDR/32\"; remote_ts = \"0.0.0.0/0\";"
progress "$ONE: product bed up (TCP $TCP, $DELAY ms WAN delay each way, 2 Mbit/s, BER $BER)"
ike_setup --profile "$TCP" --delay "$DELAY" --ber "$BER" || { echo "snoop-handoff: setup failed" >&2; exit 1; }
x cn sysctl -qw net.ipv4.tcp_timestamps=0
ike_mh_start || { echo "snoop-handoff: mmlkeyd on the MH" >&2; exit 1; }
# The CSA pair and the ESP pair of the CHILD_SA at the MH (bed-lib's
# wait_init expects the CSAs alone).
for _ in $(seq 200); do
	[[ $(n_init) -ge 1 && $(csas mh | wc -l) -ge 4 ]] && break
	sleep 0.05
done
[[ $(n_init) -ge 1 && $(csas mh | wc -l) -ge 4 ]] ||
	{ echo "snoop-handoff: ML-IKE initialisation not complete ($(csas mh | wc -l) CSAs at the MH)" >&2; exit 1; }
for n in fa1 fa2; do
	bg $n "$BUILD/mmlworker" --role fa --node "$PREFIX-$n" --port eth0 --port wlan0 \
		>"$TMP/worker-$n.log" 2>&1
done
sleep 0.5

# Segments the FA's SNOOP cache holds (every connection: there is one).
cached() {
	ctl "$1" -j snoop show 2>/dev/null |
		python3 -c 'import json,sys; print(sum(c["cached"] for c in json.load(sys.stdin)["connections"]))' 2>/dev/null ||
		echo 0
}
snoop_counters() {
	ctl "$1" -j snoop show | python3 -c 'import json,sys; c=json.load(sys.stdin)["counters"]
print(" ".join("%s=%d" % (k, c[k]) for k in ("local_rxmit_dupack", "local_rxmit_timer", "local_rxmit_persist",
      "rxmit_stale_key", "conn_new", "conn_evicted")))'
}

PORT=7600
at=fa1
run_config() {
	local config=$1 snoop=off t0 th n=0 to recv_pid send_pid
	[[ $config == snoop-mmlipsec ]] && snoop=on
	for n in fa1 fa2; do ctl $n snoop set enabled $snoop >/dev/null || return 1; done
	PORT=$((PORT + 1))
	if [[ $config == ipsec ]]; then
		for n in ha mh; do
			ctl $n flow add home "$HOME_ADDR" proto tcp home-port $PORT mode esp >/dev/null || return 1
		done
	fi
	: >"$TMP/handoffs"
	x mh timeout 900 "$BUILD/mml-xfer" recv -p $PORT -t 300 -g "$TMP/gaps" >"$TMP/recv.out" 2>&1 &
	recv_pid=$!
	x cn timeout 900 "$BUILD/mml-xfer" send -c "$HOME_ADDR" -p $PORT -n "$BYTES" -s $PORT -R 5 -t 300 \
		>"$TMP/send.out" 2>&1 &
	send_pid=$!
	t0=$(date +%s.%N)
	n=0
	while kill -0 $recv_pid 2>/dev/null; do
		sleep 0.2
		awk -v t0="$t0" -v s="$STEP" -v n="$n" -v now="$(date +%s.%N)" 'BEGIN { exit !(now >= t0 + s * (n + 1)) }' ||
			continue
		kill -0 $recv_pid 2>/dev/null || break
		to=$([[ $at == fa1 ]] && echo fa2 || echo fa1)
		# What the old FA's cache holds for the MH as it leaves.
		echo "$to $(cached "$at")" >"$TMP/pre"
		th=$("$BED" -p "$PREFIX" handoff "$to" | awk '/handoff link-down/ {print $2}')
		n=$((n + 1))
		echo "$n $th $(cat "$TMP/pre")" >>"$TMP/handoffs"
		at=$to
	done
	wait $recv_pid
	wait $send_pid
	python3 - "$TMP/gaps" "$TMP/handoffs" "$TMP/recv.out" "$TMP/send.out" "$ONE" "$config" "$BER" "$STEP" \
		"$OUT/results.csv" "$OUT/handoffs.csv" <<'EOF'
import statistics, sys
gaps_f, hand_f, recv_f, send_f, scheme, config, ber, step, res_f, hcsv_f = sys.argv[1:]
def kv(path):
    try:
        return dict(x.split("=", 1) for x in open(path).read().split() if "=" in x)
    except OSError:
        return {}
r, s = kv(recv_f), kv(send_f)
try:
    gaps = [tuple(map(float, l.split())) for l in open(gaps_f) if l.strip()]
except OSError:
    gaps = []
hand = [l.split() for l in open(hand_f) if l.strip()]
stalls = []
# The receiver's last read: its first plus the transfer's seconds.
t_end = gaps[0][0] + float(r.get("seconds", 0) or 0) if gaps else 0
with open(hcsv_f, "a") as h:
    for no, th, to, segs in hand:
        th = float(th)
        if th >= t_end:
            continue  # after the last byte
        # The silence that spans the handoff: the first read after it and
        # the gap that read ended (none logged: reads under 2 ms apart).
        after = [(t, g) for t, _, g in gaps if t > th and t - g <= th]
        stalls.append(after[0][1] * 1e3 if after else 0.0)
        h.write("%s,%s,%s,%s,%.1f,%s\n" % (scheme, config, no, to, stalls[-1], segs))
ok = int(bool(r.get("sha256")) and r.get("sha256") == s.get("sha256"))
bps = float(r.get("goodput_bps", 0) or 0)
med = statistics.median(stalls) if stalls else 0
mx = max(stalls, default=0)
with open(res_f, "a") as f:
    f.write("%s,%s,%s,%s,%s,%s,%d,%.1f,%.1f,%s,%s\n" % (scheme, config, r.get("bytes", ""), r.get("seconds", ""),
            r.get("goodput_bps", ""), ok, len(stalls), med, mx, ber, step))
cached = [int(x[3]) for x in hand]
print("snoop-handoff: %s %s: %.3f Mbit/s in %s s, %d handoffs, stall per handoff median %.1f ms max %.1f ms, "
      "the old FA's cache held %s segments at the handoffs, sha256 %s" %
      (scheme, config, bps / 1e6, r.get("seconds", "?"), len(stalls), med, mx,
       "/".join(map(str, cached)) or "-", "ok" if ok else "MISMATCH"))
EOF
	[[ $snoop == on ]] && for n in fa1 fa2; do echo "snoop-handoff:   SNOOP at $n: $(snoop_counters $n)"; done
	if [[ $config == ipsec ]]; then
		for n in ha mh; do ctl $n flow del home "$HOME_ADDR" proto tcp home-port $PORT >/dev/null; done
	fi
	return 0
}

for c in $CONFIGS; do
	progress "$ONE $c: $BYTES bytes, a handoff every $STEP s"
	run_config "$c" || progress "$ONE $c: FAILED"
done
